import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const vxlanGpe: ProtocolModule = { dissector: { name: 'vxlanGpe-todo', label: 'vxlanGpe', fields: [], decode() {} } };
