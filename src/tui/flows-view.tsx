import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { ReportFlow } from '../report/report.js';
import { flowTrouble } from '../report/report.js';
import { longAddress, nameOf, shortAddress, type AddressNames } from './address-names.js';
import { fit, safe, scrollTop, wrap } from './layout.js';

function endpoint(addr: string, port: number, proto: string): string {
  const a = addr.includes(':') ? `[${addr}]` : addr;
  return proto === 'tcp' || proto === 'udp' || proto === 'sctp' ? `${a}:${port}` : a;
}

/** An endpoint as the list shows it: the cluster's name (with the port) when it has one. */
function shortEndpoint(names: AddressNames, addr: string, port: number, proto: string, name?: string): string {
  const n = name ?? nameOf(names, addr);
  if (n === undefined) return endpoint(addr, port, proto);
  return proto === 'tcp' || proto === 'udp' || proto === 'sctp' ? `${n}:${port}` : n;
}

/** An endpoint in full: `default/pod-a (100.96.1.2:43512)`, the address kept beside the name. */
function longEndpoint(names: AddressNames, addr: string, port: number, proto: string, name?: string): string {
  const n = name ?? nameOf(names, addr);
  const raw = endpoint(addr, port, proto);
  return n === undefined ? raw : `${n} (${raw})`;
}

/** The flow's health in a few words: handshake, retransmissions, resets, one-way traffic. */
export function flowHealth(f: ReportFlow): string {
  const parts: string[] = [];
  if (f.tcp) {
    parts.push(f.tcp.handshake);
    const re = f.tcp.retransmissions[0] + f.tcp.retransmissions[1];
    if (re) parts.push(`retrans ${re}`);
    const rst = f.tcp.rst[0] + f.tcp.rst[1];
    if (rst) parts.push(`rst ${rst}`);
  }
  if (f.packets[1] === 0) parts.push('one-way');
  return parts.join(' ');
}

/** One list row; with cluster state, pods, nodes and Services by name. */
export function flowLine(f: ReportFlow, width: number, names?: AddressNames): string {
  const inner = `${f.protoName} ${shortEndpoint(names, f.src, f.sport, f.protoName, f.srcName)} → ${shortEndpoint(names, f.dst, f.dport, f.protoName, f.dstName)}`;
  const via = f.tunnel && f.outerSrc ? ` via ${f.tunnel} ${f.tunnelId} ${shortAddress(names, f.outerSrc)}→${f.outerDst ? shortAddress(names, f.outerDst) : '?'}` : '';
  const counts = `${f.packets[0]}/${f.packets[1]}`;
  return fit(`${fit(safe(f.capture), 18)} ${fit(safe(inner + via), Math.max(10, width - 42))} ${counts.padStart(9)} ${fit(flowHealth(f), 13)}`, width);
}

export interface FlowsViewProps {
  flows: ReportFlow[];
  omitted: number;
  cursor: number;
  width: number;
  height: number;
  /** The report's names of addresses (--cluster-state). */
  names?: AddressNames;
}

/** The selected flow in full, names beside their addresses: the list cuts long lines, this does not. */
export function flowDetail(f: ReportFlow, names?: AddressNames): string[] {
  const inner = `${f.protoName} ${longEndpoint(names, f.src, f.sport, f.protoName, f.srcName)} → ${longEndpoint(names, f.dst, f.dport, f.protoName, f.dstName)}`;
  const lines = [`${safe(f.capture)}: ${safe(inner)}`];
  if (f.tunnel && f.tunnel !== 'none') lines.push(`  outer: ${safe(f.tunnel)} ${f.tunnelId} ${safe(f.outerSrc ? longAddress(names, f.outerSrc) : '?')} → ${safe(f.outerDst ? longAddress(names, f.outerDst) : '?')}`);
  let counts = `  packets ${f.packets[0]} → / ${f.packets[1]} ←, bytes ${f.bytes[0]} / ${f.bytes[1]}`;
  if (f.tcp) {
    counts += `; handshake ${f.tcp.handshake}, retransmissions ${f.tcp.retransmissions[0] + f.tcp.retransmissions[1]}, resets ${f.tcp.rst[0] + f.tcp.rst[1]}`;
    const zw = f.tcp.zeroWindow[0] + f.tcp.zeroWindow[1];
    if (zw) counts += `, zero windows ${zw}`;
  }
  lines.push(counts);
  return lines;
}

/** Inner flows with their outer path and health, most troubled first (the report's order); the selected one in full below. */
export function FlowsView({ flows, omitted, cursor, width, height, names }: FlowsViewProps) {
  const selected = flows[cursor];
  const detail = selected ? flowDetail(selected, names).flatMap((l) => wrap(l, width)) : [];
  const detailHeight = Math.min(detail.length + 1, Math.max(0, height - 4));
  const visible = height - 1 - (omitted ? 1 : 0) - detailHeight;
  const top = scrollTop(0, cursor, visible, flows.length);
  const rows: ReactNode[] = [];
  for (let i = top; i < Math.min(flows.length, top + visible); i++) {
    const f = flows[i]!;
    const trouble = flowTrouble(f) > 0;
    rows.push(
      <Text key={i} inverse={i === cursor} {...(trouble ? { color: 'yellow' } : {})}>
        {flowLine(f, width, names)}
      </Text>,
    );
  }
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>{fit(`${fit('Capture', 18)} ${fit('Flow (inner, via outer path)', Math.max(10, width - 42))} ${'pkts →/←'.padStart(9)} Health`, width)}</Text>
      {flows.length === 0 ? <Text dimColor>{fit('  no flows (yet)', width)}</Text> : rows}
      {omitted ? <Text dimColor>{fit(`  … ${omitted} more flows not listed`, width)}</Text> : null}
      <Box flexGrow={1} />
      {detailHeight > 0 ? <Text dimColor>{fit('─'.repeat(width), width)}</Text> : null}
      {detail.slice(0, Math.max(0, detailHeight - 1)).map((l, i) => (
        <Text key={`d${i}`} color="cyan">
          {fit(l, width)}
        </Text>
      ))}
    </Box>
  );
}
