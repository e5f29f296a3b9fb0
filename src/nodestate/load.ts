/**
 * `--node-state DIR`: one folder per node, a single node's files directly in DIR, combined
 * files (`DIR/<node>.txt` with section markers), or DIR itself being one file.
 *
 * Content problems never throw: they end up in `problems` with file and line. Reads are bounded
 * (bytes per file, lines per file) so a stray huge file cannot exhaust memory, and only regular
 * files are opened (a FIFO or device dropped in the folder would otherwise block or never end).
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { parseNodeFile, type ParsedFile, type ParsedSection } from './parse.js';
import { DEFAULT_MAX_LINES } from './text.js';
import type { NodeCommand, NodeSourceFile, NodeState, NodeStateOne } from './types.js';

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export interface LoadOptions {
  maxLines?: number;
  maxBytes?: number;
}

interface ReadResult {
  text: string | null;
  problems: string[];
}

async function readBounded(path: string, label: string, maxBytes: number): Promise<ReadResult> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return { text: null, problems: [`${label}: not a regular file; ignored`] };
    const fh = await open(path, 'r');
    try {
      const want = Math.min(st.size, maxBytes);
      const buf = Buffer.alloc(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(buf, got, want - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      const problems: string[] = [];
      if (st.size > maxBytes) problems.push(`${label}: ${st.size} bytes; only the first ${maxBytes} read`);
      const bytes = buf.subarray(0, got);
      if (bytes.subarray(0, 8192).includes(0)) return { text: null, problems: [...problems, `${label}: binary file; ignored`] };
      return { text: new TextDecoder('utf-8').decode(bytes), problems };
    } finally {
      await fh.close();
    }
  } catch (e) {
    return { text: null, problems: [`${label}: cannot read: ${(e as Error).message}`] };
  }
}

function emptyNode(name: string): NodeStateOne {
  return {
    name, addresses: [], links: [], routes: [], neighbors: [], fdb: [], bgp: [], bgpRoutes: [], sources: [], problems: [],
    hostname: null, birdProtocols: [], birdRoutes: [], files: [],
  };
}

interface FileInput {
  label: string;
  parsed: ParsedFile | null;
  problems: string[];
}

function dedupe<T>(items: T[], key: (x: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((x) => {
    const k = key(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Folds the files of one node into its state: JSON wins over text of the same command. */
function buildNode(name: string, files: FileInput[]): NodeStateOne {
  const node = emptyNode(name);
  const sections: ParsedSection[] = [];
  for (const f of files) {
    node.sources.push(f.label);
    node.problems.push(...f.problems);
    if (!f.parsed) continue;
    node.problems.push(...f.parsed.problems);
    sections.push(...f.parsed.sections);
    if (f.parsed.hostname) node.hostname ??= f.parsed.hostname;
  }
  const byCommand = new Map<NodeCommand, ParsedSection[]>();
  for (const s of sections) {
    if (s.command === null || !s.ok) continue;
    byCommand.set(s.command, [...(byCommand.get(s.command) ?? []), s]);
  }
  const used = new Set<ParsedSection>();
  const supersededBy = new Map<ParsedSection, string>();
  for (const list of byCommand.values()) {
    const json = list.filter((s) => s.format === 'json');
    const chosen = json.length > 0 ? json : list;
    for (const s of list) {
      if (chosen.includes(s)) used.add(s);
      else supersededBy.set(s, (json[0] as ParsedSection).label);
    }
  }
  // `ip -d link` knows the kind; `ip addr` fills in links it did not list.
  const linkSecs = sections.filter((s) => used.has(s) && s.command === 'link');
  const addrSecs = sections.filter((s) => used.has(s) && s.command === 'addr');
  const links = new Map<string, NodeStateOne['links'][number]>();
  for (const s of [...linkSecs, ...addrSecs]) {
    for (const l of s.data.links ?? []) {
      const have = links.get(l.ifname);
      if (!have) links.set(l.ifname, { ...l });
      else {
        for (const k of Object.keys(l) as (keyof typeof l)[]) {
          if ((have[k] === null || have[k] === undefined) && l[k] !== null && l[k] !== undefined) (have as unknown as Record<string, unknown>)[k] = l[k];
        }
      }
    }
  }
  node.links = [...links.values()];
  for (const s of sections) {
    if (!used.has(s)) continue;
    const d = s.data;
    if (s.command === 'addr') node.addresses.push(...(d.addresses ?? []));
    node.routes.push(...(d.routes ?? []));
    node.neighbors.push(...(d.neighbors ?? []));
    node.fdb.push(...(d.fdb ?? []));
    node.birdProtocols?.push(...(d.protocols ?? []));
    node.birdRoutes?.push(...(d.birdRoutes ?? []));
  }
  node.addresses = dedupe(node.addresses, (a) => `${a.ifname}\0${a.address}/${a.prefixlen}`);
  node.routes = dedupe(node.routes, (r) => `${r.table}\0${r.type}\0${r.dst}\0${r.gateway}\0${r.dev}\0${r.metric}`);
  node.neighbors = dedupe(node.neighbors, (n) => `${n.dst}\0${n.dev}`);
  node.fdb = dedupe(node.fdb, (f) => `${f.mac}\0${f.dev}\0${f.dst}\0${f.vlan}\0${f.master}\0${f.flags.join(',')}`);
  node.birdProtocols = dedupe(node.birdProtocols ?? [], (p) => p.name);
  node.birdRoutes = dedupe(node.birdRoutes ?? [], (r) => r.raw);
  node.bgp = node.birdProtocols.filter((p) => p.proto === 'BGP');
  const bgpNames = new Set(node.bgp.map((p) => p.name));
  node.bgpRoutes = [...new Set(node.birdRoutes.filter((r) => r.origin !== null || (r.protocol !== null && bgpNames.has(r.protocol))).map((r) => r.prefix))];
  node.files = sections.map((s): NodeSourceFile => {
    const sup = supersededBy.get(s);
    const note = sup ? `superseded by ${sup}` : s.note;
    return { file: s.label, command: s.command, format: s.format, used: used.has(s), entries: s.entries, ...(note ? { note } : {}) };
  });
  if (sections.length === 0 || sections.every((s) => !s.ok)) node.problems.push(`${name}: no node-state output found`);
  return node;
}

