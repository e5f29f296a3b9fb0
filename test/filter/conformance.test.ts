import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../../src/capture/reader.js';
import { Decoder } from '../../src/decode/decoder.js';
import { createRegistry, parseDecodeAs } from '../../src/decode/protocols.js';
import type { Registry } from '../../src/decode/registry.js';
import { compileFilter } from '../../src/filter/index.js';

/*
 * The oracle: for each capture, the frames a filter selects must be the frames
 * `tshark -Y FILTER` selects. Filters over protocols whose dissector is not written yet
 * are listed but run only once the registry knows every protocol they name.
 */

const CORPUS = join(import.meta.dirname, '../../../shared/corpus/tcpdump');
const run = promisify(execFile);

function haveTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Capture {
  file: string;
  /** Decode-as overrides, in tshark's -d syntax (also given to netdiag). */
  decodeAs?: string[];
  /** Filters, each with the protocols it needs dissected before it can be compared. */
  filters: Array<[needs: string[], filter: string]>;
}

const ANY: string[] = [];

/** VXLAN over UDP: eth/ip/udp/vxlan outside, ARP or ICMP inside. */
const VXLAN_FILTERS: Capture['filters'] = [
  [ANY, 'vxlan'],
  [ANY, 'udp'],
  [ANY, 'ip'],
  [ANY, 'eth'],
  [ANY, 'frame'],
  [ANY, 'not vxlan'],
  [ANY, 'ip.src == 192.168.203.1'],
  [ANY, 'ip.src != 192.168.203.1'],
  [ANY, 'ip.src !== 192.168.203.1'],
  [ANY, 'ip.src ~= 192.168.203.1'],
  [ANY, 'ip.src === 192.168.203.1'],
  [ANY, 'ip.src all_eq 192.168.203.1'],
  [ANY, 'ip.src != 192.168.203.3'],
  [ANY, '!(ip.src == 192.168.203.3)'],
  [ANY, 'ip.dst == 192.168.202.0/24'],
  [ANY, 'ip.addr == 192.168.203.0/24'],
  [ANY, 'ip.addr != 192.168.203.1'],
  [ANY, 'ip.dst == 192.168.203.5/24'],
  [ANY, 'ip.src == 0.0.0.0/0'],
  [ANY, 'ip.src == 192.168.203.3/32'],
  [ANY, 'ip.src == 192.168.203.1/31'],
  [ANY, 'ip.src in {192.168.203.1, 192.168.202.1}'],
  [ANY, 'ip.src not in {192.168.203.1}'],
  [ANY, 'ip.dst in {192.168.202.0..192.168.202.255}'],
  [ANY, 'ip.src in {192.168.202.0/24}'],
  [ANY, 'ip.dst > 192.168.202.1'],
  [ANY, 'ip.dst <= 192.168.202.1'],
  [ANY, 'udp.port in {4000..5000}'],
  [ANY, 'udp.srcport in {45149, 42710}'],
  [ANY, 'udp.srcport in {0x1 .. 0xffff}'],
  [ANY, 'udp.dstport == 4789'],
  [ANY, 'udp.srcport >= 45000'],
  [ANY, 'udp.srcport lt 40000'],
  [ANY, 'udp.srcport le 42710'],
  [ANY, 'udp.srcport gt 45149'],
  [ANY, 'udp.srcport ge 45149'],
  [ANY, 'udp.srcport ne 45149'],
  [ANY, 'udp.srcport eq 0xb05d'],
  [ANY, 'udp.srcport == 0130135'],
  [ANY, 'udp.port & 0xff == 0x5d'],
  [ANY, 'udp.srcport & 0x8000'],
  [ANY, 'udp.srcport & 0x0100'],
  [ANY, 'not udp.srcport & 0x1'],
  [ANY, 'ip.proto == UDP'],
  [ANY, 'ip.proto == 17'],
  [ANY, 'ip.proto == "UDP"'],
  [ANY, 'ip.proto in {UDP, TCP}'],
  [ANY, 'ip.proto == 1'],
  [ANY, 'ip.proto != 17'],
  [ANY, 'ip.flags.df == 1'],
  [ANY, 'ip.flags.df == True'],
  [ANY, 'ip.flags.df == False'],
  [ANY, 'ip.flags.df == 0'],
  [ANY, 'ip.flags.df != 1'],
  [ANY, 'ip.flags.df'],
  [ANY, 'eth.src == 36:dc:85:1e:b3:40'],
  [ANY, 'eth.src == 36-dc-85-1e-b3-40'],
  [ANY, 'eth.src == 36dc.851e.b340'],
  [ANY, 'eth.src == 36dc851eb340'],
  [ANY, 'eth.src == 36:DC:85:1E:B3:40'],
  [ANY, 'eth.dst == ff:ff:ff:ff:ff:ff'],
  [ANY, 'eth.dst == ffff.ffff.ffff'],
  [ANY, 'eth.dst in {ff:ff:ff:ff:ff:ff, 00:30:88:01:00:02}'],
  [ANY, 'eth.src in {00:00:00:00:00:00..36:dc:85:1e:b3:40}'],
  [ANY, 'eth.src contains 36:dc'],
  [ANY, 'eth.dst contains 71:cf'],
  [ANY, 'eth.dst > 36:dc:85:1e:b3:40'],
  [ANY, 'eth.type == 0x0806'],
  [ANY, 'eth.type == 0x0800 && eth.type == 0x0806'],
  [ANY, 'eth.type != 0x0800'],
  [ANY, 'vxlan.vni == 100'],
  [ANY, 'vxlan.vni != 100'],
  [ANY, 'frame.len > 100'],
  [ANY, 'frame.len <= 98 and frame.len > 60'],
  [ANY, 'frame.number in {1..3, 7}'],
  [ANY, 'frame.number >= 3 && frame.number le 5'],
  [ANY, 'frame.time_relative > 1'],
  [ANY, 'frame.time_relative > 1.5'],
  [ANY, 'frame.time_relative == 0'],
  [ANY, 'frame.time_relative < 0.000001'],
  [ANY, 'frame.time_epoch > 1368908504.882198'],
  [ANY, 'frame.time_epoch >= 1368908504.882198'],
  [ANY, 'not ip.src == 192.168.203.1 and udp or ip.len == 92'],
  [ANY, 'udp.srcport == 45149 || vxlan && ip.src == 192.168.202.1'],
  [ANY, 'frame.number == 3 or frame.number == 4 and frame.number == 5'],
  [ANY, '!(udp.srcport == 45149 || udp.srcport == 42710) && ip.ttl == 64'],
  [ANY, '((ip.ttl == 62) or (((frame.number == 10))))'],
  [ANY, 'ip.ttl == ip.ttl'],
  [ANY, 'ip.ttl != ip.ttl'],
  [ANY, 'udp.srcport > udp.dstport'],
  [ANY, 'ip.src == ip.dst'],
  [ANY, 'ip.src != ip.dst'],
  [ANY, 'frame contains 36:dc:85:1e'],
  [ANY, 'frame contains "\\x36\\xdc"'],
  [ANY, 'frame contains 00:00:64'],
  [ANY, 'frame contains ff:ff:ff:ff:ff:ff'],
  [ANY, 'ip.ttl == 62'],
  [ANY, "ip.ttl == '@'"],
  [ANY, 'ip.len > 100'],
  [ANY, 'ip.id == 0x0'],
  [ANY, 'ip.id == 0xd2c0'],
  [ANY, 'ip.checksum == 0x0000'],
  [['arp'], 'arp'],
  [['arp'], 'arp.src.proto_ipv4 == 192.168.203.5'],
  [['arp'], 'arp.opcode == 2'],
  [['arp'], 'arp.dst.hw_mac == 00:00:00:00:00:00'],
  [['arp'], 'not ip.src == 192.168.203.1 and udp or arp'],
  [['arp'], 'udp.srcport == 45149 || arp && ip.src == 192.168.202.1'],
  [['icmp'], 'icmp'],
  [['icmp'], 'icmp.type == 8'],
  [['icmp'], 'icmp.type != 8'],
  [['icmp'], 'icmp.type not in {8}'],
  [['icmp'], 'icmp.seq > 2'],
];

