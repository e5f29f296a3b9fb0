/**
 * Every dissector and the decode loop under hostile bytes, in audit mode: each packet in a
 * Buffer of exactly its length (a read past it throws), every field getter and summary of
 * every layer run, and the invariants of fuzz/target.ts checked (layers inside the record,
 * anomalies from the registry, at most 64 layers, work linear in the packet's bytes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LAYERS, MAX_TUNNEL_DEPTH } from '../../src/decode/packet-view.js';
import { createRegistry } from '../../src/decode/protocols.js';
import { PacketAuditor, READS_PER_BYTE } from '../../fuzz/target.js';
import { anomalies, layers } from '../helpers/decode.js';
import {
  arbDispatchedGarbage,
  arbFieldMutation,
  arbMutatedSample,
  arbRandomPacket,
  arbTunnelStack,
  buildNamedStack,
  dispatchEntries,
  expectedLayers,
  packetSamples,
  readField,
  registryLinktypes,
  writeField,
  WRAPPERS,
  type RawPacket,
  type TunnelStack,
} from './arbitraries.js';

const reg = createRegistry();
/** Exhaustive sweeps check the decoder and every field; random cases also build every output. */
const fast = new PacketAuditor(reg);
const full = new PacketAuditor(reg, { outputs: true });
const samples = packetSamples();

/**
 * Decode one packet; the failure text names the input. Decoder state (BGP reassembly)
 * carries over from the packets before, as in a capture.
 */
function decodeOne(pk: Omit<RawPacket, 'wireLen'> & { wireLen?: number }, what: string, auditor = full): ReturnType<PacketAuditor['packet']> {
  try {
    return auditor.packet(pk.bytes, pk.linktype, { wireLen: pk.wireLen ?? pk.bytes.length });
  } catch (e) {
    (e as Error).message = `${what} [linktype ${pk.linktype}, ${pk.bytes.toString('hex')}]: ${(e as Error).message}`;
    throw e;
  }
}

/** Run `fn` over many cases, collecting the first failures instead of stopping at one. */
function sweep(cases: Iterable<[string, RawPacket]>): string[] {
  const failures: string[] = [];
  for (const [what, pk] of cases) {
    try {
      decodeOne(pk, what, fast);
    } catch (e) {
      failures.push((e as Error).stack?.split('\n').slice(0, 3).join(' | ') ?? String(e));
      if (failures.length >= 10) break;
    }
  }
  return failures;
}

describe('the sample packets', () => {
  it('reach every protocol that has fields or a dispatch entry', () => {
    const reached = new Set<string>();
    for (const s of samples) {
      full.reset();
      const p = decodeOne(s, s.name);
      expect(layers(p), s.name).toContain(s.proto);
      for (const l of layers(p)) reached.add(l);
    }
    const dispatched = new Set(dispatchEntries(reg).map(([, , name]) => name));
    const wanted = reg.protocolNames().filter((n) => n !== 'frame' && (dispatched.has(n) || reg.dissectors[reg.id(n)]!.fields.length > 0));
    expect(wanted.filter((n) => !reached.has(n))).toEqual([]);
  });

  it('name their anomalies after a registered protocol', () => {
    const names = new Set(reg.protocolNames());
    const bad = reg.anomalies.list.slice(1).filter((a) => !names.has(a.id.slice(0, a.id.lastIndexOf('.'))));
    expect(bad.map((a) => a.id)).toEqual([]);
  });
});

