import { isAbsolute, relative } from 'node:path';
import { Box, Text, useApp, useStdout, type Key } from 'ink';
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { compileFilter, FilterError, validateFilter } from '../filter/index.js';
import { treeLines } from './detail-tree.js';
import { DetailView } from './detail-view.js';
import { writePackets, writeReport } from './exports.js';
import { FilterBar } from './filter-bar.js';
import { FindingsView, type FindingsFocus } from './findings-view.js';
import { flowFilter } from './flow-filter.js';
import { FlowsView } from './flows-view.js';
import { HelpView } from './help-view.js';
import { KeyBar } from './key-bar.js';
import { VIEWS, WHEEL_ROWS, type ViewName } from './keymap.js';
import { fit, safe, scrollTop, wrap } from './layout.js';
import { AllPackets, FilterScan, NumberSet, type PacketSet } from './packet-set.js';
import { PacketsView } from './packets-view.js';
import type { TuiSession } from './session.js';
import { StatusLine } from './status-line.js';
import { TopologyView } from './topology-view.js';
import { useKeyQueue } from './use-key-queue.js';

export interface AppProps {
  session: TuiSession;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  width?: number;
  height?: number;
  /** Where `w` and `r` write their files. */
  outDir?: string;
  /** Start on the newest packet and keep following it (live capture). */
  follow?: boolean;
  /** Display filter applied at start (validated by the caller, e.g. read -Y). */
  filter?: string;
}

/** What the packet list shows: every packet, a display filter's matches, or a finding's packets. */
export type Selection = { kind: 'all' } | { kind: 'filter'; scan: FilterScan } | { kind: 'evidence'; set: NumberSet; label: string };

type Message = { text: string; color?: string };

/** Rows the status line, the message line and the key bar take, plus one kept free so ink never scrolls. */
const CHROME = 4;

/** A movement key as a signed step; ±Infinity for first/last. */
function step(input: string, key: Key, page: number): number | null {
  if (key.upArrow || input === 'k') return -1;
  if (key.downArrow || input === 'j') return 1;
  if (key.pageUp) return -page;
  if (key.pageDown || input === ' ') return page;
  if (input === 'g' || key.home) return -Infinity;
  if (input === 'G' || key.end) return Infinity;
  return null;
}

/** A path as short as it can be said: relative to the working directory when inside it. */
function shortPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

const clamp = (v: number, len: number) => Math.max(0, Math.min(len - 1, v));