const CAPTURES: Capture[] = [
  { file: 'vxlan.pcap', filters: VXLAN_FILTERS },
  {
    // The same traffic on Linux's VXLAN port: what matters here is the decode-as override.
    file: 'vxlan_port_8472.pcap',
    decodeAs: ['udp.port==8472,vxlan'],
    filters: [
      [ANY, 'vxlan'],
      [ANY, 'not vxlan'],
      [ANY, 'udp.port == 8472'],
      [ANY, 'udp.dstport == 8472 and vxlan.vni == 100'],
      [ANY, 'ip.src != 192.168.203.1'],
      [ANY, 'ip.src === 192.168.203.1'],
      [ANY, 'ip.dst == 192.168.202.0/24'],
      [ANY, 'eth.src == 36:dc:85:1e:b3:40'],
      [ANY, 'eth.type == 0x0800 && eth.type == 0x0806'],
      [ANY, 'ip.ttl == ip.ttl'],
      [['arp'], 'arp'],
      [['icmp'], 'icmp.type != 8'],
    ],
  },
  {
    file: 'various_gre.pcap',
    filters: [
      [['vlan'], 'vlan'],
      [['vlan'], 'vlan.id == 1213'],
      [['vlan'], 'eth.type == 0x8100'],
      [['vlan'], 'not vlan and eth.len'],
      [['vlan'], 'eth.len in {34, 432}'],
      [['vlan'], 'eth.len > 38'],
      [['vlan'], 'llc.dsap == 0x42'],
      [['vlan'], 'llc'],
      [['vlan', 'gre'], 'gre'],
      [['vlan', 'gre'], 'gre.proto == 0x8909'],
      [['vlan', 'gre'], 'gre.proto == 0x2000'],
      [['vlan', 'gre'], 'gre.proto != 0x8909'],
      [['vlan', 'gre'], 'ip.addr == 10.172.64.6'],
      [['vlan', 'gre'], 'ip and not gre'],
      [['vlan', 'gre'], 'vlan.id == 1213 and not gre'],
    ],
  },
  {
    file: 'geneve.pcap',
    filters: [
      [['geneve'], 'geneve'],
      [['geneve'], 'geneve.vni == 0xa'],
      [['geneve'], 'geneve.vni == 11'],
      [['geneve'], 'geneve.vni in {10, 11}'],
      [['geneve'], 'geneve.vni != 10'],
      [['geneve'], 'geneve.proto_type == 0x6558'],
      [['geneve'], 'ip.src == 20.0.0.1'],
      [['geneve'], 'ip.src == 30.0.0.0/8'],
      [['geneve'], 'ip.dst != 30.0.0.1'],
      [['geneve'], 'ip.src !== 20.0.0.1'],
      [['geneve', 'tcp'], 'tcp'],
      [['geneve', 'tcp'], 'tcp.dstport == 22'],
      [['geneve', 'tcp'], 'tcp.port == 22 and geneve.vni == 11'],
      [['geneve', 'tcp'], 'tcp.flags.syn == 1'],
      [['geneve', 'tcp'], 'tcp.flags.syn == 1 and tcp.flags.ack == 0'],
      [['geneve', 'tcp'], 'tcp.options.mss_val'],
      [['geneve', 'tcp'], 'tcp.options.mss_val >= 1400'],
      [['geneve', 'icmp'], 'icmp.type == 0'],
    ],
  },
  {
    file: 'bgp-4byte-asn.pcap',
    filters: [
      [['arp'], 'arp'],
      [['tcp'], 'tcp'],
      [['tcp'], 'tcp.port == 179'],
      [['tcp'], 'tcp.srcport == 179'],
      [['tcp'], 'tcp.port in {33993, 34883}'],
      [['tcp'], 'tcp.flags.syn == 1'],
      [['tcp'], 'tcp.len > 0'],
      [['tcp', 'bgp'], 'bgp'],
      [['tcp', 'bgp'], 'bgp.type == 2'],
      [['tcp', 'bgp'], 'bgp.type == 4'],
      [['tcp', 'bgp'], 'bgp.type != 4'],
      [['tcp', 'bgp'], 'bgp.type === 2'],
      [['tcp', 'bgp'], 'bgp.type in {1..3}'],
      [['tcp', 'bgp'], 'bgp.open.myas == 23456'],
      [['tcp', 'bgp'], 'tcp and not bgp'],
    ],
  },
  {
    file: 'icmpv6.pcap',
    filters: [
      [['ipv6'], 'ipv6'],
      [['ipv6'], 'ipv6.src == fe80::/10'],
      [['ipv6'], 'ipv6.dst == ff02::1'],
      [['ipv6'], 'ipv6.dst == FF02::1'],
      [['ipv6'], 'ipv6.dst == ff02:0:0:0:0:0:0:1'],
      [['ipv6'], 'ipv6.dst > ff02::1'],
      [['ipv6'], 'ipv6.dst in {ff02::1, ff02::2}'],
      [['ipv6'], 'ipv6.dst in {ff02::1..ff02::ffff}'],
      [['ipv6'], 'ipv6.dst in {ff02::1/128}'],
      [['ipv6'], 'ipv6.addr == fe80::215:17ff:fecc:e546'],
      [['ipv6'], 'ipv6.src == fe80::215:17ff:fecc:e546/128'],
      [['ipv6'], 'ipv6.src != fe80::215:17ff:fecc:e546'],
      [['ipv6'], 'ipv6.src == fe80::215:17ff:fecc:e547/127'],
      [['ipv6'], 'ipv6.dst == ff02::/16'],
      [['ipv6'], 'ipv6.dst == ff02::1:ff00:0/104'],
      [['ipv6'], 'ipv6.src == ::/0'],
      [['ipv6'], 'ipv6.addr == fe80::/64'],
      [['ipv6'], 'ipv6.hlim == 255'],
      [['ipv6', 'icmpv6'], 'icmpv6'],
      [['ipv6', 'icmpv6'], 'icmpv6.type == 143'],
      [['ipv6', 'icmpv6'], 'icmpv6.type in {130, 134}'],
      [['ipv6', 'icmpv6'], 'icmpv6.type != 143 and ipv6.dst == ff02::1'],
    ],
  },
];

