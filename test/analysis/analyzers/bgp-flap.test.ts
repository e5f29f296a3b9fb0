import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/analysis/finding.js';
import { analyzeCaptures, Capture, node } from '../../helpers/scenario.js';
import { bgpSession } from '../../helpers/bgp-scenario.js';

const n1 = node(1);
const n2 = node(2);
const HOLD_EXPIRED = { code: 4, subcode: 0 };
const flapping = (findings: Finding[]) => findings.filter((f) => f.id === 'bgp-session.flapping');

describe('BGP session flaps', () => {
  it('names a session that comes up three times and the node its peer keeps giving up on', async () => {
    const c = new Capture('node1-underlay.pcap');
    bgpSession(c, n1, n2, 0, { sport: 40001, keepalive: 3, duration: 12, end: { notification: { ...HOLD_EXPIRED, from: 'client' } } });
    bgpSession(c, n1, n2, 20, { sport: 40002, keepalive: 3, duration: 12, end: { notification: { ...HOLD_EXPIRED, from: 'client' } } });
    bgpSession(c, n1, n2, 40, { sport: 40003, keepalive: 3, duration: 12 });
    const [f, ...more] = flapping((await analyzeCaptures([c])).findings);
    expect(more).toEqual([]);
    expect(f).toMatchObject({ severity: 'warning', component: 'bgp-session', node: '198.18.0.2' });
    expect(f!.title).toContain('up 3 times, down twice');
    expect(f!.evidence.find((e) => e.note.startsWith('OPEN'))?.count).toBe(6);
    expect(f!.evidence.find((e) => e.note.startsWith('NOTIFICATION'))?.note).toContain('Hold Timer Expired');
  });

  it('is an error when the session is down at the end, blaming the side that resets it', async () => {
    const c = new Capture('node1-underlay.pcap');
    bgpSession(c, n1, n2, 0, { sport: 40001, duration: 5, end: { reset: 'server' } });
    bgpSession(c, n1, n2, 10, { sport: 40002, duration: 5, end: { reset: 'server' } });
    const [f] = flapping((await analyzeCaptures([c])).findings);
    expect(f).toMatchObject({ severity: 'error', node: '198.18.0.2' });
    expect(f!.title).toContain('down at the end of the capture');
  });

  it('counts a session seen at both ends once', async () => {
    const at1 = new Capture('node1-underlay.pcap');
    const at2 = new Capture('node2-underlay.pcap');
    for (const c of [at1, at2]) {
      bgpSession(c, n1, n2, 0, { sport: 40001, duration: 5, end: { reset: 'server' } });
      bgpSession(c, n1, n2, 10, { sport: 40002, duration: 5 });
    }
    const found = flapping((await analyzeCaptures([at1, at2])).findings);
    expect(found).toHaveLength(1);
    expect(found[0]!.title).toContain('up twice, down once');
  });

  it('does not call one long healthy session a flap', async () => {
    const c = new Capture('node1-underlay.pcap');
    bgpSession(c, n1, n2, 0, { sport: 40001, keepalive: 30, duration: 300 });
    const { findings } = await analyzeCaptures([c]);
    expect(findings.filter((f) => f.component === 'bgp-session' && f.severity !== 'info')).toEqual([]);
  });

  it('does not call a connection collision (both ends connect at once, one connection closed with Cease) a flap', async () => {
    const c = new Capture('node1-underlay.pcap');
    bgpSession(c, n1, n2, 0, { sport: 40001, duration: 0, end: { notification: { code: 6, subcode: 7, from: 'client' } } });
    bgpSession(c, n2, n1, 0.002, { sport: 40002, keepalive: 30, duration: 120 });
    expect(flapping((await analyzeCaptures([c])).findings)).toEqual([]);
  });
});
