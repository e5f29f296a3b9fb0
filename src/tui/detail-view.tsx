import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { hexRows, type PacketDetail } from '../output/detail.js';
import type { TreeLine } from './detail-tree.js';
import { fit, safe, scrollTop } from './layout.js';

export interface DetailViewProps {
  detail: PacketDetail | null;
  /** Why there is no detail (packet unreadable). */
  error: string;
  lines: TreeLine[];
  cursor: number;
  width: number;
  height: number;
}

const SEVERITY_COLOR: Record<string, string> = { error: 'red', warning: 'yellow', note: 'cyan' };

/**
 * One packet: the layer tree on top, the bytes below in hex and ASCII with the selected
 * line's bytes (a field, or a layer's header) shown in reverse video.
 */
export function DetailView({ detail, error, lines, cursor, width, height }: DetailViewProps) {
  if (detail === null) {
    return (
      <Box height={height}>
        <Text color="red">{fit(error, width)}</Text>
      </Box>
    );
  }
  const selected = lines[cursor];
  const range = selected?.range;
  const buffer = detail.buffers[range?.buffer ?? 0] ?? detail.buffers[0]!;
  const rows = hexRows(buffer.bytes);
  const hexHeight = Math.min(rows.length + 1, Math.max(3, Math.floor(height * 0.4)));
  const treeHeight = height - hexHeight;

  const top = scrollTop(Math.max(0, cursor - Math.floor(treeHeight / 2)), cursor, treeHeight, lines.length);
  const tree: ReactNode[] = [];
  for (let i = top; i < Math.min(lines.length, top + treeHeight); i++) {
    const l = lines[i]!;
    const mark = l.expandable ? (l.expanded ? '▾ ' : '▸ ') : '  ';
    const color = l.severity ? SEVERITY_COLOR[l.severity] : undefined;
    tree.push(
      <Text key={l.key} inverse={i === cursor} bold={l.depth === 0} {...(color ? { color } : {})}>
        {fit(`${'  '.repeat(l.depth)}${mark}${l.text}`, width)}
      </Text>,
    );
  }

  const lo = range ? range.start : -1;
  const hi = range ? range.end : -1;
  const firstHit = lo >= 0 ? Math.floor(lo / 16) : 0;
  const hexVisible = hexHeight - 1;
  const hexTop = scrollTop(0, Math.min(firstHit, Math.max(0, rows.length - 1)), hexVisible, rows.length);
  const hex: ReactNode[] = [];
  for (let k = hexTop; k < Math.min(rows.length, hexTop + hexVisible); k++) {
    const r = rows[k]!;
    const parts: ReactNode[] = [];
    const ascii: ReactNode[] = [];
    for (let j = 0; j < 16; j++) {
      const at = r.offset + j;
      const hit = at >= lo && at < hi;
      const byte = r.hex[j];
      parts.push(
        <Text key={j} inverse={hit}>
          {byte ?? '  '}
        </Text>,
      );
      parts.push(j === 7 ? '  ' : ' ');
      if (byte !== undefined) ascii.push(<Text key={j} inverse={hit}>{r.ascii[j]}</Text>);
    }
    hex.push(
      <Text key={k} wrap="truncate">
        {r.offset.toString(16).padStart(4, '0')}  {parts} {ascii}
      </Text>,
    );
  }
  const label = (detail.buffers.length > 1 ? ` ${safe(buffer.label)} ` : '') + (selected?.approximate ? ' field position unknown: its layer header is shown ' : '');
  return (
    <Box flexDirection="column" height={height}>
      <Box flexDirection="column" height={treeHeight}>
        {tree}
      </Box>
      <Text dimColor>{fit(`──${label}${'─'.repeat(width)}`, width)}</Text>
      {hex}
    </Box>
  );
}
