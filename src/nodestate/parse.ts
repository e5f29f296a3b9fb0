/**
 * Recognises which command produced a file (or each section of a combined file) and in which
 * format, from its content first and its name or section marker second, and runs the matching
 * parser. Every parseX is pure: text in, entries and `file:line: message` problems out.
 */
import { birdBanner, birdProtocolsHeader, birdRouteLine, parseBirdProtocolsText, parseBirdRoutesText } from './birdc.js';
import { fdbFromJson, fdbLine, parseFdbText } from './bridge.js';
import { addrsFromJson, linksFromJson, neighsFromJson, routesFromJson, type JsonEntry } from './ip-json.js';
import { neighLine, parseAddrLinkText, parseBriefText, parseNeighText, parseRouteText, routeHead } from './ip-text.js';
import { isObj, jsonEntries, looksLikeJson, scanJson, type Obj } from './json.js';
import { DEFAULT_MAX_LINES, ProblemSink, errorLine, excerpt, splitLines, tokens, type ParseOptions } from './text.js';
import type { BgpProtocolState, BirdRoute, NodeAddress, NodeCommand, NodeFdb, NodeLink, NodeNeighbor, NodeRoute } from './types.js';

export type { ParseOptions } from './text.js';
export type Format = 'text' | 'json';

// ---------------------------------------------------------------------------------------------
// Recognition

const LINK_HEADER = /^\d+:\s+[^:]+:\s+<[^>]*>/;
const BRIEF_LINE = /^\S+\s+(UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT|NOTPRESENT|TESTING)(\s|$)/;

/** What a file name suggests (`ip-addr.json`, `addr.txt`, `ip_route`, `fdb.json`, `birdc-protocols.txt`...). */
export function commandFromName(fileName: string): NodeCommand | null {
  const base = (fileName.split(/[\\/]/).pop() ?? fileName).toLowerCase();
  const stem = base.replace(/\.(txt|json|out|log)$/, '');
  if (/^(hostname|uname|nodename)$/.test(stem)) return 'hostname';
  if (/bird/.test(stem)) {
    if (/proto/.test(stem)) return 'bird-protocols';
    if (/route/.test(stem)) return 'bird-routes';
    return null;
  }
  if (/fdb/.test(stem)) return 'fdb';
  if (/neigh|arp/.test(stem)) return 'neigh';
  if (/route/.test(stem)) return 'route';
  if (/link/.test(stem)) return 'link';
  if (/addr/.test(stem)) return 'addr';
  return null;
}

function isPrefixOf(word: string, full: string): boolean {
  return word.length > 0 && full.startsWith(word);
}

/** The command a section marker or prompt line names (`ip -j route show table all`, `birdc sh p`...). */
export function commandFromMarker(text: string): { command: NodeCommand; format: Format | null } | null {
  const t = tokens(text);
  let i = t.findIndex((w) => /^(ip|bridge|birdc|birdcl|uname|hostname|cat)$/.test(w.split('/').pop() ?? w));
  if (i < 0) return null;
  const prog = (t[i] as string).split('/').pop() as string;
  i++;
  if (prog === 'uname') return t.slice(i).some((w) => /^-\w*n/.test(w) || w === '--nodename') ? { command: 'hostname', format: 'text' } : null;
  if (prog === 'hostname') return { command: 'hostname', format: 'text' };
  if (prog === 'cat') return /hostname/.test(t[i] ?? '') ? { command: 'hostname', format: 'text' } : null;
  let json = false;
  const skipArg = new Set(['-n', '-netns', '-s', '-c', '-b', '-batch', '-rc', '-rcvbuf', '-l', '-loops', '-f', '-family']);
  while (i < t.length && (t[i] as string).startsWith('-')) {
    const o = t[i] as string;
    if (o === '-j' || o === '-json' || o === '--json' || /^-[a-z]*j[a-z]*$/.test(o)) json = true;
    if (skipArg.has(o) && prog !== 'bridge') i++;
    i++;
  }
  const obj = t[i] ?? '';
  const format: Format | null = json ? 'json' : null;
  if (prog === 'ip') {
    if (isPrefixOf(obj, 'address')) return { command: 'addr', format };
    if (isPrefixOf(obj, 'link')) return { command: 'link', format };
    if (isPrefixOf(obj, 'route')) return { command: 'route', format };
    if (isPrefixOf(obj, 'neighbour') || isPrefixOf(obj, 'neighbor')) return { command: 'neigh', format };
    return null;
  }
  if (prog === 'bridge') return isPrefixOf(obj, 'fdb') ? { command: 'fdb', format } : null;
  // birdc [-s sock] show protocols|route
  if (!isPrefixOf(obj, 'show')) return null;
  const what = t[i + 1] ?? '';
  if (isPrefixOf(what, 'protocols')) return { command: 'bird-protocols', format: 'text' };
  if (isPrefixOf(what, 'route')) return { command: 'bird-routes', format: 'text' };
  return null;
}

