/**
 * The cluster's names as the text and Markdown reports show them. Names come from API files an
 * operator handed in, so they are escaped like packet bytes.
 */
import { escapeControl, escapeMarkdown } from '../output/escape.js';
import type { Report } from '../report/report.js';
import { annotateAddresses, type AddressName } from './names.js';

const NONE: Readonly<Record<string, AddressName>> = Object.freeze({});

/** Text with each address the report names followed by its name: `100.96.2.2 (default/pod-b)`. */
export function named(r: Report, text: string): string {
  const names = r.names ?? NONE;
  for (const _ in names) return annotateAddresses(text, names);
  return text;
}

function labelOf(n: AddressName): string {
  return n.namespace !== undefined ? `${n.namespace}/${n.name}` : n.name;
}

function rows(r: Report): Array<[string, AddressName]> {
  return Object.entries(r.names ?? NONE).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
}

/** "Names" section of the text report (nothing without cluster state). */
export function namesText(r: Report): string[] {
  const list = rows(r);
  if (!list.length) return [];
  const width = Math.max(...list.map(([ip]) => ip.length));
  return [
    'Names (cluster state)',
    ...list.map(([ip, n]) => `  ${escapeControl(ip.padEnd(width))}  ${n.kind.padEnd(7)} ${escapeControl(labelOf(n))}${n.node ? ` on ${escapeControl(n.node)}` : ''}`),
    '',
  ];
}

/** Collapsible "Names" table of the Markdown report (nothing without cluster state). */
export function namesMarkdown(r: Report): string[] {
  const list = rows(r);
  if (!list.length) return [];
  return [
    '<details><summary>Names (cluster state)</summary>',
    '',
    '| Address | Kind | Name | Node |',
    '|---|---|---|---|',
    ...list.map(([ip, n]) => `| ${escapeMarkdown(ip)} | ${n.kind} | ${escapeMarkdown(labelOf(n))} | ${n.node ? escapeMarkdown(n.node) : ''} |`),
    '',
    '</details>',
    '',
  ];
}
