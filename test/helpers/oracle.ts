import { writeFileSync } from 'node:fs';
import type { Decoder } from '../../src/decode/decoder.js';
import { tempPath, tshark } from '../craft/tshark-oracle.js';
import { decodeBytes, makeDecoder, values } from './decode.js';

/** One record for an oracle comparison: its captured bytes and, when snapped, its length on the wire. */
export interface Rec {
  bytes: Buffer;
  wire?: number;
}

let files = 0;

/** A little-endian µs pcap holding the records, as tshark reads it. */
export function pcapOf(recs: readonly Rec[], linktype = 1): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(linktype, 20);
  const parts: Buffer[] = [head];
  for (const r of recs) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(r.bytes.length, 8);
    h.writeUInt32LE(r.wire ?? r.bytes.length, 12);
    parts.push(h, r.bytes);
  }
  return Buffer.concat(parts);
}

/** tshark's -T fields values for each record (all occurrences, comma-joined), one row per record. */
export function theirs(recs: readonly Rec[], fields: readonly string[], args: readonly string[] = [], linktype = 1): string[][] {
  const path = tempPath(`oracle-${process.pid}-${files++}.pcap`);
  writeFileSync(path, pcapOf(recs, linktype));
  const out = tshark(['-r', path, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...args, ...fields.flatMap((f) => ['-e', f])]);
  return out.split('\n').slice(0, recs.length).map((l) => l.split('\t'));
}

/** netdiag's values for the same records and fields, shaped like theirs(). */
export function ours(recs: readonly Rec[], fields: readonly string[], dec: Decoder = makeDecoder(), linktype = 1): string[][] {
  return recs.map((r) => {
    const p = decodeBytes(dec, r.bytes, linktype, r.wire ?? r.bytes.length);
    return fields.map((f) => values(p, f).join(','));
  });
}
