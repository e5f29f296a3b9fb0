import type { ReportFlow } from '../report/report.js';

/** The filter expression that selects one flow's packets (both directions). */
export function flowFilter(f: ReportFlow): string {
  const v6 = f.src.includes(':');
  const net = v6 ? 'ipv6.addr' : 'ip.addr';
  let s = `${net} == ${f.src} and ${net} == ${f.dst}`;
  if ((f.protoName === 'tcp' || f.protoName === 'udp') && f.sport > 0 && f.dport > 0) s += ` and ${f.protoName}.port == ${f.sport} and ${f.protoName}.port == ${f.dport}`;
  else if (f.protoName === 'icmp' || f.protoName === 'icmpv6') s += ` and ${f.protoName}`;
  return s;
}