function jsonCommand(entries: JsonEntry[]): NodeCommand | null {
  const o = entries.map((e) => e.entry).find(isObj) as Obj | undefined;
  if (!o) return null;
  const has = (k: string): boolean => Object.hasOwn(o, k);
  if (has('addr_info')) return 'addr';
  if (has('mac')) return 'fdb';
  if (has('ifname') && (has('ifindex') || has('linkinfo') || has('flags'))) return 'link';
  if (has('dst') && Array.isArray(o.state)) return 'neigh';
  if (has('dst')) return 'route';
  return null;
}

interface TextGuess {
  command: NodeCommand | null;
  brief: boolean;
}

/** Votes over the first lines; `ip addr` and `ip link` share a layout and differ by inet lines. */
function textCommand(lines: string[]): TextGuess {
  const score = new Map<NodeCommand, number>();
  const bump = (c: NodeCommand): void => void score.set(c, (score.get(c) ?? 0) + 1);
  let inet = false;
  let brief = 0;
  let seen = 0;
  for (const line of lines) {
    if (seen >= 400) break;
    const trimmed = line.trim();
    if (trimmed === '' || errorLine(line)) continue;
    seen++;
    if (birdBanner(line) || birdProtocolsHeader(line)) {
      if (birdProtocolsHeader(line)) bump('bird-protocols');
      continue;
    }
    if (LINK_HEADER.test(line)) {
      bump('link');
      continue;
    }
    if (/^\s+inet6? /.test(line)) {
      inet = true;
      continue;
    }
    if (/^\s/.test(line)) continue;
    const t = tokens(trimmed);
    if (BRIEF_LINE.test(line) && !routeHead(t)) {
      brief++;
      if (/\s<[A-Z_,-]*>\s*$/.test(line)) bump('link');
      else bump('addr');
      continue;
    }
    if (fdbLine(t)) bump('fdb');
    else if (birdRouteLine(line)) bump('bird-routes');
    else if (neighLine(t)) bump('neigh');
    else if (routeHead(t)) bump('route');
    else if (/^\S+\s+\S+\s+(---|\S+)\s+(up|down|start|stop|feed|flush)\s+\S+/.test(trimmed)) bump('bird-protocols');
  }
  let best: NodeCommand | null = null;
  let bestN = 0;
  for (const [c, n] of score) {
    if (n > bestN) {
      best = c;
      bestN = n;
    }
  }
  if (best === 'link' && inet && brief === 0) best = 'addr';
  return { command: best, brief: brief > 0 && brief >= bestN / 2 };
}

// ---------------------------------------------------------------------------------------------
// Per-command parsers

export interface ParsedData {
  addresses?: NodeAddress[];
  links?: NodeLink[];
  routes?: NodeRoute[];
  neighbors?: NodeNeighbor[];
  fdb?: NodeFdb[];
  protocols?: BgpProtocolState[];
  birdRoutes?: BirdRoute[];
  hostname?: string | null;
}

interface Body {
  lines: string[];
  json: boolean;
  entries: JsonEntry[];
  /** JSON could not be read at all (nothing usable). */
  failed: boolean;
}

