import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const sll: ProtocolModule = { dissector: { name: 'sll-todo', label: 'sll', fields: [], decode() {} } };
export const sll2: ProtocolModule = { dissector: { name: 'sll2-todo', label: 'sll2', fields: [], decode() {} } };
