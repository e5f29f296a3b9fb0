import { CaptureReader } from '../../src/capture/reader.js';
import { encodePcapHeader, encodePcapRecord } from '../../src/capture/writer.js';
import { arp, ethernet, ETHERTYPE, ipTcp, ipUdp, vxlan, type TcpOptions } from '../../src/craft/index.js';
import { analyzeReader, type CaptureResult } from '../../src/analysis/pass.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import type { Finding } from '../../src/analysis/finding.js';
import type { Model } from '../../src/analysis/model.js';

/** A flannel-style node for crafted captures: underlay IP/MAC, VTEP MAC, pod /24. */
export interface Node {
  ip: string;
  mac: string;
  vtepMac: string;
  pods: string; // e.g. '100.96.1'
  vni?: number;
}

export const node = (n: number, over: Partial<Node> = {}): Node => ({
  ip: `198.18.0.${n}`,
  mac: `02:00:00:00:00:0${n}`,
  vtepMac: `0a:00:00:00:00:0${n}`,
  pods: `100.96.${n}`,
  ...over,
});

/** Packets with timestamps, in capture order. */
export class Capture {
  readonly packets: Array<{ t: number; data: Buffer }> = [];
  constructor(public readonly name = 'test.pcap') {}
  add(t: number, data: Buffer): this {
    this.packets.push({ t, data });
    return this;
  }
  bytes(): Buffer {
    const o = { linktype: 1, nanos: true } as const;
    const parts = [encodePcapHeader(o)];
    for (const p of this.packets) {
      const sec = Math.floor(p.t);
      parts.push(encodePcapRecord(o, { sec: 1_700_000_000 + sec, nsec: Math.round((p.t - sec) * 1e9) }, p.data));
    }
    return Buffer.concat(parts);
  }
}

/** A pod-to-pod TCP segment encapsulated by `from`'s VTEP towards `to` (flannel vxlan, UDP 8472). */
export function vxlanTcp(from: Node, to: Node, tcp: Omit<TcpOptions, 'flags'> & { flags: string }, payloadLen = 0, over: { outerDst?: string; innerDstMac?: string; vni?: number; innerSrc?: string; innerDst?: string; outerChecksum?: 'zero' | 'auto' | 'bad' } = {}): Buffer {
  const inner = ethernet(
    { src: from.vtepMac, dst: over.innerDstMac ?? to.vtepMac, type: ETHERTYPE.IPV4 },
    ipTcp({ src: over.innerSrc ?? `${from.pods}.10`, dst: over.innerDst ?? `${to.pods}.10`, ttl: 63, df: true, ...tcp }, Buffer.alloc(payloadLen, 0x61)),
  );
  return ethernet(
    { src: from.mac, dst: to.mac, type: ETHERTYPE.IPV4 },
    ipUdp({ src: from.ip, dst: over.outerDst ?? to.ip, sport: 40000 + (tcp.sport % 1000), dport: 8472, checksum: over.outerChecksum ?? 'zero' }, vxlan({ vni: over.vni ?? from.vni ?? 1 }, inner)),
  );
}

export function arpRequest(from: Node, targetIp: string): Buffer {
  return ethernet({ src: from.mac, dst: 'ff:ff:ff:ff:ff:ff', type: ETHERTYPE.ARP, pad: true }, arp({ op: 'request', senderMac: from.mac, senderIp: from.ip, targetIp }));
}

export function arpReply(from: Node, to: Node): Buffer {
  return ethernet({ src: from.mac, dst: to.mac, type: ETHERTYPE.ARP, pad: true }, arp({ op: 'reply', senderMac: from.mac, senderIp: from.ip, targetMac: to.mac, targetIp: to.ip }));
}

/** A complete TCP exchange pod(a) → pod(b): handshake, `segments` data segments each acked, FIN. */
export function healthyExchange(c: Capture, a: Node, b: Node, t0: number, sport = 43210, segments = 3, size = 1398): void {
  let t = t0;
  const step = () => (t += 0.001);
  c.add(step(), vxlanTcp(a, b, { sport, dport: 80, seq: 1000, flags: 'S', options: [{ kind: 'mss', value: 1410 }] }));
  c.add(step(), vxlanTcp(b, a, { sport: 80, dport: sport, seq: 5000, ack: 1001, flags: 'SA', options: [{ kind: 'mss', value: 1410 }] }));
  c.add(step(), vxlanTcp(a, b, { sport, dport: 80, seq: 1001, ack: 5001, flags: '.' }));
  let seq = 1001;
  for (let k = 0; k < segments; k++) {
    c.add(step(), vxlanTcp(a, b, { sport, dport: 80, seq, ack: 5001, flags: 'P.' }, size));
    seq += size;
    c.add(step(), vxlanTcp(b, a, { sport: 80, dport: sport, seq: 5001, ack: seq, flags: '.' }));
  }
  c.add(step(), vxlanTcp(a, b, { sport, dport: 80, seq, ack: 5001, flags: 'F.' }));
  c.add(step(), vxlanTcp(b, a, { sport: 80, dport: sport, seq: 5001, ack: seq + 1, flags: 'F.' }));
  c.add(step(), vxlanTcp(a, b, { sport, dport: 80, seq: seq + 1, ack: 5002, flags: '.' }));
}

export async function analyzeCaptures(captures: Capture[]): Promise<{ model: Model; findings: Finding[]; results: CaptureResult[] }> {
  const results: CaptureResult[] = [];
  for (const [i, c] of captures.entries()) {
    results.push(await analyzeReader(CaptureReader.fromBuffer(c.bytes(), c.name), { name: c.name, path: c.name }, i));
  }
  const { model, findings } = diagnose(results, null);
  return { model, findings, results };
}

export function problems(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity !== 'info');
}