function readBody(lines: string[], sink: ProblemSink, maxEntries: number): Body {
  const text = lines.join('\n');
  if (!looksLikeJson(text)) return { lines, json: false, entries: [], failed: false };
  const scan = scanJson(text);
  if (scan.error) sink.add(scan.error.line, scan.error.message);
  let entries = jsonEntries(scan);
  if (entries.length > maxEntries) {
    sink.add(null, `${entries.length - maxEntries} JSON entries beyond the first ${maxEntries} not read`);
    entries = entries.slice(0, maxEntries);
  }
  return { lines, json: true, entries, failed: scan.error !== null && scan.values.length === 0 };
}

function run(command: NodeCommand, body: Body, sink: ProblemSink, brief: boolean): ParsedData {
  switch (command) {
    case 'addr':
    case 'link': {
      if (body.json) {
        if (command === 'addr') return addrsFromJson(body.entries, sink);
        return { links: linksFromJson(body.entries, sink) };
      }
      const r = brief ? parseBriefText(body.lines, sink) : parseAddrLinkText(body.lines, sink);
      return command === 'addr' ? r : { links: r.links };
    }
    case 'route':
      return { routes: body.json ? routesFromJson(body.entries, sink) : parseRouteText(body.lines, sink) };
    case 'neigh':
      return { neighbors: body.json ? neighsFromJson(body.entries, sink) : parseNeighText(body.lines, sink) };
    case 'fdb':
      return { fdb: body.json ? fdbFromJson(body.entries, sink) : parseFdbText(body.lines, sink) };
    case 'bird-protocols':
      return { protocols: parseBirdProtocolsText(body.lines, sink) };
    case 'bird-routes':
      return { birdRoutes: parseBirdRoutesText(body.lines, sink) };
    case 'hostname':
      return { hostname: hostnameOf(body.lines, sink) };
  }
}

function hostnameOf(lines: string[], sink: ProblemSink): string | null {
  const idx = lines.findIndex((l) => l.trim() !== '');
  if (idx < 0) return null;
  const h = (lines[idx] as string).trim();
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$/.test(h)) {
    sink.add(idx, `not a host name: ${excerpt(h)}`);
    return null;
  }
  return h;
}

interface Single<K extends keyof ParsedData> {
  data: NonNullable<ParsedData[K]>;
  problems: string[];
}

function parseOne<K extends keyof ParsedData>(command: NodeCommand, key: K, text: string, fileName: string, opts: ParseOptions, empty: NonNullable<ParsedData[K]>): Single<K> {
  const sink = new ProblemSink(fileName, opts.firstLine ?? 1);
  const max = opts.maxLines ?? DEFAULT_MAX_LINES;
  const split = splitLines(text, max);
  if (split.dropped > 0) sink.add(null, `${split.dropped} lines beyond the first ${max} not read`);
  const body = readBody(split.lines, sink, max);
  const brief = !body.json && textCommand(split.lines).brief;
  const data = run(command, body, sink, brief)[key];
  return { data: (data ?? empty) as NonNullable<ParsedData[K]>, problems: sink.done() };
}

export function parseIpAddr(text: string, fileName: string, opts: ParseOptions = {}): { addresses: NodeAddress[]; links: NodeLink[]; problems: string[] } {
  const sink = new ProblemSink(fileName, opts.firstLine ?? 1);
  const max = opts.maxLines ?? DEFAULT_MAX_LINES;
  const split = splitLines(text, max);
  if (split.dropped > 0) sink.add(null, `${split.dropped} lines beyond the first ${max} not read`);
  const body = readBody(split.lines, sink, max);
  const r = run('addr', body, sink, !body.json && textCommand(split.lines).brief);
  return { addresses: r.addresses ?? [], links: r.links ?? [], problems: sink.done() };
}

export function parseIpLink(text: string, fileName: string, opts: ParseOptions = {}): { links: NodeLink[]; problems: string[] } {
  const r = parseOne('link', 'links', text, fileName, opts, []);
  return { links: r.data, problems: r.problems };
}

export function parseIpRoute(text: string, fileName: string, opts: ParseOptions = {}): { routes: NodeRoute[]; problems: string[] } {
  const r = parseOne('route', 'routes', text, fileName, opts, []);
  return { routes: r.data, problems: r.problems };
}

