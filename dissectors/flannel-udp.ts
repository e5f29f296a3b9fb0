import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const flannelUdp: ProtocolModule = { dissector: { name: 'flannelUdp-todo', label: 'flannelUdp', fields: [], decode() {} } };
