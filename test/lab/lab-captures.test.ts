/**
 * Pins that the lab builds what it claims: each scenario is generated on the
 * real kernel and its captures are checked with tshark for the property that
 * defines the fault (where packets go, where they vanish, what the control
 * plane says), then netdiag's diagnosis of the same captures is checked against the
 * scenario's truth: the right component and node on top, or nothing on healthy runs.
 *
 * Needs root and the kernel features the lab uses; otherwise the suite is
 * skipped and its name says exactly what is missing. Under CI it fails instead.
 * LAB_SCENARIOS=a,b limits the run to some scenarios.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { which } from './lib/exec.js';
import { preflight } from './lib/preflight.js';
import { SCENARIOS } from './scenarios.js';
import { tsharkCount as count, tsharkRows as rows } from './tshark.js';
import { diagnoseScenario, expectDiagnosis } from '../helpers/lab-diagnosis.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

const NODE_MAC = { node1: '02:00:c6:12:00:01', node2: '02:00:c6:12:00:02', node3: '02:00:c6:12:00:03' };
const VTEP_MAC = { node2: '2e:7d:a4:c6:12:02' };
/** node2's VTEP MAC once its flannel.1 came back (flannel-vxlan-vtep-mac-changed). */
const NEW_VTEP_MAC = { node2: '2e:7d:a4:c6:99:02' };
const GW_MAC = 'aa:c6:12:00:00:fe';
const sum = (xs: string[][]) => xs.reduce((a, r) => a + Number(r[0] ?? 0), 0);
const distinct = (xs: string[][], i = 0) => [...new Set(xs.map((r) => r[i] ?? ''))].sort();

/** Echo replies pod-a received, by ICMP payload size (IP total length − 28). */
function echoReplySizes(file: string, from: string): number[] {
  return [...new Set(rows(file, `icmp.type==0 && ip.src==${from}`, ['ip.len']).map((r) => Number(r[0]) - 28))].sort((a, b) => a - b);
}