export function parseIpNeigh(text: string, fileName: string, opts: ParseOptions = {}): { neighbors: NodeNeighbor[]; problems: string[] } {
  const r = parseOne('neigh', 'neighbors', text, fileName, opts, []);
  return { neighbors: r.data, problems: r.problems };
}

export function parseBridgeFdb(text: string, fileName: string, opts: ParseOptions = {}): { fdb: NodeFdb[]; problems: string[] } {
  const r = parseOne('fdb', 'fdb', text, fileName, opts, []);
  return { fdb: r.data, problems: r.problems };
}

export function parseBirdProtocols(text: string, fileName: string, opts: ParseOptions = {}): { protocols: BgpProtocolState[]; problems: string[] } {
  const r = parseOne('bird-protocols', 'protocols', text, fileName, opts, []);
  return { protocols: r.data, problems: r.problems };
}

export function parseBirdRoutes(text: string, fileName: string, opts: ParseOptions = {}): { routes: BirdRoute[]; problems: string[] } {
  const r = parseOne('bird-routes', 'birdRoutes', text, fileName, opts, []);
  return { routes: r.data, problems: r.problems };
}

// ---------------------------------------------------------------------------------------------
// Whole files: detection, combined files with section markers

export interface ParsedSection {
  /** `file` or `file:line` for a section of a combined file. */
  label: string;
  command: NodeCommand | null;
  format: Format | null;
  /** Parsed without a fatal error (an empty table is fine). */
  ok: boolean;
  entries: number;
  note?: string;
  data: ParsedData;
}

export interface ParsedFile {
  file: string;
  /** True when the file holds `### <command>` (or prompt-line) sections. */
  combined: boolean;
  sections: ParsedSection[];
  problems: string[];
  hostname: string | null;
}