export function App({ session, width: fixedWidth, height: fixedHeight, outDir = process.cwd(), follow: startFollowing = false, filter: startFilter }: AppProps) {
  useSyncExternalStore(session.subscribe, session.getVersion);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [size, setSize] = useState({ w: stdout.columns ?? 80, h: stdout.rows ?? 24 });
  useEffect(() => {
    if (fixedWidth !== undefined) return;
    const onResize = () => setSize({ w: stdout.columns ?? 80, h: stdout.rows ?? 24 });
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout, fixedWidth]);
  const width = Math.max(40, fixedWidth ?? size.w);
  const height = Math.max(10, fixedHeight ?? size.h);
  const [message, setMessage] = useState<Message | null>(null);
  const fallback: Message = session.messages.length ? { text: session.messages[session.messages.length - 1]!, color: 'red' } : { text: '' };
  const shown = message ?? fallback;
  // A long message (a path written to) takes a second line rather than being cut.
  const messageLines = wrap(safe(shown.text), width).slice(0, 2);
  const body = height - CHROME - (messageLines.length - 1);

  const report = session.report;
  const findings = report?.findings ?? [];
  const flows = report?.flows ?? [];

  const [view, setView] = useState<ViewName>('packets');
  const acted = useRef(false);
  // Findings come first once known, unless the user has already started looking around.
  useEffect(() => {
    if (findings.length > 0 && !acted.current) setView('findings');
  }, [findings.length]);

  const [cap, setCap] = useState(0);
  const allSets = useMemo(() => session.stores.map((s) => new AllPackets(s)), [session]);
  const [sel, setSelState] = useState<Selection>({ kind: 'all' });
  const store = session.stores[cap]!;
  const set: PacketSet = sel.kind === 'all' ? allSets[cap]! : sel.kind === 'filter' ? sel.scan : sel.set;
  const [pcur, setPcur] = useState(0);
  const [following, setFollowing] = useState(startFollowing);
  const ptop = useRef(0);
  const listRows = body - 1 - (width < 140 && body >= 8 ? 2 : 0);
  const cursor = set.length === 0 ? 0 : following ? set.length - 1 : clamp(pcur, set.length);
  ptop.current = scrollTop(ptop.current, cursor, listRows, set.length);

  const [detailNumber, setDetailNumber] = useState(0);
  const [treeCursor, setTreeCursor] = useState(0);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const detail = useMemo(() => (view === 'detail' && detailNumber > 0 && store.ready ? store.detail(detailNumber) : null), [view, store, detailNumber, store.ready]);
  const lines = useMemo(() => (detail ? treeLines(detail, expanded) : []), [detail, expanded]);

  const [fcur, setFcur] = useState(0);
  const [ecur, setEcur] = useState(0);
  const [focus, setFocus] = useState<FindingsFocus>('list');
  const [flcur, setFlcur] = useState(0);
  const [topoScroll, setTopoScroll] = useState(0);

  const [filterOpen, setFilterOpen] = useState(false);
  const [filterText, setFilterText] = useState('');
  const [filterError, setFilterError] = useState<FilterError | null>(null);
  const [history, setHistory] = useState<string[]>([]);
  const [histPos, setHistPos] = useState(-1);
  const [help, setHelp] = useState(false);

  useEffect(() => () => (sel.kind === 'filter' ? sel.scan.cancel() : undefined), [sel]);
  // Effects run once the frame is out: with packets (or the reason there are none) on
  // screen, the rest of the reading and the diagnosis may start.
  useEffect(() => {
    if ((store.count > 0 && store.ready) || store.status === 'done' || store.status === 'failed') session.firstScreenDrawn();
  });

  const setSel = (next: Selection) => setSelState(next);

  useEffect(() => {
    if (startFilter && applyFilter(startFilter, 0)) setFilterText(startFilter);
    // Once, at start: later filters come from the filter bar.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  /** Start a filter over capture `k`; false (and the error shown) when it does not compile. */
  const applyFilter = (text: string, k: number): boolean => {
    if (text.trim() === '') {
      setSel({ kind: 'all' });
      return true;
    }
    let compiled;
    try {
      compiled = compileFilter(session.reg, text);
    } catch (e) {
      if (e instanceof FilterError) {
        setFilterError(e);
        return false;
      }
      throw e;
    }
    const scan = new FilterScan(session.stores[k]!, compiled, () => session.changed());
    void scan.run();
    setSel({ kind: 'filter', scan });
    setPcur(0);
    setFollowing(false);
    return true;
  };

  const switchCapture = (k: number) => {
    if (k === cap || k < 0 || k >= session.stores.length) return;
    setCap(k);
    setPcur(0);
    ptop.current = 0;
    if (sel.kind === 'filter') applyFilter(sel.scan.filter.text, k);
    else if (sel.kind === 'evidence') setSel({ kind: 'all' });
  };

  const showEvidence = () => {
    const f = findings[fcur];
    const e = f?.evidence[ecur];
    if (!f || !e) return;
    const k = session.storeIndex(e.capture);
    if (k < 0) {
      setMessage({ text: `capture ${safe(e.capture)} is not open in this session`, color: 'red' });
      return;
    }
    setCap(k);
    setSel({ kind: 'evidence', set: new NumberSet(e.packets), label: f.title });
    setPcur(0);
    ptop.current = 0;
    setFollowing(false);
    setView('packets');
    const more = e.count > e.packets.length ? ` (${e.packets.length} of ${e.count} cited)` : '';
    setMessage({ text: `evidence: ${safe(e.capture)} packets ${e.packets.join(', ')}${more} — Esc shows all packets`, color: 'yellow' });
  };

  const showFlow = () => {
    const f = flows[flcur];
    if (!f) return;
    const k = session.storeIndex(f.capture);
    if (k < 0) {
      setMessage({ text: `capture ${safe(f.capture)} is not open in this session`, color: 'red' });
      return;
    }
    const text = flowFilter(f);
    setCap(k);
    ptop.current = 0;
    if (applyFilter(text, k)) {
      setFilterText(text);
      setView('packets');
      setMessage({ text: `flow: ${safe(text)}` });
    }
  };

  const openDetail = (n: number) => {
    if (n <= 0) return;
    setDetailNumber(n);
    setTreeCursor(0);
    setView('detail');
  };

  const quit = () => {
    session.close();
    exit();
  };

  const filterKey = (input: string, key: Key) => {
    const edit = (t: string) => {
      setFilterText(t);
      setFilterError(validateFilter(session.reg, t));
    };
    if (key.return) {
      if (filterError !== null) return;
      if (applyFilter(filterText, cap)) {
        if (filterText.trim() !== '') setHistory((h) => [filterText, ...h.filter((x) => x !== filterText)].slice(0, 50));
        setFilterOpen(false);
        setHistPos(-1);
        if (view !== 'packets' && view !== 'detail') setView('packets');
        setMessage(filterText.trim() ? { text: `filter: ${safe(filterText)}` } : null);
      }
      return;
    }
    if (key.escape) {
      setFilterOpen(false);
      setHistPos(-1);
      setFilterError(null);
      return;
    }
    if (key.upArrow || key.downArrow) {
      if (history.length === 0) return;
      const pos = key.upArrow ? Math.min(history.length - 1, histPos + 1) : histPos - 1;
      setHistPos(Math.max(-1, pos));
      edit(pos < 0 ? '' : history[pos]!);
      return;
    }
    if (key.backspace || key.delete) {
      edit(filterText.slice(0, -1));
      return;
    }
    if (key.ctrl && input === 'u') {
      edit('');
      return;
    }
    if (input && !key.ctrl && !key.meta && !key.tab) edit(filterText + input.replace(/[\u0000-\u001f\u007f]/g, ''));
  };

  const openFilter = (text: string) => {
    setFilterOpen(true);
    setFilterText(text);
    setFilterError(text ? validateFilter(session.reg, text) : null);
  };

  const onKey = (input: string, key: Key): void => {
    if (filterOpen) return filterKey(input, key);
    if (help) return void setHelp(false);
    acted.current = true;
    if (input === 'q' || (key.ctrl && input === 'c')) return quit();
    if (input === '?') return void setHelp(true);
    const digit = '12345'.indexOf(input);
    if (input.length === 1 && digit >= 0) {
      const v = VIEWS[digit]!;
      if (v === 'detail' && detailNumber === 0) openDetail(set.numberAt(cursor));
      else setView(v);
      return;
    }
    if (input === '/') return openFilter(sel.kind === 'filter' ? sel.scan.filter.text : '');
    if (input === '[' || input === ']') return switchCapture(cap + (input === '[' ? -1 : 1));
    if (input === 'w') {
      setMessage({ text: 'writing packets…' });
      writePackets(store, set, outDir).then(
        (o) => setMessage({ text: `wrote ${o.packets} packet${o.packets === 1 ? '' : 's'}${set.complete ? '' : store.status === 'live' ? ' so far' : ' (filter still running)'} to ${shortPath(o.path)}`, color: 'green' }),
        (e: unknown) => setMessage({ text: `cannot write the packets: ${safe((e as Error).message)}`, color: 'red' }),
      );
      return;
    }
    if (input === 'r') {
      if (report === null) return setMessage({ text: 'the report is not ready yet (diagnosis running)', color: 'yellow' });
      writeReport(report, outDir).then(
        (paths) => setMessage({ text: `report written to ${paths.map(shortPath).join(' and ')}`, color: 'green' }),
        (e: unknown) => setMessage({ text: `cannot write the report: ${safe((e as Error).message)}`, color: 'red' }),
      );
      return;
    }
    if (key.tab) {
      if (view === 'findings' && findings.length) setFocus(focus === 'list' ? 'evidence' : 'list');
      else setView(VIEWS[(VIEWS.indexOf(view) + 1) % VIEWS.length]!);
      return;
    }

    if (view === 'findings') {
      const f = findings[fcur];
      if (key.return) {
        if (focus === 'list') {
          setFocus('evidence');
          setEcur(0);
        } else showEvidence();
        return;
      }
      if (key.escape) return setFocus('list');
      const s = step(input, key, 5);
      if (s === null) return;
      if (focus === 'list' || !f) {
        setFcur((c) => clamp(c + s, findings.length));
        setEcur(0);
      } else setEcur((c) => clamp(c + s, f.evidence.length));
      return;
    }

    if (view === 'packets') {
      if (key.return) return openDetail(set.numberAt(cursor));
      if (key.escape) {
        if (sel.kind !== 'all') {
          const n = set.numberAt(cursor);
          setSel({ kind: 'all' });
          setPcur(Math.max(0, n - 1));
          setMessage(null);
        }
        return;
      }
      const s = step(input, key, Math.max(1, listRows - 1));
      if (s === null) return;
      if (s === Infinity) {
        setFollowing(true);
        return;
      }
      // From the row on screen (also when following the tail), then relative to any
      // move not yet drawn: keys repeat faster than a slow terminal redraws.
      const from = following ? cursor : null;
      setFollowing(false);
      setPcur((c) => clamp((from ?? clamp(c, set.length)) + s, set.length));
      return;
    }

    if (view === 'detail') {
      if (key.escape || key.backspace) return setView('packets');
      if (input === 'n' || input === 'p') {
        const next = clamp(cursor + (input === 'n' ? 1 : -1), set.length);
        setFollowing(false);
        setPcur(next);
        setDetailNumber(set.numberAt(next));
        return;
      }
      const line = lines[treeCursor];
      if (line && line.expandable && (key.return || key.rightArrow || key.leftArrow || input === ' ' || input === 'l' || input === 'h')) {
        const open = key.rightArrow || input === 'l' ? true : key.leftArrow || input === 'h' ? false : !line.expanded;
        if (open !== line.expanded) {
          const next = new Set(expanded);
          if (open) next.add(line.key);
          else next.delete(line.key);
          setExpanded(next);
        }
        return;
      }
      const s = step(input, key, Math.max(1, body - 2));
      if (s !== null) setTreeCursor((c) => clamp(clamp(c, lines.length) + s, lines.length));
      return;
    }

    if (view === 'flows') {
      if (key.return) return showFlow();
      const s = step(input, key, Math.max(1, body - 2));
      if (s !== null) setFlcur((c) => clamp(c + s, flows.length));
      return;
    }

    if (view === 'topology') {
      const s = step(input, key, Math.max(1, body - 1));
      if (s !== null) setTopoScroll((t) => Math.max(0, Math.min(10_000, t + (Number.isFinite(s) ? s : s > 0 ? 10_000 : -10_000))));
    }
  };
  /** A turn of the mouse wheel scrolls the focused list by WHEEL_ROWS, the selection moving with it. */
  const onWheel = (direction: -1 | 1): void => {
    if (filterOpen || help) return;
    acted.current = true;
    const rows = direction * WHEEL_ROWS;
    if (view === 'packets') {
      ptop.current = Math.max(0, Math.min(ptop.current + rows, set.length - listRows));
      setFollowing(false);
      setPcur(clamp(cursor + rows, set.length));
    } else if (view === 'findings') {
      const f = findings[fcur];
      if (focus === 'list' || !f) {
        setFcur((c) => clamp(c + rows, findings.length));
        setEcur(0);
      } else setEcur((c) => clamp(c + rows, f.evidence.length));
    } else if (view === 'flows') setFlcur((c) => clamp(c + rows, flows.length));
    else if (view === 'detail') setTreeCursor((c) => clamp(clamp(c, lines.length) + rows, lines.length));
    else setTopoScroll((t) => Math.max(0, Math.min(10_000, t + rows)));
  };
  useKeyQueue(onKey, onWheel);

  let content;
  if (help) content = <HelpView width={width} height={body} />;
  else if (view === 'findings')
    content = <FindingsView report={report} analysis={session.analysis} captures={session.stores.length} cursor={fcur} evidenceCursor={ecur} focus={focus} width={width} height={body} />;
  else if (view === 'packets') content = <PacketsView store={store} set={set} cursor={cursor} top={ptop.current} width={width} height={body} />;
  else if (view === 'detail')
    content = <DetailView detail={detail} error={detailNumber > 0 ? store.recordError(detailNumber) : 'no packet selected'} lines={lines} cursor={clamp(treeCursor, lines.length)} width={width} height={body} />;
  else if (view === 'flows') content = <FlowsView flows={flows} omitted={report?.flowsOmitted ?? 0} cursor={flcur} width={width} height={body} names={report?.names} />;
  else content = <TopologyView report={report} scroll={topoScroll} width={width} height={body} />;

  return (
    <Box flexDirection="column" width={width} height={height - 1}>
      <StatusLine session={session} store={store} cap={cap} sel={sel} set={set} cursor={cursor} view={view} width={width} />
      <Box height={body} flexDirection="column">
        {content}
      </Box>
      {filterOpen ? (
        <FilterBar text={filterText} error={filterError} width={width} />
      ) : (
        <>
          {messageLines.map((l, i) => (
            <Text key={`m${i}`} {...(shown.color ? { color: shown.color } : {})}>
              {fit(l, width)}
            </Text>
          ))}
          <KeyBar view={view} width={width} />
        </>
      )}
    </Box>
  );
}
