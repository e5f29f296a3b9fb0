import { FieldSink } from '../decode/field-sink.js';
import { safeJson } from './json-text.js';
import type { PacketView } from '../decode/packet-view.js';
import type { Registry } from '../decode/registry.js';
import { formatValue } from './field-format.js';

/**
 * `-T json`: tshark's shape, `[{"_index", "_type", "_source": {"layers": {...}}}]`, each layer
 * keyed by its protocol's filter name and each field by its own, values as the strings
 * `-T fields` prints. Where tshark repeats a JSON key (a protocol present twice, as the
 * outer and inner `ip` of a tunnel, or a field with several values such as `ip.addr`),
 * netdiag writes an array instead, as `tshark -T json --no-duplicate-keys` does, so every
 * JSON parser keeps all of them. Fields are flat within their layer (no `_tree` nesting).
 * Anomalies of a layer are listed under its `_ws.expert` key.
 */
export class JsonOutput {
  private readonly sink = new FieldSink();
  private count = 0;
  private readonly only: Set<string> | null;

  constructor(
    private readonly reg: Registry,
    private readonly out: { write(s: string): boolean },
    opts: { fields?: readonly string[]; captureKey?: boolean } = {},
  ) {
    this.only = opts.fields && opts.fields.length ? new Set(opts.fields) : null;
    this.captureKey = opts.captureKey ?? false;
  }

  private readonly captureKey: boolean;

  /** The JSON value of one packet. */
  packetObject(p: PacketView, captureLabel?: string): Record<string, unknown> {
    const reg = this.reg;
    const layers: Record<string, unknown> = {};
    const sink = this.sink;
    for (let i = 0; i < p.nLayers; i++) {
      const d = reg.dissectors[p.proto[i]!]!;
      const obj: Record<string, unknown> = {};
      for (const def of d.fields) {
        if (this.only && !this.only.has(def.name)) continue;
        sink.reset();
        def.get(p, i, sink);
        if (sink.n === 0) continue;
        if (sink.n === 1) obj[def.name] = formatValue(def, sink, 0);
        else {
          const vals: string[] = [];
          for (let k = 0; k < sink.n; k++) vals.push(formatValue(def, sink, k));
          obj[def.name] = vals;
        }
      }
      const expert: Array<Record<string, string>> = [];
      for (let a = 0; a < p.nAnomalies; a++) {
        if (p.anomalyLayer[a] !== i) continue;
        const info = reg.anomalies.info(p.anomalyCode[a]!);
        expert.push({ id: info.id, severity: info.severity, message: info.description });
      }
      if (expert.length) obj['_ws.expert'] = expert;
      if (this.only && Object.keys(obj).length === 0) continue;
      const prev = layers[d.name];
      if (prev === undefined) layers[d.name] = obj;
      else if (Array.isArray(prev)) prev.push(obj);
      else layers[d.name] = [prev, obj];
    }
    const date = new Date(p.tsSec * 1000);
    const day = Number.isNaN(date.getTime()) ? '1970-01-01' : date.toISOString().slice(0, 10);
    const o: Record<string, unknown> = { _index: `packets-${day}`, _type: 'doc', _score: null };
    if (this.captureKey && captureLabel !== undefined) o._capture = captureLabel;
    o._source = { layers };
    return o;
  }

  packet(p: PacketView, captureLabel?: string): boolean {
    const text = safeJson(this.packetObject(p, captureLabel), 2)
      .split('\n')
      .map((l) => '  ' + l)
      .join('\n');
    return this.out.write((this.count++ === 0 ? '[\n' : ',\n') + text);
  }

  /** Close the array (tshark prints `[]` for no packets). */
  end(): void {
    this.out.write(this.count === 0 ? '[]\n' : '\n]\n');
  }
}
