import { Text } from 'ink';
import type { CaptureStore } from './capture-store.js';
import type { Selection } from './app.js';
import type { ViewName } from './keymap.js';
import { fit, safe } from './layout.js';
import type { PacketSet } from './packet-set.js';
import type { TuiSession } from './session.js';

function progress(store: CaptureStore): string {
  if (store.status === 'failed') return 'unreadable';
  if (store.status === 'live') return 'live';
  if (store.status === 'done') return '';
  if (store.size && store.bytesRead < store.size) return `reading ${Math.floor((100 * store.bytesRead) / store.size)}%`;
  return 'reading…';
}

function selectionText(sel: Selection, set: PacketSet, store: CaptureStore): string {
  if (sel.kind === 'all') return '';
  if (sel.kind === 'evidence') return ` · evidence: ${set.length} packets`;
  const scanning = set.complete ? '' : ` (scanning ${Math.floor((100 * sel.scan.scanned) / Math.max(1, store.count))}%)`;
  return ` · filter: ${set.length} match${set.length === 1 ? '' : 'es'}${scanning}`;
}

function analysisText(session: TuiSession): string {
  if (session.analysis === 'running') return 'diagnosing…';
  if (session.analysis === 'failed') return 'diagnosis failed';
  if (session.analysis === 'off' || !session.report) return '';
  const bad = session.report.findings.filter((f) => f.severity !== 'info').length;
  return bad ? `${bad} problem${bad === 1 ? '' : 's'}` : 'no fault found';
}

export interface StatusLineProps {
  session: TuiSession;
  store: CaptureStore;
  cap: number;
  sel: Selection;
  set: PacketSet;
  cursor: number;
  view: ViewName;
  width: number;
}

/** Top line: which capture, how far it is read, what the list is narrowed to, how the diagnosis goes. */
export function StatusLine({ session, store, cap, sel, set, cursor, view, width }: StatusLineProps) {
  const n = session.stores.length;
  const which = n > 1 ? `[${cap + 1}/${n}] ` : '';
  const live = session.liveStatus?.();
  const p = live ? safe(live) : progress(store);
  const pos = view === 'packets' && set.length ? ` · ${cursor + 1}/${set.length}` : '';
  const brand = width >= 100 ? ' netdiag ·' : '';
  const left = `${brand} ${which}${safe(store.label)} · ${store.count} pkts${p ? ` (${p})` : ''}${selectionText(sel, set, store)}${pos}`;
  const right = analysisText(session) + ' ';
  const room = Math.max(0, width - right.length);
  const bad = session.report?.findings.some((f) => f.severity === 'error') ?? false;
  return (
    <Text inverse>
      {fit(left, room)}
      <Text {...(bad ? { color: 'red' } : {})}>{right.slice(0, width - room)}</Text>
    </Text>
  );
}