async function tsharkFrames(c: Capture, filter: string): Promise<number[]> {
  const args = ['-n', '-r', join(CORPUS, c.file)];
  for (const d of c.decodeAs ?? []) args.push('-d', d);
  args.push('-Y', filter, '-T', 'fields', '-e', 'frame.number');
  const { stdout } = await run('tshark', args, { maxBuffer: 16 << 20 });
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

/** Decode the capture once and evaluate every filter on each packet. */
async function netdiagFrames(reg: Registry, c: Capture, filters: string[]): Promise<number[][]> {
  const compiled = filters.map((f) => compileFilter(reg, f));
  const out = filters.map(() => [] as number[]);
  const dec = new Decoder(reg);
  const r = await CaptureReader.open(join(CORPUS, c.file));
  try {
    for (;;) {
      while (r.next()) {
        const p = dec.decode(r.rec);
        for (let k = 0; k < compiled.length; k++) if (compiled[k]!.matches(p)) out[k]!.push(p.number);
      }
      if (!(await r.fill())) break;
    }
  } finally {
    await r.close();
  }
  return out;
}

/** Run tasks with at most `limit` in flight (tshark's startup dominates each run). */
async function pool<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const k = next++;
      results[k] = await tasks[k]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

const available = haveTshark() && existsSync(CORPUS);

describe.skipIf(!available)('display filters select the frames tshark selects', () => {
  for (const c of CAPTURES) {
    describe(c.file, () => {
      let reg: Registry;
      const runnable = (needs: string[]) => needs.every((n) => reg.has(n));
      let ours: Map<string, number[]>;
      let theirs: Map<string, number[]>;

      beforeAll(async () => {
        reg = createRegistry();
        for (const spec of c.decodeAs ?? []) {
          const d = parseDecodeAs(spec, reg);
          if (typeof d === 'string') throw new Error(d);
          reg.setDispatch(d.table, d.key, d.proto);
        }
        const filters = c.filters.filter(([needs]) => runnable(needs)).map(([, f]) => f);
        const mine = await netdiagFrames(reg, c, filters);
        const ref = await pool(
          filters.map((f) => () => tsharkFrames(c, f)),
          4,
        );
        ours = new Map(filters.map((f, k) => [f, mine[k]!]));
        theirs = new Map(filters.map((f, k) => [f, ref[k]!]));
        // One tshark run per filter (about 0.3 s of CPU each): allow for a busy machine.
      }, 600_000);

      for (const [needs, filter] of c.filters) {
        it(filter, (ctx) => {
          if (!runnable(needs)) ctx.skip();
          expect(ours.get(filter)).toEqual(theirs.get(filter));
        });
      }
    });
  }
});
