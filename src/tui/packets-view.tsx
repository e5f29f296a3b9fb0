import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { CaptureStore, PacketRow } from './capture-store.js';
import { fit, fitRight, wrap } from './layout.js';
import type { PacketSet } from './packet-set.js';
import { TONE_COLOR } from './theme.js';

interface Widths {
  no: number;
  time: number;
  addr: number;
  proto: number;
  len: number;
  info: number;
}

/** Column widths for a terminal `width` columns wide; Info takes what is left. */
export function packetColumns(width: number): Widths {
  const addr = width >= 140 ? 24 : width >= 100 ? 18 : 15;
  const w = { no: 6, time: 10, addr, proto: 6, len: 5, info: 0 };
  w.info = Math.max(8, width - (w.no + w.time + 2 * addr + w.proto + w.len + 6));
  return w;
}

export function headerLine(width: number): string {
  const w = packetColumns(width);
  return fit(
    `${fitRight('No.', w.no)} ${fit('Time', w.time)} ${fit('Source', w.addr)} ${fit('Destination', w.addr)} ${fit('Proto', w.proto)} ${fitRight('Len', w.len)} Info`,
    width,
  );
}

/** One list row; every column is already escaped by the packet lister. */
export function rowLine(r: PacketRow, width: number): string {
  const w = packetColumns(width);
  return fit(
    `${fitRight(String(r.number), w.no)} ${fit(r.time, w.time)} ${fit(r.source, w.addr)} ${fit(r.destination, w.addr)} ${fit(r.protocol, w.proto)} ${fitRight(String(r.length), w.len)} ${r.info}`,
    width,
  );
}

export interface PacketsViewProps {
  store: CaptureStore;
  set: PacketSet;
  cursor: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The packet list. Only the rows on screen are decoded, each with the store's one reused
 * decoder, so drawing costs the same at packet 10 as at packet 10,000,000.
 */
export function PacketsView({ store, set, cursor, top, width, height }: PacketsViewProps) {
  const rows: ReactNode[] = [];
  // Narrow terminals cut the Info column: the selected packet's Info is repeated in full below.
  const preview = width < 140 && set.length > 0 && height >= 8 ? 2 : 0;
  const visible = Math.max(0, height - 1 - preview);
  const end = Math.min(set.length, top + visible);
  for (let i = top; i < end; i++) {
    const n = set.numberAt(i);
    const r = store.row(n);
    const selected = i === cursor;
    if (r === null) {
      rows.push(
        <Text key={i} inverse={selected} color="red">
          {fit(`${String(n).padStart(6)} ${store.recordError(n)}`, width)}
        </Text>,
      );
      continue;
    }
    const color = TONE_COLOR[r.tone];
    rows.push(
      <Text key={i} inverse={selected} {...(color ? { color } : {})}>
        {rowLine(r, width)}
      </Text>,
    );
  }
  let previewLines: string[] = [];
  if (preview) {
    const r = store.row(set.numberAt(cursor));
    previewLines = r ? wrap(`${r.number}: ${r.info}`, width).slice(0, preview) : [];
  }
  let empty: string | null = null;
  if (set.length === 0) {
    if (store.error !== null) empty = store.error;
    else if (store.status === 'live') empty = 'waiting for packets…';
    else if (!set.complete) empty = 'reading…';
    else empty = 'no packets';
  }
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>{headerLine(width)}</Text>
      {rows}
      {empty !== null ? <Text dimColor>{fit('  ' + empty, width)}</Text> : null}
      <Box flexGrow={1} />
      {previewLines.map((l, i) => (
        <Text key={`p${i}`} color="cyan">
          {fit(l, width)}
        </Text>
      ))}
    </Box>
  );
}
