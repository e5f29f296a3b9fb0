import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/analysis/finding.js';
import { analyzeCaptures, Capture, node } from '../../helpers/scenario.js';
import { bgpSession, inTimeOrder } from '../../helpers/bgp-scenario.js';

const n1 = node(1);
const n2 = node(2);
const n3 = node(3);
const keepalivesStop = (findings: Finding[]) => findings.filter((f) => f.id === 'bgp-session.keepalives-stop');

describe('BGP hold timer inferred from KEEPALIVE gaps', () => {
  it('judges the silence against the negotiated hold time: the smaller of the two OPENs', async () => {
    const c = new Capture('node1-underlay.pcap');
    // node 1 offers 240 s, node 2 offers 30 s: the session runs on 30 s. Node 2 goes quiet for 60 s.
    bgpSession(c, n1, n2, 0, { sport: 40001, hold: 240, serverHold: 30, keepalive: 10, duration: 90, serverSilentAfter: 30 });
    const [f, ...more] = keepalivesStop((await analyzeCaptures([c])).findings);
    expect(more).toEqual([]);
    expect(f).toMatchObject({ severity: 'error', node: '198.18.0.2' });
    expect(f!.title).toContain('hold time 30 s');
  });

  it('stays quiet when the same KEEPALIVEs keep coming within the hold time', async () => {
    const c = new Capture('node1-underlay.pcap');
    bgpSession(c, n1, n2, 0, { sport: 40001, hold: 240, serverHold: 30, keepalive: 10, duration: 90 });
    expect(keepalivesStop((await analyzeCaptures([c])).findings)).toEqual([]);
  });

  it('does not read the silence after a session was closed, nor the gap before it reopened, as a hold timer', async () => {
    const c = new Capture('node1-underlay.pcap');
    bgpSession(c, n1, n2, 0, { sport: 40001, keepalive: 30, duration: 30, end: { notification: { code: 6, subcode: 2, from: 'server' } } });
    bgpSession(c, n1, n3, 0.5, { sport: 40002, keepalive: 30, duration: 400 });
    bgpSession(c, n1, n2, 200, { sport: 40003, keepalive: 30, duration: 60, end: { notification: { code: 6, subcode: 2, from: 'server' } } });
    const { findings } = await analyzeCaptures([inTimeOrder(c)]);
    expect(keepalivesStop(findings)).toEqual([]);
  });
});
