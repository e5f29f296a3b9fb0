import { describe, expect, it } from 'vitest';
import { declaredAgrees, declaredCni, wireFamily } from '../../src/k8s/cni.js';
import { inferredModeNames } from '../helpers/cni-modes.js';
import { clusterFindings, diagnoseWith, kubeList, objectOf, stateOf } from './lab-cluster.js';

/** What each inferred mode carries pod traffic as between nodes. */
const FAMILY: Record<string, string> = {
  'flannel-vxlan': 'vxlan',
  'calico-vxlan': 'vxlan',
  'cilium-vxlan': 'vxlan',
  vxlan: 'vxlan',
  'geneve-ovn': 'geneve',
  'cilium-geneve': 'geneve',
  'geneve (kube-ovn/ovn or cilium)': 'geneve',
  'calico-ipip': 'ipip',
  'calico-bgp': 'routed',
  'flannel-host-gw': 'routed',
  'cilium-native-routing': 'routed',
  'flannel-udp': 'udp',
  wireguard: 'wireguard',
  weave: 'weave',
  'weave-sleeve': 'weave',
  macvlan: 'macvlan',
  ipvlan: 'ipvlan',
  gre: 'gre',
};

describe('wire families of CNI modes', () => {
  it('gives every mode topology inference can name its wire family', () => {
    const modes = inferredModeNames();
    expect(Object.keys(FAMILY).sort()).toEqual(modes);
    for (const m of modes) expect([m, wireFamily(m)]).toEqual([m, FAMILY[m]]);
  });

  it('puts the modes the API can declare in the family the packets show them as', () => {
    expect(wireFamily('kube-ovn')).toBe('geneve');
    expect(wireFamily('flannel-wireguard')).toBe('wireguard');
    expect(wireFamily('flannel-ipip')).toBe('ipip');
  });
});

describe('declared against inferred CNI modes', () => {
  it.each([
    ['flannel-wireguard', ['wireguard']],
    ['kube-ovn', ['geneve-ovn']],
    ['kube-ovn', ['geneve (kube-ovn/ovn or cilium)']],
    ['calico-bgp', ['cilium-native-routing']],
    ['cilium', ['cilium-geneve']],
    ['cilium', ['cilium-native-routing']],
    ['flannel-vxlan', ['calico-bgp', 'flannel-vxlan']],
    // Nothing inferred, or a backend no table knows: no verdict.
    ['flannel-vxlan', []],
    ['flannel-alivpc', ['calico-bgp']],
  ])('%s agrees with packets showing %j', (declared, inferred) => {
    expect(declaredAgrees({ mode: declared, source: 'test' }, inferred)).toBe(true);
  });

  it.each([
    ['flannel-vxlan', ['weave']],
    ['flannel-vxlan', ['weave-sleeve']],
    ['flannel-host-gw', ['macvlan']],
    ['calico-bgp', ['ipvlan']],
    ['kube-ovn', ['cilium-vxlan']],
    ['cilium', ['calico-ipip']],
    ['calico-ipip', ['calico-bgp']],
    ['flannel-udp', ['flannel-vxlan']],
  ])('%s disagrees with packets showing %j', (declared, inferred) => {
    expect(declaredAgrees({ mode: declared, source: 'test' }, inferred)).toBe(false);
  });

  it('lets a CrossSubnet pool show as routed pods (nodes of one subnet), but an Always pool not', () => {
    const pool = (ipipMode: string, vxlanMode: string) => {
      const list = kubeList('bgp-daemon-stop');
      Object.assign(objectOf(list, 'IPPool', 'default-ipv4-ippool').spec, { ipipMode, vxlanMode });
      return declaredCni(stateOf(list))!;
    };
    expect(pool('CrossSubnet', 'Never')).toMatchObject({ mode: 'calico-ipip', crossSubnet: true });
    expect(declaredAgrees(pool('CrossSubnet', 'Never'), ['calico-bgp'])).toBe(true);
    expect(declaredAgrees(pool('Never', 'CrossSubnet'), ['calico-bgp'])).toBe(true);
    expect(declaredAgrees(pool('Always', 'Never'), ['calico-bgp'])).toBe(false);
    expect(declaredAgrees(pool('Never', 'Always'), ['calico-bgp'])).toBe(false);
    // CrossSubnet still encapsulates between subnets: its own tunnel agrees, another does not.
    expect(declaredAgrees(pool('CrossSubnet', 'Never'), ['calico-ipip'])).toBe(true);
    expect(declaredAgrees(pool('CrossSubnet', 'Never'), ['flannel-vxlan'])).toBe(false);
  });

  it('reads flannel\'s WireGuard backend annotation as a mode whose packets are WireGuard', () => {
    const list = kubeList('flannel-vxlan-healthy');
    for (const n of ['node1', 'node2', 'node3']) objectOf(list, 'Node', n).metadata.annotations!['flannel.alpha.coreos.com/backend-type'] = 'wireguard';
    const declared = declaredCni(stateOf(list));
    expect(declared?.mode).toBe('flannel-wireguard');
    expect(declaredAgrees(declared!, ['wireguard'])).toBe(true);
    expect(declaredAgrees(declared!, ['flannel-vxlan'])).toBe(false);
  });

  it('flags a flannel host-gw declaration over the real MACVLAN lab capture, and stays quiet without it', async () => {
    const quiet = await diagnoseWith('macvlan-healthy', kubeList('macvlan-healthy'));
    expect(quiet.model.topology.cni[0]?.mode).toBe('macvlan');
    expect(clusterFindings(quiet.findings).filter((f) => f.id === 'cluster.cni-mode-mismatch')).toEqual([]);
    const list = kubeList('macvlan-healthy');
    for (const o of list.items.filter((x) => x.kind === 'Node')) (o.metadata.annotations ??= {})['flannel.alpha.coreos.com/backend-type'] = 'host-gw';
    const found = clusterFindings((await diagnoseWith('macvlan-healthy', list)).findings).filter((f) => f.id === 'cluster.cni-mode-mismatch');
    expect(found.map((f) => f.title)).toEqual(['The cluster declares flannel-host-gw, but the packets show macvlan']);
  });
});
