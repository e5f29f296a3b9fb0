import type { Argv } from 'yargs';

/** The options of `netdiag read`, as the command handler receives them. */
export interface ReadArgs {
  files: string[];
  list?: boolean;
  /** -T: fields, json or text (list, or detail with -V). */
  T?: string;
  /** -e: fields for -T fields (or to restrict -T json). */
  e?: string[];
  /** -E: -T fields options (header=y, separator=, occurrence=f|l|a, aggregator=, quote=d|s|n). */
  E?: string[];
  V?: boolean;
  x?: boolean;
  c?: number;
  Y?: string;
  d?: string[];
  w?: string;
  format?: ReportFormat;
  output?: string;
  tui?: boolean;
  failOn?: 'error' | 'warning';
  /** --node-state DIR: the nodes' ip/bridge/birdc outputs. */
  nodeState?: string;
  /** --trace FILTER: follow the matching packets across the captures. */
  trace?: string;
  /** --cluster-state DIR: kubectl JSON/YAML of nodes, pods, services, endpointslices and the CNI's objects. */
  clusterState?: string;
  /** --k8s FILE (repeatable): one such kubectl output file. */
  k8s?: string[];
  /** --evidence FILE.pcapng: write the packets the findings cite. */
  evidence?: string;
}

export const REPORT_FORMATS = ['text', 'markdown', 'json', 'html', 'packets'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Declare the options of `netdiag read`; kept apart from the handler so --help loads nothing heavy. */
export function readOptions<T>(y: Argv<T>): Argv<T & ReadArgs> {
  return y
    .positional('files', { describe: 'capture files (pcap, pcapng, gzip-compressed; - for stdin)', type: 'string', array: true })
    .option('list', { type: 'boolean', describe: 'one line per packet: number, time, source, destination, protocol, length, info' })
    .option('T', { type: 'string', choices: ['fields', 'json', 'text'], describe: 'packet output: fields (with -e), json, or text (the list, or the detail with -V)' })
    .option('e', { type: 'string', array: true, describe: 'field to print with -T fields (repeatable), e.g. -e ip.src -e vxlan.vni' })
    .option('E', { type: 'string', array: true, describe: '-T fields option: header=y, separator=,|/t|/s, occurrence=f|l|a, aggregator=, quote=d|s|n' })
    .option('V', { type: 'boolean', describe: 'packet detail: every layer and field' })
    .option('x', { type: 'boolean', describe: 'hex and ASCII dump of each packet' })
    .option('c', { type: 'number', describe: 'read at most N packets of each capture (counted before -Y, as tshark does)' })
    .option('Y', { type: 'string', alias: 'display-filter', describe: 'display filter, e.g. "vxlan && ip.dst == 100.96.2.0/24"' })
    .option('d', { type: 'string', array: true, alias: 'decode-as', describe: 'decode as, e.g. udp.port==6784,vxlan (repeatable)' })
    .option('w', { type: 'string', alias: 'write', describe: 'write the packets that pass the filter to a capture file (- for stdout)' })
    .option('format', { type: 'string', choices: REPORT_FORMATS, describe: 'output format; packets selects packet output' })
    .option('output', { type: 'string', alias: 'o', describe: 'write the output to this file instead of stdout' })
    .option('tui', { type: 'boolean', default: true, describe: 'open the terminal UI on a terminal (--no-tui prints instead)' })
    .option('trace', { type: 'string', describe: 'follow the packets matching this display filter across every capture: their journey point by point, e.g. "ip.dst == 100.96.2.3 and tcp.port == 80"' })
    .option('node-state', { type: 'string', describe: 'folder with the nodes\' ip addr/route/neigh, bridge fdb, ip -d link (and birdc) outputs, one subfolder per node' })
    .option('cluster-state', { type: 'string', describe: 'folder of kubectl -o json/yaml output (nodes, pods, services, endpointslices, Calico/Cilium/Kube-OVN objects): names and checks against the wire' })
    .option('k8s', { type: 'string', array: true, describe: 'one kubectl -o json/yaml output file (repeatable); like --cluster-state' })
    .option('evidence', { type: 'string', describe: 'also write the packets the findings cite to this pcapng, each commented with the findings citing it' })
    .option('fail-on', { type: 'string', choices: ['error', 'warning'], describe: 'exit 1 when a finding of this severity or worse is reported' }) as unknown as Argv<
    T & ReadArgs
  >;
}

/**
 * yargs drops a lone `-` positional; the command line swaps it for this token before
 * parsing and the handler swaps it back, so `netdiag read -` reads stdin.
 */
export const STDIN_TOKEN = '\u0000stdin';

/** Options of `read` that take a value: a `-` right after one of them is that value (`-w -`). */
const VALUE_OPTIONS = new Set(['-T', '-e', '-E', '-c', '-Y', '-d', '-w', '-o', '--format', '--output', '--fail-on', '--node-state', '--trace', '--cluster-state', '--k8s', '--evidence', '--display-filter', '--decode-as', '--write']);

export function protectStdinArgs(argv: readonly string[]): string[] {
  let afterDashDash = false;
  return argv.map((a, i) => {
    if (a === '--') afterDashDash = true;
    if (a !== '-') return a;
    return afterDashDash || !VALUE_OPTIONS.has(argv[i - 1] ?? '') ? STDIN_TOKEN : a;
  });
}
