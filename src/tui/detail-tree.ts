import type { ByteRange, DetailField, PacketDetail } from '../output/detail.js';

/** One line of the layer tree as shown: layers, their fields, expert notes. */
export interface TreeLine {
  /** Stable across packets of the same shape, so what is unfolded stays unfolded. */
  key: string;
  depth: number;
  text: string;
  expandable: boolean;
  expanded: boolean;
  range?: ByteRange;
  /** The range is the enclosing layer's header: the decoder does not place this field exactly. */
  approximate?: boolean;
  severity?: string;
}

/**
 * The visible lines of a packet's layer tree: layers are folded unless their key is in
 * `expanded`, as are fields with sub-fields. Detail text is already escaped.
 */
export function treeLines(d: PacketDetail, expanded: ReadonlySet<string>): TreeLine[] {
  const out: TreeLine[] = [];
  const fields = (list: DetailField[], parent: string, depth: number, header: ByteRange) => {
    for (const f of list) {
      const key = `${parent}/${f.name}`;
      const open = expanded.has(key);
      const line: TreeLine = { key, depth, text: `${f.label}: ${f.display}`, expandable: f.children.length > 0, expanded: open };
      if (f.range) line.range = f.range;
      else {
        line.range = header;
        line.approximate = true;
      }
      out.push(line);
      if (open) fields(f.children, key, depth + 1, header);
    }
  };
  d.layers.forEach((l, i) => {
    const key = `${i}:${l.name}`;
    const open = expanded.has(key);
    out.push({ key, depth: 0, text: l.title, expandable: l.fields.length > 0 || l.anomalies.length > 0, expanded: open, range: l.header, ...(l.anomalies.length ? { severity: worst(l.anomalies.map((a) => a.severity)) } : {}) });
    if (!open) return;
    fields(l.fields, key, 1, l.header);
    for (const a of l.anomalies) out.push({ key: `${key}!${a.id}`, depth: 1, text: `[Expert ${a.severity}: ${a.message} (${a.id})]`, expandable: false, expanded: false, severity: a.severity, range: l.range });
  });
  return out;
}

function worst(list: string[]): string {
  return list.includes('error') ? 'error' : list.includes('warning') ? 'warning' : 'note';
}
