import { CaptureReader } from '../capture/reader.js';
import { Decoder } from '../decode/decoder.js';
import { createRegistry, parseDecodeAs } from '../decode/protocols.js';
import { packetDetail, type PacketDetail } from '../output/detail.js';
import type { Report } from './report.js';

/**
 * The packets the findings cite, read back from the captures by frame number: their bytes
 * (for --evidence) and, for the few shown in a report, their decoded detail. One bounded
 * re-read per cited capture that stops after its last cited frame.
 */
export interface CitedPacket {
  captureIndex: number;
  capture: string;
  number: number;
  /** Indexes into report.findings of the findings that cite this packet, in rank order. */
  citedBy: number[];
  tsSec: number;
  tsNsec: number;
  linktype: number;
  ifIndex: number;
  ifName: string | undefined;
  wireLen: number;
  data: Buffer;
  /** Decoded layers, for the packets a report shows. */
  detail: PacketDetail | null;
}

export interface CitedPackets {
  packets: CitedPacket[];
  /** Captures that could not be read back, with why. */
  problems: string[];
}

/** Bound on packets read back: every evidence item cites at most ten, so this is rarely reached. */
export const MAX_CITED_PACKETS = 5000;
/** Packets decoded in full per finding, and in all: a report shows a few, not a capture. */
export const KEY_PACKETS_PER_FINDING = 3;
export const KEY_PACKETS_TOTAL = 24;

interface Wanted {
  citedBy: number[];
  key: boolean;
}

/** Frame numbers cited per capture index; `key` marks those a report decodes and shows. */
export function citations(r: Report, max = MAX_CITED_PACKETS): Map<number, Map<number, Wanted>> {
  const byName = new Map(r.captures.map((c) => [c.name, c.index] as const));
  const out = new Map<number, Map<number, Wanted>>();
  let total = 0;
  let keys = 0;
  r.findings.forEach((f, fi) => {
    let keysHere = 0;
    for (const e of f.evidence) {
      const ci = byName.get(e.capture);
      if (ci === undefined) continue;
      let m = out.get(ci);
      if (!m) out.set(ci, (m = new Map()));
      for (const n of e.packets) {
        if (!Number.isInteger(n) || n < 1) continue;
        let w = m.get(n);
        if (!w) {
          if (total >= max) continue;
          total++;
          m.set(n, (w = { citedBy: [], key: false }));
        }
        if (!w.citedBy.includes(fi)) w.citedBy.push(fi);
        if (f.severity !== 'info' && !w.key && keysHere < KEY_PACKETS_PER_FINDING && keys < KEY_PACKETS_TOTAL) {
          w.key = true;
          keysHere++;
          keys++;
        }
      }
    }
  });
  return out;
}

export interface ReadCitedOptions {
  decodeAs?: string[];
  max?: number;
}

/** Read the cited packets back; captures read from stdin or gone since are reported, not fatal. */
export async function readCitedPackets(r: Report, opts: ReadCitedOptions = {}): Promise<CitedPackets> {
  const reg = createRegistry();
  for (const spec of opts.decodeAs ?? []) {
    const d = parseDecodeAs(spec, reg);
    if (typeof d !== 'string') reg.setDispatch(d.table, d.key, d.proto);
  }
  const decoder = new Decoder(reg);
  const packets: CitedPacket[] = [];
  const problems: string[] = [];
  for (const [ci, wanted] of citations(r, opts.max)) {
    const c = r.captures.find((x) => x.index === ci);
    if (!c) continue;
    if (c.file === '-') {
      problems.push(`${c.name}: read from stdin, so its cited packets cannot be read again`);
      continue;
    }
    const last = Math.max(...wanted.keys());
    let reader: CaptureReader;
    try {
      reader = await CaptureReader.open(c.file);
    } catch (e) {
      problems.push(`${c.name}: ${(e as Error).message}`);
      continue;
    }
    let found = 0;
    try {
      const rec = reader.rec;
      outer: for (;;) {
        while (reader.next()) {
          const w = wanted.get(rec.number);
          if (w) {
            const p = decoder.decode(rec, ci);
            packets.push({
              captureIndex: ci,
              capture: c.name,
              number: rec.number,
              citedBy: w.citedBy,
              tsSec: rec.tsSec,
              tsNsec: rec.tsNsec,
              linktype: rec.linktype,
              ifIndex: rec.ifIndex,
              ifName: reader.interfaces[rec.ifIndex]?.name,
              wireLen: rec.wireLen,
              data: Buffer.from(rec.buf.subarray(rec.off, rec.off + rec.capLen)),
              detail: w.key ? packetDetail(p) : null,
            });
            found++;
          }
          if (rec.number >= last) break outer;
        }
        if (!(await reader.fill())) break;
      }
    } finally {
      await reader.close();
    }
    if (found < wanted.size) problems.push(`${c.name}: ${wanted.size - found} cited packet${wanted.size - found === 1 ? '' : 's'} not found when read again (the file changed?)`);
  }
  return { packets, problems };
}
