import { CaptureReader } from '../../src/capture/reader.js';
import { encodePcapHeader, encodePcapRecord } from '../../src/capture/writer.js';
import { analyzeReader } from '../../src/analysis/pass.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import type { Correlation } from '../../src/correlate/types.js';
import { ethernet, ETHERTYPE, geneve, gre, icmpEcho, ipip, ipPacket, ipTcp, ipUdp, vxlan } from '../../src/craft/index.js';
import type { Finding } from '../../src/analysis/finding.js';
import type { Model } from '../../src/analysis/model.js';

export type Encap = 'vxlan' | 'geneve' | 'gre' | 'ipip';

export interface Frame {
  t: number;
  data: Buffer;
  /** Captured bytes (snaplen); the whole frame when absent. */
  snap?: number;
}

/** In-memory pcap (Ethernet, nanosecond timestamps). */
export function pcap(frames: Frame[], t0 = 1_700_000_000): Buffer {
  const o = { linktype: 1, nanosecond: true };
  const parts = [encodePcapHeader(o)];
  for (const f of frames) {
    const t = t0 + f.t;
    const sec = Math.floor(t);
    const data = f.snap !== undefined ? f.data.subarray(0, f.snap) : f.data;
    parts.push(encodePcapRecord(o, { sec, nsec: Math.round((t - sec) * 1e9) }, data, f.data.length));
  }
  return Buffer.concat(parts);
}

export const NODE1 = '198.18.0.1';
export const NODE2 = '198.18.0.2';
const MAC = { node1: '02:00:00:00:00:01', node2: '02:00:00:00:00:02', vtep1: '0a:00:00:00:00:01', vtep2: '0a:00:00:00:00:02', podA: '0e:00:00:00:00:0a', podB: '0e:00:00:00:00:0b', gw: '0e:00:00:00:00:01' };

/** A bare frame as a pod's eth0 sees it. */
export function bare(ip: Buffer): Buffer {
  return ethernet({ src: MAC.podA, dst: MAC.gw, type: ETHERTYPE.IPV4 }, ip);
}

/** The inner IP packet `ip` as it crosses the underlay from `from` to `to` in the given encapsulation. */
export function encapsulate(kind: Encap, ip: Buffer, from: string, to: string, vni = 1): Buffer {
  const frame = () => ethernet({ src: MAC.vtep1, dst: MAC.vtep2, type: ETHERTYPE.IPV4 }, ip);
  let outer: Buffer;
  if (kind === 'vxlan') outer = ipUdp({ src: from, dst: to, sport: 40123, dport: 8472, checksum: 'zero' }, vxlan({ vni }, frame()));
  else if (kind === 'geneve') outer = ipUdp({ src: from, dst: to, sport: 40123, dport: 6081, checksum: 'zero' }, geneve({ vni }, frame()));
  else if (kind === 'gre') outer = ipPacket({ src: from, dst: to }, 47, gre({ protocol: ETHERTYPE.IPV4, key: vni }, ip));
  else outer = ipip({ src: from, dst: to }, ip);
  return ethernet({ src: MAC.node1, dst: MAC.node2, type: ETHERTYPE.IPV4 }, outer);
}

export interface PingOptions {
  src: string;
  dst: string;
  id: number;
  seq: number;
  ipId: number;
  ttl: number;
  size?: number;
}

/** An ICMP echo request (or reply) with a payload that differs per seq. */
export function ping(o: PingOptions & { reply?: boolean }): Buffer {
  const data = Buffer.alloc(o.size ?? 56);
  for (let k = 0; k < data.length; k++) data[k] = (o.seq * 7 + k) & 0xff;
  return ipPacket({ src: o.src, dst: o.dst, ttl: o.ttl, id: o.ipId, df: true }, 1, icmpEcho({ id: o.id, seq: o.seq, reply: o.reply ?? false }, data));
}

export function tcpSegment(o: { src: string; dst: string; sport: number; dport: number; seq: number; ack: number; flags: string; ipId: number; ttl: number; len?: number }): Buffer {
  return ipTcp({ src: o.src, dst: o.dst, sport: o.sport, dport: o.dport, seq: o.seq, ack: o.ack, flags: o.flags, id: o.ipId, ttl: o.ttl, df: true }, Buffer.alloc(o.len ?? 0, 0x61));
}

export { ipUdp };

/** Run the whole diagnosis over named in-memory captures; the correlation and findings. */
export async function correlateCaptures(captures: Array<{ name: string; bytes: Buffer }>): Promise<{ correlation: Correlation; findings: Finding[]; model: Model }> {
  const results = [];
  for (let k = 0; k < captures.length; k++) {
    const c = captures[k]!;
    results.push(await analyzeReader(CaptureReader.fromBuffer(c.bytes, c.name), { name: c.name, path: '-' }, k));
  }
  const { model, findings } = diagnose(results, null);
  return { correlation: model.correlation!, findings, model };
}
