import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const geneve: ProtocolModule = { dissector: { name: 'geneve-todo', label: 'geneve', fields: [], decode() {} } };
