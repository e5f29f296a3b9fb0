import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadNodeState } from '../../src/nodestate/load.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import { analyzeReader } from '../../src/analysis/pass.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { Capture, healthyExchange, node, problems } from '../helpers/scenario.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/nodestate/node1');

async function run(c: Capture) {
  const state = await loadNodeState(FIXTURE);
  const result = await analyzeReader(CaptureReader.fromBuffer(c.bytes(), c.name), { name: c.name, path: c.name }, 0);
  return diagnose([result], state).findings;
}

describe('node state checked against the wire', () => {
  it('stays quiet when node1 FDB and neighbour entries match the VTEP MACs in packets', async () => {
    // node1's real tables: 0a:6e:1c:00:00:02 dev flannel.1 dst 198.18.0.2; 100.96.2.0 lladdr 0a:6e:1c:00:00:02.
    const c = new Capture();
    healthyExchange(c, node(1, { vtepMac: '0a:6e:1c:00:00:01' }), node(2, { vtepMac: '0a:6e:1c:00:00:02' }), 0);
    const found = problems(await run(c)).filter((f) => f.evidence.some((e) => e.capture.startsWith('node-state:')));
    // node1's fixture really has BGP peers down (a wrong-AS peer, a refused one): those, and nothing else.
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((f) => f.component === 'bgp-session')).toBe(true);
    expect(found.map((f) => f.title).join('\n')).toContain('Bad peer AS');
  });

  it('calls node1 FDB stale when packets show its VTEP MAC on another node', async () => {
    const c = new Capture();
    // The MAC node1's FDB sends to 198.18.0.2 is in fact used by 198.18.0.3.
    healthyExchange(c, node(1, { vtepMac: '0a:6e:1c:00:00:01' }), node(3, { vtepMac: '0a:6e:1c:00:00:02' }), 0);
    const f = problems(await run(c)).find((x) => x.id === 'fdb.node-state-wrong-destination');
    expect(f?.node).toBe('198.18.0.1');
    expect(f?.title).toContain('198.18.0.3');
  });

  it('calls node1 neighbour entry stale when node 2 VTEP MAC changed', async () => {
    const c = new Capture();
    healthyExchange(c, node(1, { vtepMac: '0a:6e:1c:00:00:01' }), node(2, { vtepMac: '0a:6e:1c:00:00:99' }), 0);
    const f = problems(await run(c)).find((x) => x.id === 'neighbor.node-state-stale');
    expect(f?.node).toBe('198.18.0.1');
    expect(f?.detail).toContain('0a:6e:1c:00:00:99');
    // The neighbour fix alone leaves traffic broken while MAC learning is off: the FDB entry for the new MAC goes with it.
    expect(f?.remedy.some((r) => r.startsWith('ip neigh replace') && r.includes('0a:6e:1c:00:00:99'))).toBe(true);
    expect(f?.remedy.some((r) => /^bridge fdb replace 0a:6e:1c:00:00:99 dev \S+ dst 198\.18\.0\.2 self permanent/.test(r))).toBe(true);
  });
});
