import { protocolModules } from '../../dissectors/index.js';
import { Registry } from './registry.js';

export interface DecodeAs {
  table: string;
  key: number;
  proto: string;
}

/**
 * Parse tshark-style decode-as overrides: `udp.port==6784,vxlan` (also `udp.port=6784,vxlan`).
 * Returns a message naming what is wrong instead of throwing.
 */
export function parseDecodeAs(spec: string, reg: Registry): DecodeAs | string {
  const m = /^\s*([a-z0-9_.]+)\s*==?\s*(0x[0-9a-f]+|\d+)\s*,\s*([a-z0-9_.-]*)\s*$/i.exec(spec);
  if (!m) return `decode-as "${spec}": expected TABLE==VALUE,PROTOCOL (e.g. udp.port==6784,vxlan)`;
  const [, table, value, proto] = m as unknown as [string, string, string, string];
  if (!reg.tableNames().includes(table)) return `decode-as "${spec}": unknown table ${table} (known: ${reg.tableNames().join(', ')})`;
  if (proto !== '' && !reg.has(proto)) return `decode-as "${spec}": unknown protocol ${proto}`;
  const key = Number(value);
  if (key >= reg.table(table).length) return `decode-as "${spec}": ${value} is out of range for ${table}`;
  return { table, key, proto };
}

/** A sealed registry of every protocol, with decode-as overrides applied. */
export function createRegistry(decodeAs: readonly DecodeAs[] = []): Registry {
  const reg = new Registry();
  for (const m of protocolModules) reg.add(m);
  reg.seal();
  for (const d of decodeAs) reg.setDispatch(d.table, d.key, d.proto);
  return reg;
}
