import { parseV4 } from '../addr.js';
import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { FlowSummary } from '../flow-table.js';
import { apiEvidence, clusterIndex, type ClusterIndex } from '../../k8s/cluster-index.js';
import type { K8sService } from '../../k8s/types.js';

/**
 * Service traffic against the EndpointSlices. A client's connection to a ClusterIP is rewritten
 * (DNAT) on the client's node to one endpoint, keeping the client's address and port; the same
 * connection seen after the rewrite names the backend. A backend no EndpointSlice lists is a
 * stale rule (kube-proxy / IPVS / eBPF maps not updated after the pod went away), and a
 * ClusterIP still inside a tunnel left its node untranslated (no rules at all on that node).
 */

interface ServiceRef {
  svc: K8sService;
  endpoints: Set<string>;
  slices: string[];
}

function services(idx: ClusterIndex): Map<string, ServiceRef> {
  const byIp = new Map<string, ServiceRef>();
  for (const svc of idx.state.services) {
    const slices = idx.state.endpointSlices.filter((s) => s.namespace === svc.namespace && s.service === svc.name);
    const endpoints = new Set(slices.flatMap((s) => s.endpoints.flatMap((e) => e.addresses)));
    for (const ip of svc.clusterIPs) byIp.set(ip, { svc, endpoints, slices: slices.map((s) => s.name) });
  }
  return byIp;
}

const proto = (f: FlowSummary) => f.protoName.toUpperCase();
const flowEvidence = (capture: string, f: FlowSummary, note: string): Evidence => ({ capture, packets: [f.firstPacket], count: f.packets[0] + f.packets[1], note });

export const clusterServiceAnalyzer = defineAnalyzer<null, null>({
  name: 'cluster-service',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    if (!model.cluster || !model.cluster.services.length) return [];
    const idx = clusterIndex(model.cluster);
    const byIp = services(idx);
    if (!byIp.size) return [];
    const findings: Finding[] = [];
    // Client connections to a ClusterIP, by client address, port and protocol.
    const clients = new Map<string, { ref: ServiceRef; flow: FlowSummary; capture: string }>();
    model.flows.forEach((list, i) => {
      const capture = model.captures[i]?.name ?? String(i);
      for (const f of list) {
        const ref = byIp.get(f.dst);
        if (!ref || !ref.svc.ports.some((p) => p.port === f.dport && p.protocol === proto(f))) continue;
        clients.set(`${f.src}|${f.sport}|${proto(f)}`, { ref, flow: f, capture });
        if (f.tunnel !== 'none' && f.outerSrc && !findings.some((x) => x.id === 'cluster.service-not-translated' && x.node === f.outerSrc)) {
          const sender = idx.nodeByIp(parseV4(f.outerSrc) ?? -1);
          findings.push({
            id: 'cluster.service-not-translated',
            severity: 'error',
            confidence: 0.8,
            component: 'cluster-state',
            node: f.outerSrc,
            title: `Traffic for Service ${ref.svc.namespace}/${ref.svc.name} (${f.dst}) leaves ${sender?.node.name ?? f.outerSrc} untranslated, inside the tunnel`,
            detail:
              `A ClusterIP is virtual: the client's node rewrites it to an endpoint before routing. Here packets for ${f.dst}:${f.dport} are encapsulated towards ${f.outerDst} with the ClusterIP still as destination, ` +
              `so ${sender?.node.name ?? f.outerSrc} has no Service rules (kube-proxy, or the CNI's eBPF replacement, not running or not synced) and nobody answers.`,
            evidence: [flowEvidence(capture, f, `${f.src}:${f.sport} → ${f.dst}:${f.dport} tunnelled ${f.outerSrc} → ${f.outerDst}`), apiEvidence('Service', ref.svc.name, ref.svc.namespace, `spec.clusterIP ${f.dst}`)],
            remedy: [
              `kubectl -n kube-system get pods -o wide -l k8s-app=kube-proxy --field-selector spec.nodeName=${sender?.node.name ?? '<node>'}`,
              `iptables-save -t nat | grep -c ${f.dst}   # on ${sender?.node.name ?? f.outerSrc}; or: ipvsadm -Ln -t ${f.dst}:${f.dport}`,
            ],
          });
        }
      }
    });
    if (!clients.size) return findings;
    const reported = new Set<string>();
    model.flows.forEach((list, i) => {
      const capture = model.captures[i]?.name ?? String(i);
      for (const f of list) {
        const c = clients.get(`${f.src}|${f.sport}|${proto(f)}`);
        if (!c || byIp.has(f.dst) || c.ref.endpoints.has(f.dst)) continue;
        const key = `${c.ref.svc.namespace}/${c.ref.svc.name}>${f.dst}`;
        if (reported.has(key)) continue;
        reported.add(key);
        const svc = `${c.ref.svc.namespace}/${c.ref.svc.name}`;
        const pod = idx.podsAt(parseV4(f.dst) ?? -1)[0];
        const client = idx.podsAt(parseV4(f.src) ?? -1)[0];
        const clientNode = client?.node ?? null;
        findings.push({
          id: 'cluster.service-stale-endpoint',
          severity: 'error',
          confidence: 0.85,
          component: 'cluster-state',
          node: clientNode ? (idx.nodeByName(clientNode)?.node.internalIPs[0] ?? null) : null,
          title: `Service ${svc} traffic goes to ${f.dst}${pod ? ` (${pod.namespace}/${pod.name})` : ''}, which its EndpointSlices do not list`,
          detail:
            `${f.src}:${f.sport} connects to ${svc} at ${c.flow.dst}:${c.flow.dport}; after translation the connection goes to ${f.dst}:${f.dport}. ` +
            `The EndpointSlices of ${svc} list ${c.ref.endpoints.size ? [...c.ref.endpoints].join(', ') : 'no endpoints'}. ` +
            `The Service rules on ${clientNode ?? "the client's node"} are stale (kube-proxy not syncing, or conntrack entries from before the endpoint changed): clients reach a pod that is gone or not ready.`,
          evidence: [
            flowEvidence(c.capture, c.flow, `${f.src}:${f.sport} → ${c.flow.dst}:${c.flow.dport} (the Service)`),
            flowEvidence(capture, f, `${f.src}:${f.sport} → ${f.dst}:${f.dport} (after translation)`),
            apiEvidence('EndpointSlice', c.ref.slices[0] ?? c.ref.svc.name, c.ref.svc.namespace, `endpoints ${[...c.ref.endpoints].join(', ') || 'none'}`),
          ],
          remedy: [
            `kubectl -n ${c.ref.svc.namespace} get endpointslices -l kubernetes.io/service-name=${c.ref.svc.name} -o wide`,
            `conntrack -L -d ${c.flow.dst} | grep ${f.dst}   # on ${clientNode ?? "the client's node"}: stale entries (conntrack -D -d ${c.flow.dst} clears them)`,
            `kubectl -n kube-system logs -l k8s-app=kube-proxy --tail=50   # sync errors`,
          ],
        });
      }
    });
    return findings;
  },
});
