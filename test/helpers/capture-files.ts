import { CaptureReader } from '../../src/capture/reader.js';
import { encodePcapHeader, encodePcapRecord, epbFlags, PcapngEncoder } from '../../src/capture/writer.js';
import { analyzeReader, type CaptureResult } from '../../src/analysis/pass.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import type { Finding } from '../../src/analysis/finding.js';
import type { Model } from '../../src/analysis/model.js';

/**
 * Capture files the scenario helper's Capture cannot express: timestamps taken as they
 * are (zero, far future), and pcapng with several named interfaces and packet directions.
 */

const ts = (t: number) => {
  const sec = Math.floor(t);
  return { sec, nsec: Math.min(999_999_999, Math.round((t - sec) * 1e9)) };
};

/** Classic pcap (Ethernet) whose timestamps are absolute seconds since the epoch. */
export function pcapAbsolute(packets: Array<{ t: number; data: Buffer }>, linktype = 1): Buffer {
  const o = { linktype, nanos: true } as const;
  return Buffer.concat([encodePcapHeader(o), ...packets.map((p) => encodePcapRecord(o, ts(p.t), p.data))]);
}

export interface IfacePacket {
  t: number;
  iface: number;
  data: Buffer;
  direction?: 'inbound' | 'outbound';
}

/** pcapng with one interface block per entry of `ifaces` (all Ethernet unless said), like `dumpcap -i eth0 -i eth1`. */
export class MultiInterfaceCapture {
  readonly packets: IfacePacket[] = [];
  constructor(
    public readonly name: string,
    public readonly ifaces: Array<{ name: string; linktype?: number }>,
    /** Seconds added to every packet time. */
    public readonly epoch = 1_700_000_000,
  ) {}
  add(t: number, iface: number, data: Buffer, direction?: 'inbound' | 'outbound'): this {
    this.packets.push({ t, iface, data, ...(direction ? { direction } : {}) });
    return this;
  }
  bytes(): Buffer {
    const enc = new PcapngEncoder();
    const parts = [enc.sectionHeader()];
    for (const i of this.ifaces) parts.push(enc.interfaceDescription({ linktype: i.linktype ?? 1, name: i.name, tsresol: { base: 10, exponent: 9 } }));
    for (const p of this.packets) parts.push(enc.enhancedPacket(p.iface, ts(this.epoch + p.t), p.data, p.direction ? { flags: epbFlags({ direction: p.direction }) } : {}));
    return Buffer.concat(parts);
  }
}

/** Analyze in-memory capture files the way `netdiag read` does, without node state. */
export async function analyzeFiles(files: Array<{ name: string; bytes: Buffer }>): Promise<{ model: Model; findings: Finding[]; results: CaptureResult[] }> {
  const results: CaptureResult[] = [];
  for (const [i, f] of files.entries()) results.push(await analyzeReader(CaptureReader.fromBuffer(f.bytes, f.name), { name: f.name, path: f.name }, i));
  const { model, findings } = diagnose(results, null);
  return { model, findings, results };
}
