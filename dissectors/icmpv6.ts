import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const icmpv6: ProtocolModule = { dissector: { name: 'icmpv6-todo', label: 'icmpv6', fields: [], decode() {} } };
