import { Text } from 'ink';
import type { ReactNode } from 'react';
import { KEY_BAR, VIEWS, VIEW_TITLE, type ViewName } from './keymap.js';

/** The bottom line: the views by number (the current one highlighted), then this view's keys. */
export function KeyBar({ view, width }: { view: ViewName; width: number }) {
  // Narrow terminals name only the current view; the others keep their number key.
  const wide = width >= 110;
  const tabs = VIEWS.map((v, i) => ({ v, label: wide || v === view ? `${i + 1} ${VIEW_TITLE[v]}` : String(i + 1) }));
  let used = 0;
  const parts: ReactNode[] = [];
  for (const t of tabs) {
    const s = ` ${t.label} `;
    if (used + s.length > width) break;
    used += s.length;
    parts.push(
      <Text key={t.v} inverse={t.v === view} bold={t.v === view}>
        {s}
      </Text>,
    );
  }
  for (const [k, what] of KEY_BAR[view]) {
    const s = ` ${k} ${what}`;
    if (used + s.length + 1 > width) break;
    used += s.length + 1;
    parts.push(
      <Text key={k}>
        {' '}
        <Text color="cyan">{k}</Text> {what}
      </Text>,
    );
  }
  return <Text wrap="truncate">{parts}</Text>;
}