async function readInput(path: string, label: string, opts: Required<LoadOptions>): Promise<FileInput> {
  const r = await readBounded(path, label, opts.maxBytes);
  if (r.text === null) return { label, parsed: null, problems: r.problems };
  return { label, parsed: parseNodeFile(r.text, label, { maxLines: opts.maxLines }), problems: r.problems };
}

function hidden(name: string): boolean {
  return name.startsWith('.');
}

async function nodeFromFolder(dir: string, root: string, opts: Required<LoadOptions>): Promise<NodeStateOne> {
  const name = basename(dir);
  const inputs: FileInput[] = [];
  const problems: string[] = [];
  let entries: string[] = [];
  try {
    entries = (await readdir(dir)).filter((n) => !hidden(n)).sort();
  } catch (e) {
    problems.push(`${relative(root, dir) || name}: cannot list: ${(e as Error).message}`);
  }
  for (const e of entries) {
    const p = join(dir, e);
    const label = relative(root, p);
    try {
      if ((await stat(p)).isDirectory()) {
        problems.push(`${label}: nested folder ignored`);
        continue;
      }
    } catch {
      /* readInput reports it */
    }
    inputs.push(await readInput(p, label, opts));
  }
  const node = buildNode(name, inputs);
  node.problems.unshift(...problems);
  return node;
}

/**
 * Reads a node-state directory (or one file). Throws only when `dir` does not exist or cannot
 * be listed; everything wrong inside it is reported in `problems`.
 */
export async function loadNodeState(dir: string, options: LoadOptions = {}): Promise<NodeState> {
  const opts: Required<LoadOptions> = { maxLines: options.maxLines ?? DEFAULT_MAX_LINES, maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES };
  const st = await stat(dir);
  if (!st.isDirectory()) {
    const input = await readInput(dir, basename(dir), opts);
    const name = input.parsed?.hostname ?? basename(dir).replace(/\.[^.]*$/, '');
    return { nodes: [buildNode(name, [input])], problems: [] };
  }
  const names = (await readdir(dir)).filter((n) => !hidden(n)).sort();
  const nodes: NodeStateOne[] = [];
  const loose: FileInput[] = [];
  const problems: string[] = [];
  for (const n of names) {
    const p = join(dir, n);
    let isDir = false;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch {
      /* dangling symlink: readInput reports it */
    }
    if (isDir) {
      nodes.push(await nodeFromFolder(p, dir, opts));
      continue;
    }
    const input = await readInput(p, n, opts);
    if (input.parsed?.combined) {
      nodes.push(buildNode(input.parsed.hostname ?? n.replace(/\.[^.]*$/, ''), [input]));
    } else loose.push(input);
  }
  const looseUseful = loose.filter((f) => f.parsed?.sections.some((s) => s.command !== null && s.ok));
  if (looseUseful.length > 0 || nodes.length === 0) {
    const hostname = loose.map((f) => f.parsed?.hostname).find((h) => h) ?? null;
    nodes.push(buildNode(hostname ?? basename(dir), loose));
  } else {
    // Files next to node folders that are not node state (a README, a script): say so once.
    for (const f of loose) {
      problems.push(...f.problems, ...(f.parsed?.problems ?? []));
      if (f.parsed && f.problems.length === 0 && f.parsed.problems.length === 0) problems.push(`${f.label}: not node state; ignored`);
    }
  }
  const seen = new Map<string, number>();
  for (const node of nodes) seen.set(node.name, (seen.get(node.name) ?? 0) + 1);
  for (const [name, count] of seen) if (count > 1) problems.push(`${count} sources are named ${name}; they are kept as separate nodes`);
  return { nodes, problems };
}
