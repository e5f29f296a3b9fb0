import { NANOSECONDS, PcapngWriter, type SinkTarget } from '../capture/writer.js';
import { escapeControl } from '../output/escape.js';
import type { CitedPacket } from './key-packets.js';
import type { Report } from './report.js';

/**
 * `--evidence FILE.pcapng`: only the packets the findings cite, from every capture, small
 * enough to attach to a ticket. Each capture point (and link type within it) gets its own
 * interface block named after it, and each packet a comment naming the findings that cite it,
 * so Wireshark shows where a packet was seen and why it is there.
 */
export interface EvidenceResult {
  packets: number;
  interfaces: number;
}

function citeComment(r: Report, p: CitedPacket): string {
  const names = p.citedBy.map((k) => {
    const f = r.findings[k]!;
    return `#${k + 1} ${f.id}: ${f.title}`;
  });
  // Comments are shown by tshark on terminals: no control characters from packets.
  return escapeControl(`netdiag: ${p.capture} frame ${p.number}, cited by ${names.join('; ')}`);
}

export async function writeEvidence(path: SinkTarget, r: Report, cited: readonly CitedPacket[]): Promise<EvidenceResult> {
  const offset = new Map(r.captures.map((c) => [c.index, c.clockOffset] as const));
  const at = (p: CitedPacket) => p.tsSec + p.tsNsec / 1e9 + (offset.get(p.captureIndex) ?? 0);
  const ordered = [...cited].sort((a, b) => at(a) - at(b) || a.captureIndex - b.captureIndex || a.number - b.number);
  const w = new PcapngWriter(path, { section: { userAppl: `netdiag ${escapeControl(r.netdiag.version)}`, comment: escapeControl(r.verdict) } });
  const ids = new Map<string, number>();
  for (const p of ordered) {
    const key = `${p.captureIndex}/${p.ifIndex}/${p.linktype}`;
    let id = ids.get(key);
    if (id === undefined) {
      const c = r.captures.find((x) => x.index === p.captureIndex);
      id = w.addInterface({
        linktype: p.linktype,
        snaplen: 0,
        name: escapeControl(p.capture),
        description: escapeControl(`${c?.file ?? p.capture}${p.ifName !== undefined ? ` interface ${p.ifName}` : ''}`),
        tsresol: NANOSECONDS,
      });
      ids.set(key, id);
    }
    w.writePacket(id, { sec: p.tsSec, nsec: p.tsNsec }, p.data, 0, p.data.length, Math.max(p.wireLen, p.data.length), { comment: citeComment(r, p) });
  }
  await w.close();
  return { packets: ordered.length, interfaces: ids.size };
}
