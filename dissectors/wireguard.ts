import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const wireguard: ProtocolModule = { dissector: { name: 'wireguard-todo', label: 'wireguard', fields: [], decode() {} } };
