import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const bgp: ProtocolModule = { dissector: { name: 'bgp-todo', label: 'bgp', fields: [], decode() {} } };
