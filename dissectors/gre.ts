import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const gre: ProtocolModule = { dissector: { name: 'gre-todo', label: 'gre', fields: [], decode() {} } };
