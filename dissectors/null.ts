import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const nullLink: ProtocolModule = { dissector: { name: 'nullLink-todo', label: 'nullLink', fields: [], decode() {} } };
export const loopLink: ProtocolModule = { dissector: { name: 'loopLink-todo', label: 'loopLink', fields: [], decode() {} } };
