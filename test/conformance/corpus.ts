/**
 * The captures the conformance tests read: every generated fixture, and the tcpdump
 * project's test captures with MANIFEST.tsv saying which of them are malformed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CORPUS = process.env.NETDIAG_CORPUS ?? resolve(ROOT, '../shared/corpus/tcpdump');

const CAPTURE = /\.(pcap|pcapng|cap)(\.gz)?$|\.gz$/i;

/** fixtures/**\/*.pcap, *.pcapng, *.gz, relative to the repository root, sorted. */
export function fixtureFiles(): string[] {
  const dir = join(ROOT, 'fixtures');
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => CAPTURE.test(f))
    .map((f) => join('fixtures', f))
    .sort();
}

export interface CorpusFile {
  name: string;
  path: string;
  malformed: boolean;
}

/** One entry per capture of MANIFEST.tsv (a capture has several rows, one per tcpdump test). */
export function corpusFiles(): CorpusFile[] {
  const manifest = join(CORPUS, 'MANIFEST.tsv');
  if (!existsSync(manifest)) throw new Error(`tcpdump corpus not found: ${manifest} (set NETDIAG_CORPUS to its directory)`);
  const [head, ...rows] = readFileSync(manifest, 'utf8').trimEnd().split('\n');
  const cols = head!.split('\t');
  const fileCol = cols.indexOf('file');
  const malCol = cols.indexOf('is_malformed');
  const byName = new Map<string, CorpusFile>();
  for (const row of rows) {
    const c = row.split('\t');
    const name = c[fileCol]!;
    const malformed = c[malCol] === 'yes';
    const prev = byName.get(name);
    // A capture any test calls malformed is malformed.
    if (prev) prev.malformed ||= malformed;
    else byName.set(name, { name, path: join(CORPUS, name), malformed });
  }
  return [...byName.values()].filter((f) => existsSync(f.path)).sort((a, b) => a.name.localeCompare(b.name));
}
