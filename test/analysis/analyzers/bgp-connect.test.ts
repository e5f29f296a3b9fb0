import { describe, expect, it } from 'vitest';
import { analyzeCaptures, Capture, node } from '../../helpers/scenario.js';
import { bgpConnectAttempts, bgpSession, inTimeOrder } from '../../helpers/bgp-scenario.js';

const n1 = node(1);
const n2 = node(2);
const n3 = node(3);

describe('BGP connections that never start', () => {
  it('names the node that refuses port 179 with resets', async () => {
    const c = new Capture('node1-underlay.pcap');
    bgpConnectAttempts(c, n1, n2, 0, 40100, 3, true);
    const { findings } = await analyzeCaptures([c]);
    const f = findings.find((x) => x.id === 'bgp-session.connect-refused');
    expect(f).toMatchObject({ severity: 'error', node: '198.18.0.2', component: 'bgp-session' });
    expect(f!.evidence[0]!.count).toBe(3);
  });

  it('names the node whose port 179 never answers, and the generic TCP finding defers to it', async () => {
    const c = new Capture('node1-underlay.pcap');
    bgpConnectAttempts(c, n1, n3, 0, 40200, 4, false);
    const { findings } = await analyzeCaptures([c]);
    expect(findings[0]).toMatchObject({ id: 'bgp-session.connect-unanswered', severity: 'error', node: '198.18.0.3' });
    expect(findings.find((x) => x.id === 'tcp.handshake-no-answer')?.severity).toBe('info');
  });

  it('ignores a refused attempt beside a session between the same two nodes that works', async () => {
    const c = new Capture('node1-underlay.pcap');
    bgpConnectAttempts(c, n1, n2, 0, 40100, 1, true);
    bgpSession(c, n2, n1, 1, { sport: 40300, keepalive: 30, duration: 60 });
    const { findings } = await analyzeCaptures([inTimeOrder(c)]);
    expect(findings.filter((x) => x.id.startsWith('bgp-session.connect'))).toEqual([]);
  });
});
