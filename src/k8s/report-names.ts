/**
 * The report with the cluster's names added next to its addresses. Addresses stay as they
 * are (tools match on them); names sit beside them: `names` maps every address the report
 * mentions that the cluster knows, flows gain srcName/dstName, findings nodeName, topology
 * nodes their name.
 */
import type { Report, ReportFinding, ReportFlow } from '../report/report.js';
import { NameResolver, type AddressName } from './names.js';
import type { ClusterState } from './types.js';


const IPV4_IN_TEXT = /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g;
/** Addresses gathered from free text per report: a bound against hostile finding notes. */
const MAX_TEXT_ADDRESSES = 10_000;

function addressesOf(r: Report): Set<string> {
  const ips = new Set<string>();
  const add = (s: string | null | undefined) => {
    if (s) ips.add(s);
  };
  for (const n of r.topology.nodes) add(n.ip);
  for (const v of r.topology.vteps) add(v.nodeIp);
  for (const c of r.topology.podCidrs) add(c.nodeIp);
  for (const a of r.topology.arp) add(a.ip);
  for (const f of r.flows) {
    add(f.src);
    add(f.dst);
    add(f.outerSrc);
    add(f.outerDst);
  }
  let fromText = 0;
  for (const f of r.findings) {
    add(f.node);
    for (const text of [f.title, f.detail, ...f.evidence.map((e) => e.note)]) {
      for (const m of text.matchAll(IPV4_IN_TEXT)) {
        if (fromText++ >= MAX_TEXT_ADDRESSES) break;
        ips.add(m[0]);
      }
    }
  }
  return ips;
}

export function nameReport(r: Report, cluster: ClusterState): Report {
  const resolver = new NameResolver(cluster);
  const names: Record<string, AddressName> = resolver.namesOf(addressesOf(r));
  const label = (ip: string | null | undefined) => (ip ? resolver.label(ip) : undefined);
  const flows: ReportFlow[] = r.flows.map((f) => {
    const src = label(f.src);
    const dst = label(f.dst);
    return { ...f, ...(src ? { srcName: src } : {}), ...(dst ? { dstName: dst } : {}) };
  });
  const findings: ReportFinding[] = r.findings.map((f) => {
    const n = label(f.node);
    return n ? { ...f, nodeName: n } : f;
  });
  const topology = { ...r.topology, nodes: r.topology.nodes.map((n) => (n.name ? n : { ...n, name: label(n.ip) ?? null })) };
  return { ...r, names, flows, findings, topology };
}
