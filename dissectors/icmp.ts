import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const icmp: ProtocolModule = { dissector: { name: 'icmp-todo', label: 'icmp', fields: [], decode() {} } };
