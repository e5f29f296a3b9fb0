import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/analysis/diagnose.js';
import { parseCaptureArg } from '../../src/analysis/pass.js';
import { analyzeAll } from '../../src/analysis/run.js';
import { loadNodeState } from '../../src/nodestate/load.js';
import type { LossGroup } from '../../src/correlate/types.js';

const LAB = 'fixtures/lab';

async function run(scenario: string) {
  const dir = join(LAB, scenario);
  const files = readdirSync(dir)
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .sort()
    .map((f) => join(dir, f));
  const { results } = await analyzeAll(files.map(parseCaptureArg));
  const state = existsSync(join(dir, 'nodes')) ? await loadNodeState(join(dir, 'nodes')) : null;
  const { model, findings } = diagnose(results, state);
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as { node: string | null; traffic: { src: { ip: string }; dst: { ip: string } }; captures: Record<string, { node: string; point: string }> };
  return { correlation: model.correlation!, findings, truth };
}

const where = (g: LossGroup) => `${g.place}: ${g.lastSeen}${g.lastSeenForm ? `(${g.lastSeenForm})` : ''} → ${g.firstMissing}${g.firstMissingForm ? `(${g.firstMissingForm})` : ''} ${g.fromNode}→${g.toNode}`;

/**
 * Each scenario's truth notes say where its packets die; the correlation must put the
 * loss on that segment and node, and place every capture on the node truth.json gives.
 */
