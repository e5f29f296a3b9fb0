/**
 * The fuzzer's starting inputs: every fixture, every capture of the shared corpus, every
 * kept crasher, and pcap/pcapng files made of the sample packets of every protocol.
 * Large files are cut to their first records: small inputs run faster and mutate better.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { encodePcapHeader, encodePcapRecord, PcapngEncoder } from '../src/capture/writer.js';
import { layout } from './mutate.js';
import { packetSamples } from './samples.js';

export const SEED_MAX = 16 * 1024;
const CAPTURE = /\.(pcap|pcapng|cap|gz)$/i;

function files(dir: string, recursive: boolean): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive }) as string[]).filter((f) => CAPTURE.test(f)).sort().map((f) => join(dir, f));
}

/** The capture cut after the last whole record that fits in SEED_MAX bytes. */
function shrink(b: Buffer): Buffer {
  if (b.length <= SEED_MAX) return b;
  const lay = layout(b);
  let end = Math.min(b.length, SEED_MAX);
  if (lay.spans.length) {
    const fit = lay.spans.filter((s) => s.end <= SEED_MAX);
    end = fit.length ? fit[fit.length - 1]!.end : Math.min(b.length, SEED_MAX);
  }
  return b.subarray(0, end);
}

/** One-packet and many-packet captures of the crafted samples, in both formats. */
export function craftedSeeds(): Buffer[] {
  const out: Buffer[] = [];
  const byLink = new Map<number, Buffer[]>();
  for (const s of packetSamples()) {
    const o = { linktype: s.linktype, nanosecond: true };
    out.push(Buffer.concat([encodePcapHeader(o), encodePcapRecord(o, { sec: 1_700_000_000, nsec: 0 }, s.bytes)]));
    byLink.set(s.linktype, [...(byLink.get(s.linktype) ?? []), s.bytes]);
  }
  for (const [lt, list] of byLink) {
    const o = { linktype: lt };
    out.push(Buffer.concat([encodePcapHeader(o), ...list.map((b, k) => encodePcapRecord(o, { sec: 1_700_000_000 + k, nsec: 0 }, b))]));
    const e = new PcapngEncoder();
    out.push(
      Buffer.concat([
        e.sectionHeader({ comment: 'seed', hardware: 'x86_64' }),
        e.interfaceDescription({ linktype: lt, name: 'eth0', description: 'seed' }),
        ...list.map((b, k) => e.enhancedPacket(0, { sec: 1_700_000_000 + k, nsec: k }, b, { comment: `p${k}` })),
        e.interfaceStatistics(0, { sec: 1_700_000_100, nsec: 0 }, { ifRecv: list.length, ifDrop: 0 }),
      ]),
    );
  }
  return out;
}

/** Every seed, deduplicated. `root` is the repository. */
export function loadSeeds(root: string, crasherDir: string): Buffer[] {
  const paths = [
    ...files(join(root, 'fixtures'), true).filter((p) => !p.includes('/crashers/')),
    ...files(join(root, '../shared/corpus/tcpdump'), false),
    ...files(join(root, '../shared/corpus/libpcap'), false),
    ...files(crasherDir, false),
  ];
  const seen = new Set<string>();
  const out: Buffer[] = [];
  const add = (b: Buffer) => {
    const h = createHash('sha1').update(b).digest('hex');
    if (seen.has(h)) return;
    seen.add(h);
    out.push(b);
  };
  for (const p of paths) {
    const raw = readFileSync(p);
    if (raw[0] === 0x1f && raw[1] === 0x8b) {
      // Keep a small compressed one as it is (the gzip path), and the inflated data.
      if (raw.length <= SEED_MAX) add(raw);
      try {
        add(shrink(gunzipSync(raw)));
      } catch {
        // A damaged gzip seed is still a seed as it is.
      }
      continue;
    }
    add(shrink(raw));
  }
  for (const b of craftedSeeds()) add(b);
  return out;
}
