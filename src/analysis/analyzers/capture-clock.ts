import { defineAnalyzer } from '../analyzer.js';
import { type Finding, PacketSample } from '../finding.js';

/**
 * Capture clocks that cannot be trusted: timestamps of zero or before the clock was set
 * (a capturer on a host without RTC/NTP), timestamps in the future, and long silences.
 * Retransmission backoff, hold timers and the alignment of several captures all read
 * packet times, so these are said before anyone believes a timing conclusion.
 * Timestamps going backwards are the capture analyzer's.
 */

/** 2000-01-01: no capture of a Kubernetes cluster predates it; earlier means the clock was never set. */
export const CLOCK_UNSET_BEFORE = 946_684_800;
/** Ahead of the analysing host by more than a day is not clock drift, it is a wrong clock. */
export const FUTURE_MARGIN_S = 86_400;
/** A silence is worth a note when it is this long and most of the capture. */
export const GAP_MIN_S = 60;
export const GAP_SHARE = 0.5;

interface State {
  futureAfter: number;
  unset: PacketSample;
  future: PacketSample;
  prev: number;
  prevPacket: number;
  first: number;
  last: number;
  maxGap: number;
  gapFrom: number;
  gapTo: number;
}

export interface ClockResult {
  unset: { packets: number[]; count: number };
  future: { packets: number[]; count: number };
  futureAfter: number;
  /** Span of the trustworthy timestamps. */
  span: number;
  maxGap: number;
  gapFrom: number;
  gapTo: number;
}

function when(t: number): string {
  const d = new Date(t * 1000);
  return Number.isFinite(d.getTime()) ? d.toISOString() : `${t} s after the epoch`;
}

export const captureClockAnalyzer = defineAnalyzer<State, ClockResult>({
  name: 'capture-clock',
  create: () => ({
    futureAfter: Date.now() / 1000 + FUTURE_MARGIN_S,
    unset: new PacketSample(),
    future: new PacketSample(),
    prev: NaN,
    prevPacket: 0,
    first: NaN,
    last: NaN,
    maxGap: 0,
    gapFrom: 0,
    gapTo: 0,
  }),
  packet(s, _f, p, ctx) {
    const t = ctx.time;
    if (t < CLOCK_UNSET_BEFORE) {
      s.unset.add(p.number);
      return;
    }
    if (t > s.futureAfter) {
      s.future.add(p.number);
      return;
    }
    if (s.prev === s.prev) {
      const gap = t - s.prev;
      if (gap > s.maxGap) {
        s.maxGap = gap;
        s.gapFrom = s.prevPacket;
        s.gapTo = p.number;
      }
    } else s.first = t;
    if (!(t <= s.last)) s.last = t;
    s.prev = t;
    s.prevPacket = p.number;
  },
  finish: (s) => ({
    unset: s.unset.toJSON(),
    future: s.future.toJSON(),
    futureAfter: s.futureAfter,
    span: s.first === s.first ? s.last - s.first : 0,
    maxGap: s.maxGap,
    gapFrom: s.gapFrom,
    gapTo: s.gapTo,
  }),
  diagnose(results, model) {
    const findings: Finding[] = [];
    model.captures.forEach((c, i) => {
      const r = results[i];
      if (!r) return;
      const total = c.packets || 1;
      if (r.unset.count > 0) {
        findings.push({
          id: 'capture.clock-unset',
          severity: 'warning',
          confidence: 1,
          component: 'capture',
          node: null,
          title: `${c.name}: ${r.unset.count} packet${r.unset.count === 1 ? ' has a timestamp' : 's have timestamps'} before the year 2000`,
          detail: `${r.unset.count} of ${c.packets} packets carry a zero or pre-2000 timestamp: the capturing host's clock was not set (no RTC, NTP not yet synchronised) or the capture was rewritten without times. Timing conclusions (retransmission backoff, BGP hold timers) and lining this capture up with the others are unreliable${r.unset.count === total ? '' : ' for those packets'}.`,
          evidence: [{ capture: c.name, packets: r.unset.packets, count: r.unset.count, note: 'timestamp before 2000-01-01' }],
          remedy: ['timedatectl status   # on the capturing host: is the clock synchronised?', 'chronyc tracking'],
        });
      }
      if (r.future.count > 0) {
        findings.push({
          id: 'capture.clock-future',
          severity: 'warning',
          confidence: 0.9,
          component: 'capture',
          node: null,
          title: `${c.name}: ${r.future.count} packet${r.future.count === 1 ? ' is' : 's are'} timestamped in the future`,
          detail: `${r.future.count} of ${c.packets} packets are timestamped after ${when(r.futureAfter)}, more than a day ahead of the host reading the capture: the capturing host's clock is wrong. Lining this capture up with captures from other nodes by time will be off.`,
          evidence: [{ capture: c.name, packets: r.future.packets, count: r.future.count, note: 'timestamp more than a day ahead' }],
          remedy: ['timedatectl status   # on the capturing host', 'chronyc sources -v'],
        });
      }
      if (r.maxGap >= GAP_MIN_S && r.maxGap > GAP_SHARE * r.span) {
        findings.push({
          id: 'capture.clock-gap',
          severity: 'info',
          confidence: 0.7,
          component: 'capture',
          node: null,
          title: `${c.name}: no packets for ${r.maxGap.toFixed(0)} s (between packets ${r.gapFrom} and ${r.gapTo})`,
          detail: `The capture is silent for ${r.maxGap.toFixed(1)} s, ${((100 * r.maxGap) / (r.span || r.maxGap)).toFixed(0)}% of its length: the capturer was paused or restarted, the link was down, or the clock stepped forward. Missing packets in that window are not evidence of loss.`,
          evidence: [{ capture: c.name, packets: [r.gapFrom, r.gapTo], count: 2, note: 'last packet before and first after the silence' }],
          remedy: ['journalctl -u chronyd --since "-1h"   # did the clock step?', 'ip -s link show   # on the capturing host: link flaps'],
        });
      }
    });
    return findings;
  },
});
