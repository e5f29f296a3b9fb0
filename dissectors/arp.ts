import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const arp: ProtocolModule = { dissector: { name: 'arp-todo', label: 'arp', fields: [], decode() {} } };
