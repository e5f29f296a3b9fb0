import type { ProtocolModule } from '../src/decode/dissector.js';
// PLACEHOLDER: to be replaced by the real dissector.
export const vlan: ProtocolModule = { dissector: { name: 'vlan-todo', label: 'vlan', fields: [], decode() {} } };
export const ieee8021ad: ProtocolModule = { dissector: { name: 'ieee8021ad-todo', label: 'ieee8021ad', fields: [], decode() {} } };
