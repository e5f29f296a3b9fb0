import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const tcp: ProtocolModule = { dissector: { name: 'tcp-todo', label: 'tcp', fields: [], decode() {} } };
