import { spawnSync } from 'node:child_process';

/** flannel's ports are not Wireshark's defaults (4789 for VXLAN; 8285 is unassigned). */
const DECODE_AS = ['-d', 'udp.port==8472,vxlan', '-d', 'udp.port==8285,ip'];

/**
 * Rows of the requested fields for the packets matching a display filter.
 * A field that occurs more than once (outer and inner ip.dst) is joined with
 * commas, outermost first.
 */
export function tsharkRows(file: string, filter: string, fields: string[] = ['frame.number']): string[][] {
  const r = spawnSync(
    'tshark',
    ['-n', '-r', file, ...DECODE_AS, '-Y', filter, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`tshark -r ${file} -Y '${filter}' failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

export function tsharkCount(file: string, filter: string): number {
  return tsharkRows(file, filter).length;
}
