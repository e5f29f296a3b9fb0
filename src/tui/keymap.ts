/** The views, in the order of their number keys. */
export const VIEWS = ['findings', 'packets', 'detail', 'flows', 'topology'] as const;
export type ViewName = (typeof VIEWS)[number];

export const VIEW_TITLE: Record<ViewName, string> = {
  findings: 'Findings',
  packets: 'Packets',
  detail: 'Detail',
  flows: 'Flows',
  topology: 'Topology',
};

/** Rows one turn of the mouse wheel scrolls a list by. */
export const WHEEL_ROWS = 3;

/** What the key bar shows in each view: the keys that do something there. */
export const KEY_BAR: Record<ViewName, Array<[string, string]>> = {
  findings: [['↑↓', 'select'], ['Tab', 'evidence'], ['Enter', 'packets'], ['/', 'filter'], ['r', 'report'], ['?', 'help'], ['q', 'quit']],
  packets: [['↑↓', 'move'], ['Enter', 'detail'], ['/', 'filter'], ['[ ]', 'capture'], ['w', 'write'], ['Esc', 'clear'], ['?', 'help'], ['q', 'quit']],
  detail: [['↑↓', 'field'], ['Enter', 'expand'], ['←→', 'fold'], ['n p', 'packet'], ['Esc', 'back'], ['?', 'help'], ['q', 'quit']],
  flows: [['↑↓', 'select'], ['Enter', 'packets'], ['/', 'filter'], ['?', 'help'], ['q', 'quit']],
  topology: [['↑↓', 'scroll'], ['?', 'help'], ['q', 'quit']],
};

/** The full key map (help screen and README). */
export const HELP: Array<[string, string]> = [
  ['1 2 3 4 5', 'Findings, Packets, Detail, Flows, Topology'],
  ['↑ ↓  k j', 'move the selection'],
  ['PgUp PgDn', 'a screen up / down (Space: down)'],
  ['wheel', `scroll the list ${WHEEL_ROWS} rows (where the terminal sends the mouse)`],
  ['g  G', 'first / last (G follows a growing capture)'],
  ['Tab', 'next pane (findings ↔ evidence) or next view'],
  ['Enter', 'open: finding → evidence → packets → detail; flow → its packets'],
  ['Esc', 'back; in Packets, drop the filter or evidence selection'],
  ['/', 'display filter (Wireshark syntax; ↑↓ history, Ctrl-U clear, Enter apply, Esc cancel)'],
  ['[  ]', 'previous / next capture'],
  ['← →  Space', 'Detail: collapse / expand the layer or field'],
  ['n  p', 'Detail: next / previous packet'],
  ['w', 'write the packets in view to a pcap file'],
  ['r', 'write the report (Markdown, and HTML when available)'],
  ['?', 'this help'],
  ['q  Ctrl-C', 'quit'],
];