describe('lab scenarios: where packets die', () => {
  it('flannel-vxlan-healthy: every capture placed, nothing lost', async () => {
    const { correlation, truth, findings } = await run('flannel-vxlan-healthy');
    for (const p of correlation.points) {
      if (p.kind === 'unknown') continue;
      expect(p.node, p.capture).toBe(truth.captures[p.capture]!.node);
    }
    expect(correlation.points.find((p) => p.capture === 'pod-b.pcap')!.pod).toBe('100.96.2.2');
    expect(correlation.points.find((p) => p.capture === 'node1-any.pcap')!.kind).toBe('any');
    expect(correlation.losses.map(where)).toEqual([]);
    expect(findings.filter((f) => f.id.startsWith('path.'))).toEqual([]);
  });

  it('flannel-vxlan-mtu: large frames leave node1 underlay and never reach node2 underlay', async () => {
    const { correlation, truth, findings } = await run('flannel-vxlan-mtu');
    expect(correlation.losses.map(where)).toEqual(['underlay: node1-underlay.pcap → node2-underlay.pcap 198.18.0.1→198.18.0.2']);
    const g = correlation.losses[0]!;
    // Pings of 1000 bytes pass, 1422-byte pings and full TCP segments (1450 inner) do not.
    expect(g.pattern.sizeAbove).not.toBeNull();
    expect(g.pattern.sizeAbove!).toBeGreaterThanOrEqual(1028);
    expect(g.sizes.min).toBe(1450);
    expect(g.pattern.oneDirection).toBe(true);
    const f = findings.find((x) => x.id === 'path.underlay-size-drop')!;
    expect(f.component).toBe('mtu');
    expect(f.node).toBe(truth.node);
    // The MTU analyzer already names this node: the localization backs it instead of competing.
    expect(findings.some((x) => x.component === 'mtu' && x.node === truth.node && x.severity === 'error')).toBe(true);
    expect(f.severity).toBe('info');
  });

  it('flannel-vxlan-nft-drop: VXLAN reaches node2 NIC, never its flannel.1 or pod-b', async () => {
    const { correlation, truth, findings } = await run('flannel-vxlan-nft-drop');
    expect(correlation.losses.map(where)).toEqual(['destination-node: node2-any.pcap(encapsulated) → node2-any.pcap(bare) 198.18.0.2→198.18.0.2']);
    expect(correlation.losses[0]!.pattern.allPackets).toBe(true);
    const f = findings.find((x) => x.id === 'path.destination-drop')!;
    expect(f.node).toBe(truth.node);
  });

  it('flannel-vxlan-stale-fdb: frames for pod-b are encapsulated toward node3', async () => {
    const { correlation, truth, findings } = await run('flannel-vxlan-stale-fdb');
    const g = correlation.losses.find((x) => x.place === 'misdirected')!;
    expect(g.fromNode).toBe('198.18.0.1');
    expect(g.toNode).toBe('198.18.0.3');
    expect(g.pattern.dstNode).toBe('198.18.0.2');
    const f = findings.find((x) => x.id === 'path.misdirected')!;
    expect(f.component).toBe('fdb');
    expect(f.node).toBe(truth.node);
  });

  it('host-gw-offsegment: pod-a packets never leave node1', async () => {
    const { correlation, findings } = await run('host-gw-offsegment');
    expect(correlation.losses.map(where)).toEqual(['source-node: pod-a.pcap → node1-underlay.pcap 198.18.0.1→198.18.0.1']);
    // No other finding places a fault on node1 itself: the localization stands on its own.
    const f = findings.find((x) => x.id === 'path.source-drop')!;
    expect(f.node).toBe('198.18.0.1');
    expect(f.severity).toBe('warning');
    expect(f.evidence[0]!.capture).toBe('pod-a.pcap');
  });

  it('host-gw-missing-route: routed (bare) packets leave node1 underlay and never reach node2', async () => {
    const { correlation, truth, findings } = await run('host-gw-missing-route');
    expect(correlation.losses.map(where)).toEqual(['underlay: node1-underlay.pcap → node2-underlay.pcap 198.18.0.1→198.18.0.2']);
    const g = correlation.losses[0]!;
    expect(g.fromNode).toBe(truth.node);
    expect(g.pattern.allPackets).toBe(true);
    // host-gw does not encapsulate: no tunnel endpoint to blame.
    expect(g.pattern.outerDst).toBeNull();
    expect(findings.some((x) => x.id === 'path.underlay-drop')).toBe(true);
  });

  it('flannel-vxlan-vtep-mac-changed: frames reach node2 underlay; no loss claimed before the pod-b capture starts', async () => {
    // pod-b.pcap covers only the last 0.2 s: what node2's flannel.1 dropped earlier had no capture to miss.
    const { correlation, truth } = await run('flannel-vxlan-vtep-mac-changed');
    expect(correlation.losses.map(where)).toEqual([]);
    const out = correlation.paths.filter((p) => p.flow.src === truth.traffic.src.ip && p.flow.dst === truth.traffic.dst.ip);
    expect(out.length).toBeGreaterThan(0);
    for (const p of out) expect(p.hops.at(-1)!.capture).toBe('node2-underlay.pcap');
    for (const p of correlation.points) if (p.kind === 'underlay') expect(p.node, p.capture).toBe(truth.captures[p.capture]!.node);
  });

  it('macvlan-healthy: pods straight on the underlay L2, nothing lost', async () => {
    const { correlation, truth, findings } = await run('macvlan-healthy');
    expect(correlation.losses.map(where)).toEqual([]);
    expect(findings.filter((f) => f.id.startsWith('path.'))).toEqual([]);
    expect(correlation.points.find((p) => p.capture === 'pod-a.pcap')!.pod).toBe(truth.traffic.src.ip);
    expect(correlation.points.find((p) => p.capture === 'pod-b.pcap')!.pod).toBe(truth.traffic.dst.ip);
    for (const name of ['node1-underlay.pcap', 'node2-underlay.pcap']) expect(correlation.points.find((p) => p.capture === name)!.node).toBe(truth.captures[name]!.node);
    expect(correlation.matched).toBeGreaterThan(0);
  });

  it('bgp-daemon-stop: no loss claimed where the next capture had already stopped', async () => {
    // node2's captures end as the pings start failing: nothing can be said about them.
    const { correlation } = await run('bgp-daemon-stop');
    expect(correlation.losses.map(where)).toEqual([]);
    expect(correlation.points.find((p) => p.capture === 'node2-underlay.pcap')!.node).toBe('198.18.0.2');
  });
});
