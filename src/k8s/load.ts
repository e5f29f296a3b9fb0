/**
 * `--cluster-state DIR` and `--k8s FILE`: kubectl's JSON or YAML output, read from files only
 * (no API call is ever made). A file that cannot be read or parsed becomes a problem naming it
 * and what was wrong; the other files are still loaded.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { escapeControl } from '../output/escape.js';
import { addDocument, type ObjectSink } from './objects.js';
import { emptyClusterState, type ClusterState } from './types.js';

/** A single dump of a large cluster is tens of MiB; far beyond this it is not a kubectl dump. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;
export const MAX_TOTAL_BYTES = 1024 * 1024 * 1024;
const MAX_FILES = 1000;
const CLUSTER_FILE = /\.(json|ya?ml)$/i;

export interface ClusterStateInputs {
  /** Folders: every *.json, *.yaml, *.yml inside (one level, then one level of subfolders). */
  dirs?: string[];
  files?: string[];
}

export interface LoadLimits {
  maxFileBytes?: number;
  maxTotalBytes?: number;
}

async function filesOf(dir: string, depth: number, out: string[], problems: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    problems.push(`${dir}: cannot list: ${(e as Error).message}`);
    return;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (out.length >= MAX_FILES) {
      problems.push(`${dir}: more than ${MAX_FILES} files; the rest ignored`);
      return;
    }
    const path = join(dir, e.name);
    if (e.isDirectory() && depth < 1) await filesOf(path, depth + 1, out, problems);
    else if (CLUSTER_FILE.test(e.name) && (e.isFile() || e.isSymbolicLink())) out.push(path);
  }
}

async function readText(path: string, maxBytes: number): Promise<{ text: string } | { problem: string }> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) return { problem: `${path}: is a folder (use --cluster-state for folders)` };
    if (!st.isFile()) return { problem: `${path}: not a regular file; ignored` };
    if (st.size > maxBytes) return { problem: `${path}: ${st.size} bytes, more than the ${maxBytes} a kubectl dump needs; not read` };
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(st.size);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      const bytes = buf.subarray(0, got);
      if (bytes.subarray(0, 8192).includes(0)) return { problem: `${path}: binary file, not JSON or YAML; ignored` };
      return { text: new TextDecoder('utf-8').decode(bytes) };
    } finally {
      await fh.close();
    }
  } catch (e) {
    return { problem: `${path}: cannot read: ${(e as Error).message}` };
  }
}

/** Parse one file's text into the state: JSON when it looks like JSON, else (multi-document) YAML. */
export function addClusterText(state: ClusterState, file: string, text: string): void {
  const sink: ObjectSink = { state, file, objects: 0 };
  const body = text.replace(/^\uFEFF/, '');
  if (/^\s*[[{]/.test(body)) {
    try {
      addDocument(sink, JSON.parse(body));
      return;
    } catch (e) {
      // YAML is a superset of JSON: flow-style YAML lands here too and is tried below.
      if (/\.json$/i.test(file)) {
        state.problems.push(`${file}: not valid JSON: ${(e as Error).message}`);
        return;
      }
    }
  }
  let docs;
  try {
    docs = parseAllDocuments(body, { prettyErrors: false });
  } catch (e) {
    state.problems.push(`${file}: not valid YAML: ${(e as Error).message}`);
    return;
  }
  const all = Array.isArray(docs) ? docs : [docs];
  all.forEach((doc, i) => {
    const where = all.length > 1 ? `${file}: document ${i + 1}` : file;
    if (doc.errors.length) {
      const err = doc.errors[0]!;
      state.problems.push(`${where}: not valid YAML at offset ${err.pos[0]}: ${err.message.split('\n')[0]}`);
      return;
    }
    try {
      sink.file = where;
      addDocument(sink, doc.toJS({ maxAliasCount: 100 }));
    } catch (e) {
      state.problems.push(`${where}: ${(e as Error).message}`);
    }
  });
}

/** Load every input; never throws for content: problems are listed in the result. */
export async function loadClusterState(inputs: ClusterStateInputs, limits: LoadLimits = {}): Promise<ClusterState> {
  const state = emptyClusterState();
  const maxFile = limits.maxFileBytes ?? MAX_FILE_BYTES;
  let budget = limits.maxTotalBytes ?? MAX_TOTAL_BYTES;
  const paths: string[] = [];
  for (const dir of inputs.dirs ?? []) {
    const found: string[] = [];
    await filesOf(dir, 0, found, state.problems);
    if (!found.length && !state.problems.some((p) => p.startsWith(dir))) state.problems.push(`${dir}: no *.json, *.yaml or *.yml files`);
    paths.push(...found);
  }
  paths.push(...(inputs.files ?? []));
  for (const path of paths) {
    const r = await readText(path, Math.min(maxFile, budget));
    if ('problem' in r) {
      state.problems.push(r.problem);
      continue;
    }
    budget -= r.text.length;
    state.sources.push(path);
    addClusterText(state, path, r.text);
  }
  return state;
}

/** One line for stderr: what was loaded. */
export function describeClusterState(s: ClusterState): string {
  const parts = [`${s.nodes.length} nodes`, `${s.pods.length} pods`, `${s.services.length} services`, `${s.endpointSlices.length} endpoint slices`];
  const calico = s.calico.ipPools.length + s.calico.blockAffinities.length + s.calico.bgpPeers.length + s.calico.bgpConfigurations.length;
  if (calico) parts.push(`${calico} Calico objects`);
  if (s.ciliumNodes.length) parts.push(`${s.ciliumNodes.length} CiliumNodes`);
  if (s.kubeOvn.subnets.length + s.kubeOvn.ips.length) parts.push(`${s.kubeOvn.subnets.length + s.kubeOvn.ips.length} Kube-OVN objects`);
  const ignored = Object.values(s.ignored).reduce((a, b) => a + b, 0);
  if (ignored) parts.push(`${ignored} objects of other kinds ignored`);
  return parts.join(', ');
}

/**
 * The cluster state the command line names (--cluster-state DIR, --k8s FILE...), or null when
 * it names none. Problems and a one-line summary go to `warn`.
 */
export async function loadClusterArgs(args: { clusterState?: string; k8s?: string[] }, warn: (message: string) => void): Promise<ClusterState | null> {
  const dirs = args.clusterState !== undefined ? [args.clusterState] : [];
  const files = (args.k8s ?? []).map(String);
  if (!dirs.length && !files.length) return null;
  const state = await loadClusterState({ dirs, files });
  // Parser messages quote the file's bytes: escaped like packet bytes before reaching a terminal.
  for (const p of state.problems) warn(`cluster state: ${escapeControl(p)}`);
  warn(`cluster state: ${describeClusterState(state)}`);
  return state;
}
