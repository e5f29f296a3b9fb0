import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PcapWriter } from '../capture/writer.js';
import type { Report } from '../report/report.js';
import type { CaptureStore } from './capture-store.js';
import type { PacketSet } from './packet-set.js';

/** A file name part from a capture label: letters, digits, dot, dash and underscore only. */
function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '').slice(0, 60) || 'capture';
}

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** A path in `dir` that does not exist yet: base.ext, base-2.ext, … */
export function freshPath(dir: string, base: string, ext: string): string {
  let p = join(dir, `${base}${ext}`);
  for (let k = 2; existsSync(p); k++) p = join(dir, `${base}-${k}${ext}`);
  return resolve(p);
}

export interface WriteOutcome {
  path: string;
  packets: number;
  skipped: number;
}

/**
 * The packets a list shows, as a classic pcap (nanosecond timestamps, so nothing is
 * rounded). Records are copied one at a time from the capture, yielding now and then so
 * the UI stays responsive on a long list.
 */
export async function writePackets(store: CaptureStore, set: PacketSet, dir: string): Promise<WriteOutcome> {
  const kinds = [...new Set(store.linktypes)];
  if (kinds.length > 1) throw new Error(`${store.label} mixes link types ${kinds.join(', ')}; a pcap holds one (use netdiag read -Y … -w FILE.pcapng)`);
  const path = freshPath(dir, `netdiag-${slug(store.label)}-${stamp()}`, '.pcap');
  const w = new PcapWriter(path, { linktype: kinds[0] ?? 1, nanosecond: true });
  let packets = 0;
  let skipped = 0;
  const total = set.length;
  try {
    for (let i = 0; i < total; i++) {
      const rec = store.record(set.numberAt(i));
      if (rec === null) skipped++;
      else {
        w.writePacket({ sec: rec.tsSec, nsec: rec.tsNsec }, rec.buf, rec.off, rec.capLen, Math.max(rec.wireLen, rec.capLen));
        packets++;
      }
      if ((i & 8191) === 8191) await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    await w.close();
  }
  return { path, packets, skipped };
}

/**
 * The report for a ticket: Markdown always, HTML too when this build has the HTML
 * renderer. Returns the paths written.
 */
export async function writeReport(report: Report, dir: string): Promise<string[]> {
  const { writeFile } = await import('node:fs/promises');
  const { renderMarkdown } = await import('../report/markdown.js');
  const base = `netdiag-report-${stamp()}`;
  const md = freshPath(dir, base, '.md');
  await writeFile(md, renderMarkdown(report));
  const paths = [md];
  const html = await loadHtmlRenderer();
  if (html) {
    const p = freshPath(dir, base, '.html');
    await writeFile(p, html(report));
    paths.push(p);
  }
  return paths;
}

/** The HTML renderer is optional in this tree: a build without it writes Markdown only. */
async function loadHtmlRenderer(): Promise<((r: Report) => string) | null> {
  const specifier = '../report/html.js';
  try {
    const mod = (await import(specifier)) as { renderHtml?: (r: Report) => string };
    return typeof mod.renderHtml === 'function' ? mod.renderHtml : null;
  } catch {
    return null;
  }
}