const CHECKS: Record<string, (dir: string) => void> = {
  'flannel-vxlan-healthy'(d) {
    const encap = rows(join(d, 'node1-underlay.pcap'), 'vxlan && ip.src==100.96.1.2 && ip.dst==100.96.2.2', ['ip.dst', 'vxlan.vni']);
    expect(encap.length).toBeGreaterThan(10);
    expect(distinct(encap)).toEqual(['198.18.0.2,100.96.2.2']);
    expect(distinct(encap, 1)).toEqual(['1']);
    expect(echoReplySizes(join(d, 'pod-a.pcap'), '100.96.2.2')).toEqual([56, 1000, 1422]);
    expect(sum(rows(join(d, 'pod-b.pcap'), 'tcp.dstport==8080 && tcp.len>0 && !tcp.analysis.retransmission', ['tcp.len']))).toBe(4096);
    expect(count(join(d, 'pod-a.pcap'), 'tcp.analysis.retransmission')).toBe(0);
  },

  'flannel-vxlan-stale-fdb'(d) {
    const toPodB = 'vxlan && ip.src==100.96.1.2 && ip.dst==100.96.2.2';
    const sent = rows(join(d, 'node1-underlay.pcap'), toPodB, ['ip.dst', 'eth.dst']);
    expect(sent.length).toBeGreaterThan(5);
    // Outer destination is node3 although the inner frame is addressed to node2's VTEP.
    expect(distinct(sent)).toEqual(['198.18.0.3,100.96.2.2']);
    expect(distinct(sent, 1)).toEqual([`${NODE_MAC.node3},${VTEP_MAC.node2}`]);
    expect(count(join(d, 'node3-underlay.pcap'), toPodB)).toBe(sent.length);
    expect(count(join(d, 'node2-underlay.pcap'), toPodB)).toBe(0);
    expect(count(join(d, 'pod-b.pcap'), 'ip.src==100.96.1.2')).toBe(0);
  },

  'flannel-vxlan-dead-fdb'(d) {
    const ul = join(d, 'node1-underlay.pcap');
    expect(count(ul, 'arp.opcode==1 && arp.dst.proto_ipv4==198.18.0.9')).toBeGreaterThanOrEqual(3);
    expect(count(ul, 'arp.opcode==2 && arp.src.proto_ipv4==198.18.0.9')).toBe(0);
    expect(count(ul, 'vxlan && ip.dst==100.96.2.2')).toBe(0);
    expect(readFileSync(join(d, 'nodes/node1/bridge-fdb.txt'), 'utf8')).toContain(`${VTEP_MAC.node2} dev flannel.1 dst 198.18.0.9`);
  },

  'flannel-vxlan-missing-neigh'(d) {
    // The ARP for the remote VTEP address is emitted on flannel.1 and dies there.
    expect(count(join(d, 'node1-any.pcap'), 'arp.opcode==1 && arp.dst.proto_ipv4==100.96.2.0')).toBeGreaterThanOrEqual(2);
    expect(count(join(d, 'node1-any.pcap'), 'arp.opcode==2 && arp.src.proto_ipv4==100.96.2.0')).toBe(0);
    expect(count(join(d, 'node1-underlay.pcap'), 'vxlan && ip.dst==100.96.2.2')).toBe(0);
    expect(count(join(d, 'pod-a.pcap'), 'icmp.type==3 && icmp.code==1 && ip.src==100.96.1.1')).toBeGreaterThan(0);
  },

  'flannel-vxlan-vtep-mac-changed'(d) {
    const toPodB = 'vxlan && ip.src==100.96.1.2 && ip.dst==100.96.2.2';
    const sent = rows(join(d, 'node1-underlay.pcap'), toPodB, ['ip.dst', 'eth.dst']);
    expect(sent.length).toBeGreaterThan(5);
    // The right node, the old MAC: node2 receives every frame and delivers none.
    expect(distinct(sent)).toEqual(['198.18.0.2,100.96.2.2']);
    expect(distinct(sent, 1)).toEqual([`${NODE_MAC.node2},${VTEP_MAC.node2}`]);
    expect(count(join(d, 'node2-underlay.pcap'), toPodB)).toBe(sent.length);
    expect(count(join(d, 'pod-b.pcap'), 'ip.src==100.96.1.2')).toBe(0);
    // node2's own traffic leaves from the new MAC and reaches pod-a; the replies die like the rest.
    expect(distinct(rows(join(d, 'node2-underlay.pcap'), 'vxlan && ip.src==100.96.2.2', ['eth.src']))).toEqual([`${NODE_MAC.node2},${NEW_VTEP_MAC.node2}`]);
    expect(count(join(d, 'pod-a.pcap'), 'icmp.type==8 && ip.src==100.96.2.2')).toBeGreaterThan(0);
    expect(count(join(d, 'pod-b.pcap'), 'icmp.type==0')).toBe(0);
    expect(readFileSync(join(d, 'nodes/node1/ip-neigh.txt'), 'utf8')).toContain(`100.96.2.0 dev flannel.1 lladdr ${VTEP_MAC.node2} PERMANENT`);
    expect(readFileSync(join(d, 'k8s/cluster.json'), 'utf8')).toContain(`\\"VtepMAC\\":\\"${NEW_VTEP_MAC.node2}\\"`);
  },

  'flannel-vxlan-mtu'(d) {
    expect(echoReplySizes(join(d, 'pod-a.pcap'), '100.96.2.2')).toEqual([56, 1000]);
    const big = 'vxlan && ip.src==198.18.0.1 && ip.len==1500';
    expect(count(join(d, 'node1-underlay.pcap'), big)).toBeGreaterThanOrEqual(4);
    // A Linux bridge port lets frames 4 bytes over its MTU through (room for a VLAN tag),
    // so the short last TCP segment (outer IP 1402) arrives; full-size ones never do.
    expect(count(join(d, 'node2-underlay.pcap'), 'ip.src==198.18.0.1 && ip.len>1404')).toBe(0);
    expect(count(join(d, 'node2-underlay.pcap'), 'vxlan && ip.src==198.18.0.1 && ip.len<=1400')).toBeGreaterThan(0);
    expect(count(join(d, 'pod-a.pcap'), 'tcp.dstport==8080 && tcp.analysis.retransmission')).toBeGreaterThanOrEqual(2);
    expect(count(join(d, 'pod-a.pcap'), 'tcp.flags.syn==1 && tcp.flags.ack==1')).toBe(1);
    for (const f of ['pod-a.pcap', 'node1-underlay.pcap', 'node2-underlay.pcap']) {
      expect(count(join(d, f), 'icmp.type==3 && icmp.code==4')).toBe(0);
    }
  },

  'flannel-vxlan-nft-drop'(d) {
    const arriving = 'vxlan && ip.src==100.96.1.2 && ip.dst==100.96.2.2';
    expect(count(join(d, 'node2-underlay.pcap'), arriving)).toBeGreaterThan(5);
    expect(count(join(d, 'node2-any.pcap'), '!vxlan && ip.src==100.96.1.2 && ip.dst==100.96.2.2')).toBe(0);
    expect(count(join(d, 'pod-b.pcap'), 'ip.src==100.96.1.2')).toBe(0);
    expect(readFileSync(join(d, 'nodes/node2/nft-ruleset.txt'), 'utf8')).toMatch(/udp dport 8472 counter packets [1-9]\d* bytes \d+ drop/);
  },

  'flannel-vxlan-vni-mismatch'(d) {
    const ul1 = join(d, 'node1-underlay.pcap');
    expect(distinct(rows(ul1, 'vxlan && ip.src==198.18.0.1', ['vxlan.vni']))).toEqual(['1']);
    expect(distinct(rows(ul1, 'vxlan && ip.src==198.18.0.2', ['vxlan.vni']))).toEqual(['2']);
    expect(count(join(d, 'node2-underlay.pcap'), 'vxlan.vni==1 && ip.dst==100.96.2.2')).toBeGreaterThan(5);
    expect(count(join(d, 'pod-b.pcap'), 'ip.src==100.96.1.2')).toBe(0);
    expect(count(join(d, 'pod-a.pcap'), 'ip.src==100.96.2.2')).toBe(0);
  },

  'flannel-udp-healthy'(d) {
    const ul = join(d, 'node1-underlay.pcap');
    const carried = rows(ul, 'udp.dstport==8285 && ip.src==198.18.0.1', ['ip.dst', 'ip.len']);
    expect(carried.length).toBeGreaterThan(10);
    expect(distinct(carried).every((x) => x.startsWith('198.18.0.2,100.96.'))).toBe(true);
    // A raw IP packet inside UDP: outer IP length = inner IP length + 28, no Ethernet, no VXLAN header.
    for (const r of carried) {
      const [outer, inner] = (r[1] ?? '').split(',').map(Number);
      expect(outer).toBe((inner ?? 0) + 28);
    }
    expect(count(join(d, 'node1-any.pcap'), 'sll.hatype==65534 && ip.dst==100.96.2.2')).toBeGreaterThan(0);
    expect(echoReplySizes(join(d, 'pod-a.pcap'), '100.96.2.2')).toEqual([56, 1000, 1444]);
  },

  'host-gw-healthy'(d) {
    const direct = rows(join(d, 'node1-underlay.pcap'), 'ip.src==100.96.1.2 && ip.dst==100.96.2.2', ['eth.dst']);
    expect(direct.length).toBeGreaterThan(10);
    expect(distinct(direct)).toEqual([NODE_MAC.node2]);
    expect(count(join(d, 'node1-underlay.pcap'), 'udp.port==8472')).toBe(0);
    expect(echoReplySizes(join(d, 'pod-a.pcap'), '100.96.2.2')).toEqual([56, 1000, 1472]);
  },

  'host-gw-offsegment'(d) {
    const ul = join(d, 'node1-underlay.pcap');
    expect(count(ul, 'arp.opcode==1 && arp.dst.proto_ipv4==198.18.0.3')).toBeGreaterThanOrEqual(3);
    expect(count(ul, 'arp.opcode==2 && arp.src.proto_ipv4==198.18.0.3')).toBe(0);
    expect(count(ul, 'ip.dst==100.96.3.2')).toBe(0);
    expect(count(join(d, 'node3-underlay.pcap'), 'ip.src==100.96.1.2')).toBe(0);
    expect(count(join(d, 'pod-a.pcap'), 'icmp.type==3 && icmp.code==1')).toBeGreaterThan(0);
    const routes = readFileSync(join(d, 'nodes/node1/ip-route.txt'), 'utf8');
    expect(routes).toContain('100.96.3.0/24 via 198.18.0.3 dev eth0');
    expect(routes).toContain('198.18.0.3 via 198.18.0.254 dev eth0');
  },

  'host-gw-missing-route'(d) {
    const toGw = rows(join(d, 'node1-underlay.pcap'), 'ip.src==100.96.1.2 && ip.dst==100.96.2.2', ['eth.dst']);
    expect(toGw.length).toBeGreaterThan(3);
    expect(distinct(toGw)).toEqual([GW_MAC]);
    expect(count(join(d, 'node2-underlay.pcap'), 'ip.src==100.96.1.2')).toBe(0);
    expect(readFileSync(join(d, 'nodes/node1/ip-route.txt'), 'utf8')).not.toContain('100.96.2.0/24');
  },

  'bgp-healthy'(d) {
    const ul = join(d, 'node1-underlay.pcap');
    expect(distinct(rows(ul, 'bgp.type==1', ['ip.src', 'bgp.open.myas']).map((r) => [r.join(' ')]))).toEqual([
      '198.18.0.1 64512', '198.18.0.2 64512', '198.18.0.3 64512',
    ]);
    const updates = rows(ul, 'bgp.type==2 && bgp.nlri_prefix', ['ip.src', 'bgp.nlri_prefix', 'bgp.update.path_attribute.next_hop']);
    expect(distinct(updates.map((r) => [r.join(' ')]))).toEqual([
      '198.18.0.1 100.96.1.0 198.18.0.1', '198.18.0.2 100.96.2.0 198.18.0.2', '198.18.0.3 100.96.3.0 198.18.0.3',
    ]);
    expect(count(ul, 'bgp.type==4 && ip.src==198.18.0.2')).toBeGreaterThan(0);
    expect(echoReplySizes(join(d, 'pod-a.pcap'), '100.96.2.2')).toEqual([56, 1000, 1472]);
  },

  'bgp-rr-healthy'(d) {
    const ul = join(d, 'node1-underlay.pcap');
    expect(count(ul, 'tcp.port==179 && ip.addr==198.18.0.2')).toBe(0);
    const reflected = rows(ul, 'bgp.type==2 && ip.src==198.18.0.3 && bgp.nlri_prefix==100.96.2.0', [
      'bgp.update.path_attribute.next_hop', 'bgp.update.path_attribute.originator_id', 'bgp.path_attribute.cluster_id',
    ]);
    expect(reflected.length).toBeGreaterThan(0);
    // BIRD's reflector uses its router ID as the cluster ID. A segment may carry node3's own
    // UPDATE, or more than one reflected UPDATE, beside this one, so each field can list
    // several values: every originator is node2, every cluster node3.
    const fields = reflected[0]!.map((f) => [...new Set(f.split(','))]);
    expect(fields[0]).toContain('198.18.0.2');
    expect(fields[1]).toEqual(['198.18.0.2']);
    expect(fields[2]).toEqual(['198.18.0.3']);
    expect(echoReplySizes(join(d, 'pod-a.pcap'), '100.96.2.2')).toEqual([56, 1000, 1472]);
  },

  'bgp-wrong-as'(d) {
    const ul = join(d, 'node1-underlay.pcap');
    expect(distinct(rows(ul, 'bgp.type==1 && ip.src==198.18.0.2', ['bgp.open.myas']))).toEqual(['64513']);
    const notes = rows(ul, 'bgp.type==3 && ip.src==198.18.0.1 && ip.dst==198.18.0.2', ['bgp.notify.major_error', 'bgp.notify.minor_error_open']);
    expect(notes.length).toBeGreaterThan(0);
    expect(distinct(notes.map((r) => [r.join('/')]))).toEqual(['2/2']); // OPEN Message Error / Bad Peer AS
    expect(count(ul, 'bgp.nlri_prefix==100.96.2.0')).toBe(0);
    expect(count(join(d, 'pod-a.pcap'), 'ip.src==100.96.2.2')).toBe(0);
  },

  'bgp-daemon-stop'(d) {
    const ul = join(d, 'node1-underlay.pcap');
    expect(count(ul, 'bgp.type==2 && ip.src==198.18.0.2 && bgp.nlri_prefix==100.96.2.0')).toBeGreaterThan(0);
    const expiry = rows(ul, 'bgp.type==3 && ip.src==198.18.0.1 && ip.dst==198.18.0.2 && bgp.notify.major_error==4', ['frame.time_epoch']);
    expect(expiry.length).toBe(1);
    const tExpiry = Number(expiry[0]?.[0]);
    const fromNode2 = rows(ul, `bgp && ip.src==198.18.0.2 && frame.time_epoch < ${tExpiry}`, ['frame.time_epoch']).map((r) => Number(r[0]));
    // Hold time 9 s, which BIRD (like RFC 4271's timers) shortens by a random up-to-25 %: 6.75-9 s.
    expect(tExpiry - Math.max(...fromNode2)).toBeGreaterThanOrEqual(6.7);
    const replies = rows(join(d, 'pod-a.pcap'), 'icmp.type==0 && ip.src==100.96.2.2', ['frame.time_epoch']).map((r) => Number(r[0]));
    expect(replies.filter((t) => t < tExpiry).length).toBeGreaterThan(5);
    expect(replies.filter((t) => t > tExpiry + 1).length).toBe(0);
    expect(readFileSync(join(d, 'nodes/node2/birdc-protocols.txt'), 'utf8')).toContain('not responding');
  },

  'bgp-no-export'(d) {
    const ul = join(d, 'node1-underlay.pcap');
    expect(count(ul, 'bgp.type==2 && ip.src==198.18.0.2')).toBeGreaterThan(0);
    expect(count(ul, 'bgp.type==2 && ip.src==198.18.0.2 && bgp.nlri_prefix')).toBe(0);
    expect(count(ul, 'bgp.type==2 && ip.src==198.18.0.3 && bgp.nlri_prefix==100.96.3.0')).toBeGreaterThan(0);
    expect(count(ul, 'bgp.type==4 && ip.src==198.18.0.2')).toBeGreaterThan(1);
    // One-way: node2 learned node1's block, so pod-b's pings reach pod-a; the replies have no route back.
    expect(count(join(d, 'pod-a.pcap'), 'icmp.type==8 && ip.src==100.96.2.2')).toBeGreaterThan(0);
    expect(count(join(d, 'pod-a.pcap'), 'icmp.type==0 && ip.src==100.96.2.2')).toBe(0);
    expect(count(join(d, 'pod-b.pcap'), 'icmp.type==0 && ip.src==100.96.1.2')).toBe(0);
  },

  'macvlan-healthy'(d) {
    const ul = join(d, 'node1-underlay.pcap');
    expect(distinct(rows(ul, 'ip.src==100.96.100.11', ['eth.src']))).toEqual(['0a:58:64:60:01:02']);
    expect(count(ul, `eth.src==${NODE_MAC.node1} && ip.src==100.96.100.11`)).toBe(0);
    expect(echoReplySizes(join(d, 'pod-a.pcap'), '100.96.100.12')).toEqual([56, 1000, 1472]);
  },

  'macvlan-duplicate-ip'(d) {
    const ul = join(d, 'node1-underlay.pcap');
    expect(distinct(rows(ul, 'arp.src.proto_ipv4==100.96.100.12', ['arp.src.hw_mac']))).toEqual(['0a:58:64:60:02:02', '0a:58:64:60:03:02']);
    expect(distinct(rows(ul, 'icmp.type==0 && ip.src==100.96.100.12', ['eth.src']))).toEqual(['0a:58:64:60:02:02', '0a:58:64:60:03:02']);
    expect(distinct(rows(ul, 'tcp.flags.reset==1 && ip.src==100.96.100.12', ['eth.src']))).toEqual(['0a:58:64:60:03:02']);
  },
};

