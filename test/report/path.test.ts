import { beforeAll, describe, expect, it } from 'vitest';
import { knowsMode, podPath, type PodPath } from '../../src/report/path.js';
import type { Report } from '../../src/report/report.js';
import { inferredModeNames } from '../helpers/cni-modes.js';
import { labReport } from './build.js';

/** One side of the drawn path, pod to NIC: `kind label` per hop. */
const sourceSide = (p: PodPath) => p.hops.filter((h) => h.side === 0).map((h) => `${h.kind} ${h.label}`);
const crossing = (p: PodPath) => p.hops.find((h) => h.kind === 'underlay')!.facts;

/** The devices a pod's packets pass on their node, as each CNI mode sets them up. */
const EXPECTED: Record<string, string[]> = {
  'flannel-vxlan': ['veth veth', 'bridge cni0', 'vtep flannel.1'],
  'flannel-udp': ['veth veth', 'bridge cni0', 'vtep flannel0'],
  'flannel-host-gw': ['veth veth', 'bridge cni0'],
  'calico-ipip': ['veth cali* veth', 'bridge host routing', 'vtep tunl0'],
  'calico-vxlan': ['veth cali* veth', 'bridge host routing', 'vtep vxlan.calico'],
  'calico-bgp': ['veth cali* veth', 'bridge host routing'],
  'cilium-vxlan': ['veth lxc* veth', 'bridge cilium_host', 'vtep cilium_vxlan'],
  'cilium-geneve': ['veth lxc* veth', 'bridge cilium_host', 'vtep cilium_geneve'],
  'cilium-native-routing': ['veth lxc* veth', 'bridge cilium_host'],
  'geneve-ovn': ['veth veth', 'bridge br-int', 'vtep genev_sys_6081'],
  'geneve (kube-ovn/ovn or cilium)': ['veth veth', 'bridge br-int', 'vtep genev_sys_6081'],
  weave: ['veth vethwepl veth', 'bridge weave', 'vtep vxlan-6784'],
  'weave-sleeve': ['veth vethwepl veth', 'bridge weave', 'vtep weaver (sleeve)'],
  macvlan: ['veth macvlan on eth0'],
  ipvlan: ['veth ipvlan on eth0'],
  vxlan: ['veth veth', 'bridge bridge / routing', 'vtep vxlan device'],
  gre: ['veth veth', 'bridge bridge / routing', 'vtep gre device'],
  wireguard: ['veth veth', 'bridge host routing', 'vtep WireGuard device'],
};

const ENCAPSULATED = new Set(['flannel-vxlan', 'flannel-udp', 'calico-ipip', 'calico-vxlan', 'cilium-vxlan', 'cilium-geneve', 'geneve-ovn', 'geneve (kube-ovn/ovn or cilium)', 'weave', 'weave-sleeve', 'vxlan', 'gre']);
const ROUTED = new Set(['flannel-host-gw', 'calico-bgp', 'cilium-native-routing']);

describe('the devices the path draws for each CNI mode', () => {
  let base: Report;
  beforeAll(async () => {
    base = (await labReport('flannel-vxlan-healthy')).report;
  }, 60_000);
  const asMode = (mode: string): PodPath => podPath({ ...base, topology: { ...base.topology, cni: [{ mode, confidence: 0.9, evidence: [] }] } });

  it('knows every mode topology inference can name', () => {
    const modes = inferredModeNames();
    expect(modes.length).toBeGreaterThanOrEqual(18);
    expect(modes.filter((m) => !knowsMode(m))).toEqual([]);
    expect(Object.keys(EXPECTED).sort()).toEqual(modes);
  });

  for (const [mode, devices] of Object.entries(EXPECTED)) {
    it(`draws ${mode} as ${devices.map((d) => d.split(' ').slice(1).join(' ')).join(', ')} before the NIC`, () => {
      const p = asMode(mode);
      expect(sourceSide(p)).toEqual([expect.stringMatching(/^pod /), ...devices, 'nic eth0']);
      // The destination side mirrors it.
      expect(p.hops.filter((h) => h.side === 1).map((h) => `${h.kind} ${h.label}`).reverse().slice(1)).toEqual(sourceSide(p).slice(1));
      const how = crossing(p);
      expect(how[0]).toBe(mode);
      if (ENCAPSULATED.has(mode)) expect(how[1]).toBe('encapsulated');
      else if (ROUTED.has(mode)) expect(how[1]).toBe('routed, not encapsulated');
    });
  }

  it('draws MACVLAN and IPVLAN pods as switched on the node network, WireGuard as encrypted', () => {
    expect(crossing(asMode('macvlan'))[1]).toContain('switched');
    expect(crossing(asMode('ipvlan'))[1]).toContain('switched');
    expect(crossing(asMode('wireguard'))[1]).toContain('WireGuard');
  });

  it('names in the facts what a short label cannot: Weave\'s datapath devices, the Cilium alternative of bare Geneve, the WireGuard device per CNI', () => {
    const facts = (mode: string, kind: string) => asMode(mode).hops.find((h) => h.kind === kind && h.side === 0)!.facts;
    expect(facts('weave', 'vtep')).toContain('OVS datapath, from the bridge via vethwe-datapath');
    expect(facts('weave-sleeve', 'vtep').join(' ')).toContain('vethwe-pcap');
    expect(facts('geneve (kube-ovn/ovn or cilium)', 'vtep')).toContain('or cilium_geneve (Cilium)');
    expect(facts('geneve (kube-ovn/ovn or cilium)', 'bridge')).toContain('or cilium_host (Cilium)');
    expect(facts('wireguard', 'vtep').join(' ')).toMatch(/wireguard\.cali.*cilium_wg0.*flannel-wg/);
    // Modes whose label says it all carry only what the captures show.
    expect(facts('geneve-ovn', 'vtep').some((f) => f.includes('Cilium'))).toBe(false);
  });

  it('keeps every device label short enough for the path diagram boxes', () => {
    for (const mode of inferredModeNames()) for (const h of asMode(mode).hops) if (h.kind !== 'pod') expect(h.label.length, `${mode}: ${h.label}`).toBeLessThanOrEqual(20);
  });

  it('falls back to generic devices only for a mode it does not know', () => {
    expect(knowsMode('unknown')).toBe(false);
    expect(sourceSide(asMode('unknown')).slice(1)).toEqual(['veth veth', 'bridge bridge / routing', 'nic eth0']);
  });

  it('draws the real MACVLAN lab capture with the pods on the node NIC and no bridge or tunnel', async () => {
    const { report } = await labReport('macvlan-healthy');
    expect(report.topology.cni[0]?.mode).toBe('macvlan');
    const p = podPath(report);
    expect(p.hops.map((h) => h.kind)).toEqual(['pod', 'veth', 'nic', 'underlay', 'nic', 'veth', 'pod']);
    expect(p.hops[1]!.label).toBe('macvlan on eth0');
  }, 60_000);
});
