import { defineAnalyzer } from '../analyzer.js';
import type { Evidence } from '../finding.js';
import type { Topology } from '../topology/types.js';
import { apiEvidence } from '../../k8s/cluster-index.js';
import { declaredAgrees, declaredCni, wireFamily } from '../../k8s/cni.js';

/**
 * The pod network the cluster declares against the one its packets show: an IPPool in IPIP
 * mode whose pods travel unencapsulated, flannel annotated vxlan while nodes route host-gw.
 * Such a split means some nodes run another configuration than the API says (a half-rolled
 * change, a stale DaemonSet), and pods on differently configured nodes cannot talk.
 */

function packetEvidence(t: Topology, family: string): Evidence | null {
  const fact =
    family === 'routed'
      ? t.podCidrs.find((c) => c.source === 'host-gw' || c.source === 'bgp')?.evidence[0]
      : (t.vteps[0]?.evidence[0] ?? t.podCidrs.find((c) => c.source === 'tunnel')?.evidence[0]);
  return fact ? { capture: fact.capture, packets: fact.packets, count: fact.count, note: `pod traffic as ${family === 'routed' ? 'routed, unencapsulated packets' : `${family} packets`}` } : null;
}

export const clusterCniAnalyzer = defineAnalyzer<null, null>({
  name: 'cluster-cni',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    if (!model.cluster) return [];
    const declared = declaredCni(model.cluster);
    const inferred = model.topology.cni[0];
    if (!declared || !inferred) return [];
    // Cilium's VXLAN/Geneve/native routing, Calico CrossSubnet's routed-and-tunnelled mix: one declaration, several wire shapes.
    if (declaredAgrees(declared, model.topology.cni.map((c) => c.mode))) return [];
    const got = wireFamily(inferred.mode);
    const seen = packetEvidence(model.topology, got);
    const [kind, name] = declared.source.startsWith('IPPool') ? ['IPPool', declared.source.split(' ')[1]!] : ['Node', declared.source.split(' ')[1]!];
    return [
      {
        id: 'cluster.cni-mode-mismatch',
        severity: 'warning',
        confidence: Math.min(0.8, inferred.confidence),
        component: 'cluster-state',
        node: null,
        title: `The cluster declares ${declared.mode}, but the packets show ${inferred.mode}`,
        detail:
          `${declared.source} declares ${declared.mode}; the captures carry pod traffic as ${inferred.mode} (${inferred.evidence.join('; ')}). ` +
          'Nodes whose CNI configuration differs from the declared one encapsulate (or not) differently from their peers, and pods across the two groups cannot reach each other. Compare the CNI configuration on the nodes with the API objects.',
        evidence: [apiEvidence(kind, name, null, declared.source), ...(seen ? [seen] : [])],
        remedy: [
          'kubectl -n kube-flannel get cm kube-flannel-cfg -o jsonpath=\'{.data.net-conf\\.json}\'   # flannel: the Backend type',
          'kubectl get ippools.crd.projectcalico.org -o yaml   # Calico: ipipMode / vxlanMode',
          'ip -d link show | grep -E "vxlan|ipip|geneve"   # on each node: the tunnel devices it really has',
        ],
      },
    ];
  },
});