const missing = [...preflight()];
if (!missing.some((m) => m.startsWith('not root')) && !which('tshark')) {
  missing.push('`tshark` not found (Debian package tshark; this test reads the captures with it)');
}
const skipReason = missing.join('; ');
const selected = (process.env.LAB_SCENARIOS ?? 'all') === 'all' ? SCENARIOS.map((s) => s.name) : (process.env.LAB_SCENARIOS ?? '').split(',');

it('every lab scenario has a capture check', () => {
  expect(Object.keys(CHECKS).sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
});

if (missing.length && !process.env.CI) console.warn(`lab captures skipped: ${skipReason}`);

if (missing.length && process.env.CI) {
  it('runs the lab (CI must not skip it)', () => {
    throw new Error(`the lab cannot run on this CI machine: ${skipReason}`);
  });
}

describe.skipIf(missing.length > 0)(`lab captures${missing.length ? ` (skipped: ${skipReason})` : ''}`, () => {
  let out = '';

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'netdiag-lab-test-'));
    await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'test/lab/lab.ts'), selected.join(','), out], {
      cwd: ROOT,
      timeout: 15 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }, 16 * 60_000);

  afterAll(() => {
    if (out && !process.env.LAB_KEEP) rmSync(out, { recursive: true, force: true });
  });

  for (const name of selected) {
    it(`${name}: the captures show the fault`, () => {
      const dir = join(out, name);
      expect(existsSync(join(dir, 'truth.json')), `${dir}/truth.json`).toBe(true);
      const check = CHECKS[name];
      if (!check) throw new Error(`no capture check for ${name}`);
      check(dir);
    });
    it(`${name}: netdiag names the fault`, async () => {
      const { truth, findings } = await diagnoseScenario(join(out, name));
      expectDiagnosis(truth, findings);
    });
  }
});
