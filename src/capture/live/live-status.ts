import type { LiveInterface, LiveStats } from './source.js';

/** 0:07, 12:34, 1:02:03. */
export function elapsedText(ms: number): string {
  const t = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/**
 * One line on a capture in progress, for the terminal UI's status line: how long, where,
 * with which engine, how many packets and how many lost. Drop counters are read when the
 * capture stops, so until then the drops are not known ("drops ?").
 */
export function liveStatusText(interfaces: readonly LiveInterface[], stats: readonly LiveStats[], elapsedMs: number, stopped: boolean): string {
  const names = interfaces.map((i) => i.name).join('+');
  const engine = interfaces[0]?.engine ?? '?';
  let captured = 0;
  let dropped = 0;
  let counters = 0;
  let unknown = 0;
  for (const s of stats) {
    captured += s.delivered;
    for (const c of [s.dropped, s.ifDropped]) {
      if (c === null) unknown++;
      else dropped += c;
      counters++;
    }
  }
  // Some engines count only the interface's drops: what is known is then a lower bound.
  const drops = unknown === 0 ? `${dropped} dropped` : unknown < counters ? `≥${dropped} dropped` : stopped ? 'drops unknown' : 'drops ?';
  return `${stopped ? 'stopped' : 'live'} ${elapsedText(elapsedMs)} · ${names} ${engine} · ${captured} captured · ${drops}`;
}
