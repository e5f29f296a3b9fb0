import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const raw: ProtocolModule = { dissector: { name: 'raw-todo', label: 'raw', fields: [], decode() {} } };
