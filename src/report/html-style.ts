/** The report's stylesheet, inlined: the file opens offline and prints cleanly to PDF. */
export const REPORT_CSS = `
:root { --err: #c62828; --warn: #b26a00; --info: #1565c0; --ok: #2e7d32; --muted: #666; --line: #ddd; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1100px; padding: 24px; color: #1a1a1a; background: #fff; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
.verdict { font-size: 17px; padding: 12px 16px; border-radius: 6px; border-left: 6px solid var(--ok); background: #f1f8f1; }
.verdict.sev-error { border-color: var(--err); background: #fdf1f1; }
.verdict.sev-warning { border-color: var(--warn); background: #fff7e6; }
.muted, .meta { color: var(--muted); font-size: 12px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-size: 11px; text-transform: uppercase; vertical-align: 2px; }
.badge.sev-error { background: var(--err); } .badge.sev-warning { background: var(--warn); } .badge.sev-info { background: var(--info); }
.finding { border: 1px solid var(--line); border-radius: 6px; padding: 4px 14px 10px; margin: 10px 0; break-inside: avoid; }
.finding.sev-error { border-left: 5px solid var(--err); } .finding.sev-warning { border-left: 5px solid var(--warn); }
.detail { white-space: pre-wrap; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 12px; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f5f5f5; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: 8px; overflow-x: auto; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.hex { white-space: pre; }
svg { width: 100%; height: auto; font: 11px system-ui, sans-serif; }
.path .hop rect { fill: #fff; stroke: #555; stroke-width: 1.2; }
.path .hop-pod rect { fill: #e8f0fe; } .path .hop-vtep rect { fill: #fff4e0; } .path .hop-nic rect { fill: #eef7ee; } .path .hop-underlay rect { fill: #f3f3f3; stroke-dasharray: 5 3; }
.path .label { font-weight: 600; font-size: 12px; } .path .fact { fill: #444; font-size: 10px; }
.path .node-frame rect { fill: none; stroke: #999; stroke-dasharray: 4 4; } .path .node-frame text { fill: #555; font-weight: 600; }
.path .seg { stroke: #777; stroke-width: 2; } .path .arrowhead { fill: #777; }
.path .seg.failing { stroke: var(--err); stroke-width: 4; stroke-dasharray: 8 4; }
.path .fault-label circle { fill: var(--err); } .path .fault-label text { fill: var(--err); font-weight: 700; font-size: 12px; } .path .fault-label .cross { fill: #fff; font-size: 11px; }
.path .capture-point circle { fill: #6a1b9a; } .path .capture-point text { fill: #6a1b9a; font-size: 10px; }
.timeline .bar { fill: #90a4ae; } .timeline .lane-base, .timeline .axis line { stroke: #bbb; } .timeline .axis text { fill: #555; font-size: 10px; }
.timeline .lane-label { font-size: 11px; } .timeline .cited { stroke: #fff; stroke-width: 0.8; }
.timeline .sev-error { fill: var(--err); } .timeline .sev-warning { fill: var(--warn); } .timeline .sev-info { fill: var(--info); }
.legend span { margin-right: 14px; } .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 4px; vertical-align: -1px; }
.packet { border-top: 1px solid var(--line); padding-top: 4px; break-inside: avoid; }
.packet ul { list-style: none; padding-left: 16px; margin: 2px 0; font: 12px ui-monospace, monospace; }
.layer summary { cursor: pointer; font: 12px ui-monospace, monospace; }
.anomaly { color: var(--warn); }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  /* Paper cannot be clicked open: print every collapsed block's content. */
  details > summary { list-style: none; }
  details::details-content { content-visibility: visible; display: contents; }
  h2 { break-after: avoid; } .finding, .packet, svg, table { break-inside: avoid; }
  pre { white-space: pre-wrap; }
}
`;
