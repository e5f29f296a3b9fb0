import { describe, expect, it } from 'vitest';
import { JsonOutput } from '../../src/output/json-output.js';
import { decodeBytes, makeDecoder } from '../helpers/decode.js';
import { tshark, vxlanSyn, writePcap } from '../commands/harness.js';

/** Every "name": "value" pair of one tshark JSON layer, with its *_tree objects flattened. */
function flatten(o: Record<string, unknown>, out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, out);
    else if (!(k in out)) out[k] = v;
  }
  return out;
}

// netdiag always verifies checksums; tshark only when asked (else its status fields say "unverified").
const CHECKSUMS = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'];

function collect(): { text: string; write(s: string): boolean } {
  return {
    text: '',
    write(s: string) {
      this.text += s;
      return false;
    },
  };
}

describe('-T json', () => {
  it("has tshark's shape, repeated protocols as arrays, and tshark's values", () => {
    const dec = makeDecoder();
    const bytes = vxlanSyn({ vni: 5 });
    const p = decodeBytes(dec, bytes);
    const out = collect();
    const j = new JsonOutput(dec.reg, out);
    j.packet(p);
    j.end();
    const ours = JSON.parse(out.text) as Array<{ _index: string; _source: { layers: Record<string, unknown> } }>;
    expect(ours).toHaveLength(1);
    expect(ours[0]!._index).toMatch(/^packets-\d{4}-\d\d-\d\d$/);
    const layers = ours[0]!._source.layers;
    // Outer and inner headers of the tunnel: one array entry each, outer first.
    expect(Array.isArray(layers.eth)).toBe(true);
    expect(Array.isArray(layers.ip)).toBe(true);
    const ips = layers.ip as Array<Record<string, unknown>>;
    expect(ips.map((l) => l['ip.src'])).toEqual(['198.18.0.1', '100.96.1.2']);
    // Several values of one field in one layer: an array.
    expect(ips[0]!['ip.addr']).toEqual(['198.18.0.1', '198.18.0.2']);

    const theirs = JSON.parse(tshark(['-r', writePcap([{ data: bytes }]), '-d', 'udp.port==8472,vxlan', ...CHECKSUMS, '-T', 'json', '--no-duplicate-keys'])) as Array<{
      _source: { layers: Record<string, unknown> };
    }>;
    const tl = theirs[0]!._source.layers;
    const compare = (proto: string) => {
      const a = ([] as Array<Record<string, unknown>>).concat(layers[proto] as Record<string, unknown>);
      const b = ([] as Array<Record<string, unknown>>).concat(tl[proto] as Record<string, unknown>);
      expect(a.length).toBe(b.length);
      a.forEach((ourLayer, k) => {
        const t = flatten(b[k]!);
        for (const [name, v] of Object.entries(ourLayer)) {
          if (name === '_ws.expert' || !(name in t)) continue;
          expect({ proto, name, v }).toEqual({ proto, name, v: t[name] });
        }
      });
    };
    for (const proto of ['eth', 'ip', 'udp', 'vxlan']) compare(proto);
  });

  it('prints [] when no packet is shown, as tshark does', () => {
    const dec = makeDecoder();
    const out = collect();
    new JsonOutput(dec.reg, out).end();
    expect(out.text).toBe('[]\n');
  });

  it('keeps only the fields named with -e', () => {
    const dec = makeDecoder();
    const out = collect();
    const j = new JsonOutput(dec.reg, out, { fields: ['vxlan.vni', 'ip.dst'] });
    j.packet(decodeBytes(dec, vxlanSyn({ vni: 9 })));
    j.end();
    const layers = (JSON.parse(out.text) as Array<{ _source: { layers: Record<string, unknown> } }>)[0]!._source.layers;
    expect(Object.keys(layers).sort()).toEqual(['ip', 'vxlan']);
    expect(layers.vxlan).toEqual({ 'vxlan.vni': '9' });
  });
});
