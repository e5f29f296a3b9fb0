import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures, Capture, healthyExchange, node, problems, vxlanTcp } from '../../helpers/scenario.js';

const n1 = node(1);
const n2 = node(2);

/** A pod on node1 opening a connection to node2's pod: SYN sent at 0, 1, 3, 7, 15, 31 s (Linux backoff), no answer. */
function stalledSyn(c: Capture, outerChecksum: 'bad' | 'auto'): void {
  for (const t of [0, 1, 3, 7, 15, 31]) {
    c.add(t, vxlanTcp(n1, n2, { sport: 40100, dport: 80, seq: 7000, flags: 'S', options: [{ kind: 'mss', value: 1410 }] }, 0, { outerChecksum }));
  }
}

describe('VXLAN outer UDP checksum', () => {
  it('names the checksum-offload drop when bad-checksum packets are the ones retransmitted', async () => {
    const c = new Capture('node2-underlay.pcap');
    stalledSyn(c, 'bad');
    const { findings } = await analyzeCaptures([c]);
    const f = findings.find((x) => x.id === 'checksum.vxlan-outer-bad');
    expect(f?.severity).toBe('error');
    expect(f?.component).toBe('checksum');
    expect(f?.node).toBe(n2.ip);
    expect(f?.evidence[0]?.count).toBe(6);
    expect(f?.evidence[1]?.count).toBe(5);
    expect(f?.evidence[1]?.packets).toEqual([2, 3, 4, 5, 6]);
    expect(f?.remedy.join('\n')).toMatch(/ethtool -K flannel\.1 tx-checksum-ip-generic off/);
    // The stalled handshake is the symptom of this cause, not a second fault.
    expect(problems(findings)[0]?.id).toBe('checksum.vxlan-outer-bad');
  });

  it('keeps bad checksums on packets that were never resent to a note (capture-side offload)', async () => {
    const c = new Capture('node1-underlay.pcap');
    let t = 0;
    for (const sport of [41000, 41001, 41002]) {
      const ex = new Capture();
      healthyExchange(ex, n1, n2, t, sport);
      for (const p of ex.packets) c.add(p.t, p.data);
      t += 1;
    }
    // Re-craft the same exchange's first packets with bad outer checksums: nothing is retransmitted.
    c.add(5, vxlanTcp(n1, n2, { sport: 42000, dport: 80, seq: 1, flags: 'S' }, 0, { outerChecksum: 'bad' }));
    c.add(5.001, vxlanTcp(n2, n1, { sport: 80, dport: 42000, seq: 9, ack: 2, flags: 'SA' }, 0, { outerChecksum: 'bad' }));
    c.add(5.002, vxlanTcp(n1, n2, { sport: 42000, dport: 80, seq: 2, ack: 10, flags: '.' }, 0, { outerChecksum: 'bad' }));
    const { findings } = await analyzeCaptures([c]);
    expect(findings.some((f) => f.id === 'checksum.vxlan-outer-bad')).toBe(false);
    const note = findings.find((f) => f.id === 'checksum.vxlan-outer-offload');
    expect(note?.severity).toBe('info');
    expect(note?.evidence[0]?.count).toBe(3);
    expect(problems(findings)).toEqual([]);
  });

  it('does not blame checksums for a stalled handshake whose checksums are right', async () => {
    const c = new Capture('node2-underlay.pcap');
    stalledSyn(c, 'auto');
    const { findings } = await analyzeCaptures([c]);
    expect(findings.some((f) => f.component === 'checksum')).toBe(false);
    expect(problems(findings).length).toBeGreaterThan(0);
  });

  it('agrees with tshark about which outer checksums are bad', async () => {
    const c = new Capture('mixed.pcap');
    stalledSyn(c, 'bad');
    c.add(40, vxlanTcp(n1, n2, { sport: 40200, dport: 80, seq: 1, flags: 'S' }, 0, { outerChecksum: 'auto' }));
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-csum-'));
    try {
      const file = join(dir, 'mixed.pcap');
      writeFileSync(file, c.bytes());
      const out = execFileSync('tshark', ['-r', file, '-o', 'udp.check_checksum:TRUE', '-Y', 'udp.checksum.status == 0', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
      const bad = out.trim().split('\n').filter(Boolean).map(Number);
      const { findings } = await analyzeCaptures([c]);
      const f = findings.find((x) => x.id === 'checksum.vxlan-outer-bad');
      expect(f?.evidence[0]?.packets).toEqual(bad);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('VXLAN outer UDP checksum on real kernel captures', () => {
  it('recognises the checksums a sending host has not finished offloading, even on runs with retransmissions', async () => {
    const { readdirSync } = await import('node:fs');
    const { analyzeCapture } = await import('../../../src/analysis/pass.js');
    const { diagnose } = await import('../../../src/analysis/diagnose.js');
    let pending = 0;
    for (const scenario of ['flannel-vxlan-healthy', 'flannel-vxlan-stale-fdb', 'flannel-vxlan-mtu', 'flannel-vxlan-nft-drop']) {
      const dir = join('fixtures/lab', scenario);
      const files = readdirSync(dir).filter((f) => f.endsWith('.pcap'));
      const results = [];
      for (const [i, f] of files.entries()) results.push(await analyzeCapture({ name: f, path: join(dir, f) }, i));
      for (const r of results) pending += (r.results['tunnel-checksum'] as { pendingOffload: number } | undefined)?.pendingOffload ?? 0;
      const { findings } = diagnose(results, null);
      expect(findings.filter((f) => f.component === 'checksum' && f.severity !== 'info'), scenario).toEqual([]);
    }
    // The lab's veths carry VXLAN with outer checksums the NIC would fill in: they must be recognised, not ignored.
    expect(pending).toBeGreaterThan(50);
  });
});