const MARKER = /^\s*(?:#{2,}|={2,}|-{3,}|>{2,}|\*{3,})\s*(?:netdiag:\s*)?(.*?)\s*(?:#{2,}|={2,}|-{3,}|<{2,}|\*{3,})?\s*$/;
const PROMPT = /^(?:\[[^\]]*\]\s*|[\w.-]+@[\w.-]+(?::\S*)?\s*|[\w.~/:-]+\s*)?[#$%>]\s+(.+)$/;

/** A line that opens a section: `### netdiag: ip -j addr show`, `=== bridge fdb ===`, `$ ip route`, `root@n1:~# birdc show protocols`. */
export function sectionMarker(line: string): { command: NodeCommand; format: Format | null; text: string } | null {
  if (/^\s{2,}/.test(line)) return null;
  for (const re of [MARKER, PROMPT]) {
    const m = re.exec(line);
    if (!m) continue;
    const cmd = commandFromMarker(m[1] as string);
    if (cmd) return { ...cmd, text: (m[1] as string).trim() };
  }
  return null;
}

const ENTRY_COUNT = (d: ParsedData): number =>
  (d.addresses?.length ?? 0) + (d.routes?.length ?? 0) + (d.neighbors?.length ?? 0) + (d.fdb?.length ?? 0) +
  (d.protocols?.length ?? 0) + (d.birdRoutes?.length ?? 0) + (d.hostname ? 1 : 0) + (d.addresses ? 0 : (d.links?.length ?? 0));

export function parseNodeFile(text: string, fileName: string, opts: ParseOptions = {}): ParsedFile {
  const max = opts.maxLines ?? DEFAULT_MAX_LINES;
  const fileSink = new ProblemSink(fileName, 1);
  const split = splitLines(text, max);
  if (split.dropped > 0) fileSink.add(null, `${split.dropped} lines beyond the first ${max} not read`);
  const lines = split.lines;

  const cuts: { at: number; marker: ReturnType<typeof sectionMarker> }[] = [];
  lines.forEach((line, i) => {
    const m = sectionMarker(line);
    if (m) cuts.push({ at: i, marker: m });
  });
  const pieces: { start: number; lines: string[]; hint: NodeCommand | null; hintFormat: Format | null; label: string }[] = [];
  if (cuts.length === 0) {
    pieces.push({ start: 0, lines, hint: commandFromName(fileName), hintFormat: null, label: fileName });
  } else {
    const first = cuts[0] as (typeof cuts)[number];
    if (lines.slice(0, first.at).some((l) => l.trim() !== '')) {
      pieces.push({ start: 0, lines: lines.slice(0, first.at), hint: null, hintFormat: null, label: `${fileName}:1` });
    }
    cuts.forEach((c, k) => {
      const end = k + 1 < cuts.length ? (cuts[k + 1] as (typeof cuts)[number]).at : lines.length;
      pieces.push({ start: c.at + 1, lines: lines.slice(c.at + 1, end), hint: c.marker?.command ?? null, hintFormat: c.marker?.format ?? null, label: `${fileName}:${c.at + 1}` });
    });
  }

  const sections: ParsedSection[] = [];
  const problems: string[] = [];
  let hostname: string | null = null;
  for (const piece of pieces) {
    const sink = new ProblemSink(fileName, piece.start + 1);
    const s = parseSection(piece.lines, piece.hint, piece.label, sink, max, cuts.length > 0);
    sections.push(s);
    problems.push(...sink.done());
    if (s.data.hostname) hostname ??= s.data.hostname;
  }
  return { file: fileName, combined: cuts.length > 0, sections, problems: [...fileSink.done(), ...problems], hostname };
}

function parseSection(lines: string[], hint: NodeCommand | null, label: string, sink: ProblemSink, max: number, inCombined: boolean): ParsedSection {
  const nonEmpty = lines.filter((l) => l.trim() !== '');
  const where = inCombined ? `section ${label}` : 'file';
  if (nonEmpty.length === 0) {
    // Every node has addresses, links and routes (lo at least): an empty one means the command failed.
    if (hint === null) sink.add(null, `${where} is empty`);
    else if (hint === 'addr' || hint === 'link' || hint === 'route') sink.add(null, `${where} is empty (ip ${hint} printed nothing?)`);
    return { label, command: hint, format: null, ok: hint !== null, entries: 0, note: 'empty', data: {} };
  }
  const errors = nonEmpty.filter(errorLine);
  if (errors.length === nonEmpty.length) {
    const msg = (errors[0] as string).trim();
    const idx = lines.findIndex((l) => l.trim() !== '');
    const birdGone = /Unable to connect to server control socket/.test(msg);
    const notInstalled = /not found$/.test(msg);
    if (!notInstalled) sink.add(idx, birdGone ? `BIRD is not reachable: ${excerpt(msg, 160)}` : `command failed: ${excerpt(msg, 160)}`);
    return { label, command: hint ?? (birdGone ? 'bird-protocols' : null), format: null, ok: false, entries: 0, note: notInstalled ? 'command not installed' : 'command failed', data: {} };
  }
  const body = readBody(lines, sink, max);
  let command: NodeCommand | null;
  let brief = false;
  if (body.json) command = jsonCommand(body.entries) ?? hint;
  else {
    const g = textCommand(lines);
    command = g.command ?? hint;
    brief = g.brief;
    // `ip link` text without inet lines and an addr hint is still `ip addr` of address-less links.
    if (command === 'link' && hint === 'addr') command = 'addr';
  }
  const format: Format = body.json ? 'json' : 'text';
  if (command === null) {
    if (body.json && body.entries.length === 0 && !body.failed) {
      return { label, command: null, format, ok: true, entries: 0, note: 'empty JSON of unknown command', data: {} };
    }
    sink.add(null, `${where} not recognised as ip/bridge/birdc output; ignored`);
    return { label, command: null, format: null, ok: false, entries: 0, note: 'not recognised', data: {} };
  }
  if (body.failed) return { label, command, format, ok: false, entries: 0, note: 'unreadable JSON', data: {} };
  const data = run(command, body, sink, brief);
  const note = hint !== null && hint !== command ? `content is ${command}, name suggested ${hint}` : undefined;
  return { label, command, format, ok: true, entries: ENTRY_COUNT(data), ...(note ? { note } : {}), data };
}
