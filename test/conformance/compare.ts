/**
 * netdiag read F -T fields -e … against tshark -r F -T fields -e …, field by field.
 * netdiag runs in-process through runRead (what the CLI runs); tshark runs once per file.
 */
import { basename } from 'node:path';
import { createRegistry } from '../../src/decode/protocols.js';
import { readInProcess, tsharkRun } from '../commands/harness.js';
import { excepted, used } from './exceptions.js';

export const FIELDS = [
  'frame.number',
  'frame.len',
  'frame.cap_len',
  'eth.src',
  'eth.dst',
  'eth.type',
  'vlan.id',
  'arp.opcode',
  'arp.src.proto_ipv4',
  'arp.dst.proto_ipv4',
  'ip.src',
  'ip.dst',
  'ip.proto',
  'ip.ttl',
  'ip.id',
  'ip.flags.df',
  'ip.frag_offset',
  'ip.len',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.nxt',
  'icmp.type',
  'icmp.code',
  'icmp.mtu',
  'icmpv6.type',
  'icmpv6.mtu',
  'udp.srcport',
  'udp.dstport',
  'udp.length',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.flags',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.len',
  'tcp.options.mss_val',
  'vxlan.vni',
  'geneve.vni',
  'gre.proto',
  'gre.key',
  'bgp.type',
] as const;

/** Decode-as both sides get. */
export const DECODE_AS = ['udp.port==8472,vxlan'];
/** tshark only: what netdiag decodes by default and tshark does not know at all. */
export const TSHARK_ONLY = ['-d', 'udp.port==8285,ip', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE'];

/** tshark's output; a capture tshark finds cut short (exit 2) still yields the packets before the cut. */
export async function tsharkFields(path: string, fields: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const args = ['-n', '-r', path, ...DECODE_AS.flatMap((d) => ['-d', d]), ...TSHARK_ONLY, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  const r = await tsharkRun(args);
  if (r.status !== 0 && r.status !== 2) throw new Error(`tshark ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

export interface Difference {
  file: string;
  frame: number;
  field: string;
  netdiag: string;
  tshark: string;
}

export interface FileComparison {
  file: string;
  frames: { netdiag: number; tshark: number };
  differences: Difference[];
  /** Differences the exceptions table covers. */
  excepted: number;
  /** Fields netdiag does not know (not compared). */
  unknownFields: string[];
  netdiagStderr: string;
}

function rows(text: string): string[][] {
  if (text === '') return [];
  return text.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
}

export async function compareFile(path: string, fields: readonly string[] = FIELDS): Promise<FileComparison> {
  const reg = createRegistry();
  const known = fields.filter((f) => reg.field(f) !== undefined);
  const unknownFields = fields.filter((f) => reg.field(f) === undefined);
  const file = basename(path);
  const [theirs, ours] = await Promise.all([tsharkFields(path, known), readInProcess({ files: [path], T: 'fields', e: [...known], d: DECODE_AS })]);
  const a = rows(ours.stdout);
  const b = rows(theirs.stdout);
  const differences: Difference[] = [];
  let exceptedCount = 0;
  const n = Math.max(a.length, b.length);
  for (let r = 0; r < n; r++) {
    const x = a[r];
    const y = b[r];
    const frame = Number((x ?? y)![0]);
    for (let k = 0; k < known.length; k++) {
      const nv = x ? (x[k] ?? '') : '(no packet)';
      const tv = y ? (y[k] ?? '') : '(no packet)';
      if (nv === tv) continue;
      const ex = excepted(file, known[k]!, frame, nv, tv);
      if (ex) {
        used.add(ex);
        exceptedCount++;
        continue;
      }
      differences.push({ file, frame, field: known[k]!, netdiag: nv, tshark: tv });
    }
  }
  return { file, frames: { netdiag: a.length, tshark: b.length }, differences, excepted: exceptedCount, unknownFields, netdiagStderr: ours.stderr };
}

/** At most `max` lines of differences for a failure message. */
export function describeDifferences(c: FileComparison, max = 30): string {
  const lines = c.differences.slice(0, max).map((d) => `${d.file} frame ${d.frame} ${d.field}: netdiag ${JSON.stringify(d.netdiag)} tshark ${JSON.stringify(d.tshark)}`);
  if (c.frames.netdiag !== c.frames.tshark) lines.unshift(`${c.file}: netdiag printed ${c.frames.netdiag} packets, tshark ${c.frames.tshark}`);
  if (c.differences.length > max) lines.push(`… and ${c.differences.length - max} more differences`);
  return lines.join('\n');
}