describe('decoders in audit mode', () => {
  it('every prefix of every sample, cut by a snaplen and claimed whole', () => {
    const cases = function* (): Generator<[string, RawPacket]> {
      for (const s of samples) {
        for (let cut = 0; cut < s.bytes.length; cut++) {
          const bytes = s.bytes.subarray(0, cut);
          yield [`${s.name} cut to ${cut} of ${s.bytes.length} (snaplen)`, { linktype: s.linktype, bytes, wireLen: s.bytes.length }];
          yield [`${s.name} cut to ${cut} of ${s.bytes.length}`, { linktype: s.linktype, bytes, wireLen: cut }];
        }
      }
    };
    expect(sweep(cases())).toEqual([]);
  });

  it('a prefix that cuts a header short says so with an anomaly', () => {
    const quiet: string[] = [];
    for (const s of samples) {
      full.reset();
      const whole = decodeOne(s, s.name);
      // Cuts strictly inside a header of the whole packet (its last layer's header may end
      // where the payload begins, so only cuts before some layer's header end count).
      const inHeader = new Set<number>();
      for (let i = 1; i < whole.nLayers; i++) {
        if (whole.layerBuf[i] !== whole.buf) continue;
        for (let c = whole.start[i]!; c < whole.hdrEnd[i]!; c++) inHeader.add(c);
      }
      for (const cut of inHeader) {
        const p = decodeOne({ linktype: s.linktype, bytes: s.bytes.subarray(0, cut), wireLen: cut }, `${s.name} cut ${cut}`);
        if (p.nAnomalies === 0) quiet.push(`${s.name} cut to ${cut}: ${layers(p).join('/')}`);
      }
    }
    expect(quiet).toEqual([]);
  });

  it('every 1-, 2- and 4-byte field in every header of every sample set to 0, its maximum and off by one', () => {
    const cases = function* (): Generator<[string, RawPacket]> {
      for (const s of samples) {
        // Header bytes of every layer of the whole packet: where the length and count fields are.
        fast.reset();
        const whole = decodeOne(s, s.name, fast);
        const offsets = new Set<number>();
        for (let i = 1; i < whole.nLayers; i++) {
          if (whole.layerBuf[i] !== whole.buf) continue;
          for (let c = whole.start[i]!; c < Math.min(whole.hdrEnd[i]!, whole.start[i]! + 96); c++) offsets.add(c);
        }
        for (const width of [1, 2, 4] as const) {
          for (const at of offsets) {
            if (at + width > s.bytes.length) continue;
            const orig = readField(s.bytes, at, width);
            const max = width === 4 ? 0xffffffff : (1 << (8 * width)) - 1;
            for (const v of new Set([0, max, orig - 1, orig + 1])) {
              if (v < 0 || v > max || v === orig) continue;
              const b = Buffer.from(s.bytes);
              writeField(b, at, width, v);
              yield [`${s.name}: u${width * 8} at ${at} = ${v}`, { linktype: s.linktype, bytes: b, wireLen: b.length }];
            }
          }
        }
      }
    };
    expect(sweep(cases())).toEqual([]);
  });

  it('random bytes under every linktype the registry knows (and unknown ones)', () => {
    expect(registryLinktypes(reg).length).toBeGreaterThan(5);
    fc.assert(
      fc.property(arbRandomPacket(reg), (pk) => {
        decodeOne(pk, 'random bytes');
      }),
      { seed: 6001, numRuns: 3000 },
    );
  });

  it('random bytes behind every dispatch entry reach each dissector', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(arbDispatchedGarbage(reg), (pk) => {
        const p = decodeOne(pk, `garbage for ${pk.proto}`);
        if (layers(p).includes(pk.proto)) seen.add(pk.proto);
      }),
      { seed: 6002, numRuns: 4000 },
    );
    const all = new Set(dispatchEntries(reg).map(([, , n]) => n));
    expect([...all].filter((n) => !seen.has(n))).toEqual([]);
  });

  it('a field of a sample set to an extreme value (random picks)', () => {
    fc.assert(
      fc.property(arbFieldMutation(), (pk) => {
        decodeOne(pk, pk.what);
      }),
      { seed: 6003, numRuns: 2000 },
    );
  });

  it('samples with several edits at once: extremes, flips, inserts, deletes, cuts', () => {
    fc.assert(
      fc.property(arbMutatedSample(), (pk) => {
        decodeOne(pk, pk.what);
      }),
      { seed: 6004, numRuns: 4000 },
    );
  });

  it('nested tunnels to depth 20: dissected up to the limits, and the limit named', () => {
    let deepest = 0;
    const check = (st: TunnelStack): void => {
        const p = decodeOne(st, st.wrappers.join(' > '));
        const want = expectedLayers(st, MAX_LAYERS, MAX_TUNNEL_DEPTH);
        expect(layers(p)).toEqual(want.names);
        expect(Array.from(p.depth.subarray(0, p.nLayers))).toEqual(want.depths);
        const ids = anomalies(p);
        if (want.limit === 'none') expect(ids.filter((a) => a.startsWith('frame.'))).toEqual([]);
        else expect(ids).toContain(`frame.${want.limit}`);
        deepest = Math.max(deepest, st.wrappers.length);
    };
    // Twenty of each encapsulation alone (with what it needs in between), then random mixes.
    for (const w of WRAPPERS) check(buildNamedStack(w.name, 20));
    fc.assert(fc.property(arbTunnelStack(20), check), { seed: 6005, numRuns: 600 });
    expect(deepest).toBe(20);
  });

  it('a sequence of hostile packets through one decoder (state carried between packets)', () => {
    const pkt = fc.oneof(arbMutatedSample(), arbDispatchedGarbage(reg), arbFieldMutation());
    fc.assert(
      fc.property(fc.array(pkt, { minLength: 1, maxLength: 40 }), (list) => {
        full.reset();
        list.forEach((pk, k) => {
          try {
            full.packet(pk.bytes, pk.linktype, { wireLen: pk.wireLen, number: k + 1 });
          } catch (e) {
            (e as Error).message = `packet ${k + 1} of ${list.length} [${pk.linktype} ${pk.bytes.toString('hex')}]: ${(e as Error).message}`;
            throw e;
          }
        });
      }),
      { seed: 6006, numRuns: 300 },
    );
  });

  it('kept every packet within the layer limit and linear work', () => {
    const st = { ...full.stats, packets: full.stats.packets + fast.stats.packets, maxLayers: Math.max(full.stats.maxLayers, fast.stats.maxLayers), maxReads: Math.max(full.stats.maxReads, fast.stats.maxReads), maxReadRatio: Math.max(full.stats.maxReadRatio, fast.stats.maxReadRatio), maxMs: Math.max(full.stats.maxMs, fast.stats.maxMs) };
    expect(st.packets).toBeGreaterThan(50_000);
    expect(st.maxLayers).toBeLessThanOrEqual(MAX_LAYERS);
    expect(st.maxReadRatio).toBeLessThan(READS_PER_BYTE);
    // Wall-clock time is reported, not asserted: the read count above is the bound.
    console.info(`hostile decode: ${st.packets} packets, at most ${st.maxLayers} layers, ${st.maxReads} reads, read ratio ${st.maxReadRatio.toFixed(2)}, slowest ${st.maxMs.toFixed(2)} ms`);
  });
});
