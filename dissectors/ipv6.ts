import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const ipv6: ProtocolModule = { dissector: { name: 'ipv6-todo', label: 'ipv6', fields: [], decode() {} } };
