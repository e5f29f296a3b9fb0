import { AnomalyTable } from './anomalies.js';
import type { Dissector, ProtocolModule } from './dissector.js';
import type { FieldDef } from './field.js';

/** Tables the dissectors dispatch through, keyed by the parent's "next protocol" value. */
export const TABLE_SIZES: Readonly<Record<string, number>> = {
  linktype: 65536,
  ethertype: 65536,
  'ip.proto': 256,
  'udp.port': 65536,
  'tcp.port': 65536,
  'gre.proto': 65536,
};

export interface FieldRef {
  /** The first protocol that defines the field, and its definition. */
  readonly proto: number;
  readonly def: FieldDef;
  /**
   * The definition per protocol id: a field name may be filled by several protocols, as in
   * Wireshark (VXLAN-GPE's VNI is `vxlan.vni`). Consumers look layers up here.
   */
  readonly byProto: Array<FieldDef | undefined>;
}

/** Keys per byte of a table's occupancy map (see Registry.occupied): 1 << OCCUPANCY_SHIFT. */
export const OCCUPANCY_SHIFT = 6;
const OCCUPANCY_BLOCK = 1 << OCCUPANCY_SHIFT;

/**
 * Every protocol, dispatch table, field and anomaly known to one decoder.
 * Protocol ids are small integers in registration order (0 means "nothing").
 */
export class Registry {
  readonly dissectors: Dissector[] = [NONE];
  readonly anomalies = new AnomalyTable();
  /** Per protocol id: the code of its generic `<name>.truncated` anomaly. */
  readonly truncatedCode: number[] = [0];
  private readonly ids = new Map<string, number>();
  private readonly tables = new Map<string, Uint16Array>();
  private readonly occupancy = new Map<string, Uint8Array>();
  private readonly fieldIndex = new Map<string, FieldRef>();
  private pending: ProtocolModule[] = [];

  constructor() {
    for (const [name, size] of Object.entries(TABLE_SIZES)) {
      this.tables.set(name, new Uint16Array(size));
      this.occupancy.set(name, new Uint8Array(Math.ceil(size / OCCUPANCY_BLOCK)));
    }
  }

  add(mod: ProtocolModule): void {
    const d = mod.dissector;
    if (this.ids.has(d.name)) throw new Error(`protocol ${d.name} registered twice`);
    const id = this.dissectors.length;
    this.dissectors.push(d);
    this.ids.set(d.name, id);
    this.truncatedCode.push(this.anomalies.define(`${d.name}.truncated`, 'warning', `${d.label} header cut short`));
    for (const [suffix, [severity, text]] of Object.entries(mod.anomalies ?? {})) {
      this.anomalies.define(`${d.name}.${suffix}`, severity, text);
    }
    for (const f of d.fields) {
      const known = this.fieldIndex.get(f.name);
      if (known) {
        if (known.byProto[id]) throw new Error(`field ${f.name} defined twice by ${d.name}`);
        if (known.def.type !== f.type) throw new Error(`field ${f.name}: ${d.name} gives it type ${f.type}, not ${known.def.type}`);
        known.byProto[id] = f;
        continue;
      }
      const byProto: Array<FieldDef | undefined> = [];
      byProto[id] = f;
      this.fieldIndex.set(f.name, { proto: id, def: f, byProto });
    }
    this.pending.push(mod);
  }

  /** Apply dispatch entries and let dissectors resolve their ids; call once after every add. */
  seal(): this {
    for (const mod of this.pending) {
      for (const [table, key] of mod.dispatch ?? []) this.setDispatch(table, key, mod.dissector.name);
    }
    for (const mod of this.pending) mod.dissector.init?.(this);
    this.pending = [];
    return this;
  }

  id(name: string): number {
    const id = this.ids.get(name);
    if (id === undefined) throw new Error(`unknown protocol ${name}`);
    return id;
  }

  has(name: string): boolean {
    return this.ids.has(name);
  }

  protocolNames(): string[] {
    return [...this.ids.keys()];
  }

  table(name: string): Uint16Array {
    const t = this.tables.get(name);
    if (!t) throw new Error(`unknown dispatch table ${name}`);
    return t;
  }

  /**
   * One byte per OCCUPANCY_BLOCK keys of a table: 0 when no key of the block was ever
   * given a protocol. A port table is 128 KiB and an ephemeral port lands anywhere in it;
   * this map fits in a few cache lines, so most lookups end there.
   */
  occupied(name: string): Uint8Array {
    const o = this.occupancy.get(name);
    if (!o) throw new Error(`unknown dispatch table ${name}`);
    return o;
  }

  tableNames(): string[] {
    return [...this.tables.keys()];
  }

  setDispatch(table: string, key: number, proto: string): void {
    const t = this.table(table);
    if (!Number.isInteger(key) || key < 0 || key >= t.length) throw new Error(`${table} key ${key} out of range`);
    t[key] = proto === '' ? 0 : this.id(proto);
    if (t[key] !== 0) this.occupied(table)[key >> OCCUPANCY_SHIFT] = 1;
  }

  anomaly(id: string): number {
    return this.anomalies.code(id);
  }

  field(name: string): FieldRef | undefined {
    return this.fieldIndex.get(name);
  }

  fieldNames(): string[] {
    return [...this.fieldIndex.keys()];
  }
}

const NONE: Dissector = {
  name: '',
  label: '',
  fields: [],
  decode() {},
};
