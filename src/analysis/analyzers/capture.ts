import { defineAnalyzer } from '../analyzer.js';
import type { Finding } from '../finding.js';

/**
 * Capture quality: what limits the evidence rather than the network. Drops by the
 * capturer, snaplens too short to see inside tunnels, damaged files, clocks that jump.
 * Checksum-offload artefacts are named here as notes, never as faults.
 */

/** Bytes of headers needed to see a VXLAN packet's inner TCP header: 14+20+8+8+14+20+20. */
const TUNNEL_HEADERS = 104;

export const captureAnalyzer = defineAnalyzer<{ backwards: number; firstBack: number; last: number; snappedShort: number; snapSample: number[] }, { backwards: number; firstBack: number; snappedShort: number; snapSample: number[] }>({
  name: 'capture',
  create: () => ({ backwards: 0, firstBack: 0, last: -Infinity, snappedShort: 0, snapSample: [] }),
  packet(s, f, p, ctx) {
    if (ctx.time < s.last - 1e-6) {
      if (s.backwards++ === 0) s.firstBack = p.number;
    }
    s.last = ctx.time;
    // Snapped inside the headers netdiag needs (the tunnel's inner transport header).
    if (p.capLen < p.wireLen && f.tunnelled && f.l4 < 0 && p.capLen < TUNNEL_HEADERS + 14) {
      s.snappedShort++;
      if (s.snapSample.length < 10) s.snapSample.push(p.number);
    }
  },
  finish: (s) => ({ backwards: s.backwards, firstBack: s.firstBack, snappedShort: s.snappedShort, snapSample: s.snapSample }),
  diagnose(results, model) {
    const findings: Finding[] = [];
    model.captures.forEach((c, i) => {
      const r = results[i];
      const errors = c.problems.filter((p) => p.severity === 'error');
      if (c.problems.length) {
        findings.push({
          id: 'capture.file-damaged',
          severity: errors.length ? 'warning' : 'info',
          confidence: 1,
          component: 'capture',
          node: null,
          title: `${c.name}: ${c.problems.length} problem${c.problems.length === 1 ? '' : 's'} reading the file`,
          detail: c.problems.slice(0, 5).map((p) => `offset ${p.offset}: ${p.message}`).join('\n'),
          evidence: [{ capture: c.name, packets: c.problems.flatMap((p) => (p.packet ? [p.packet] : [])).slice(0, 10), count: c.problems.length, note: 'file problems' }],
          remedy: ['Take a new capture with tcpdump -w (stop it with Ctrl-C, not kill -9, so the last record is complete)'],
        });
      }
      const drops = c.interfaces.reduce((a, x) => a + (x.drop ?? 0), 0);
      if (drops > 0) {
        findings.push({
          id: 'capture.dropped',
          severity: 'warning',
          confidence: 1,
          component: 'capture',
          node: null,
          title: `${c.name}: the capturer dropped ${drops} packets`,
          detail: `The capture's interface statistics say ${drops} packets were dropped by the kernel or interface: missing packets here are not proof of loss on the network.`,
          evidence: [{ capture: c.name, packets: [], count: drops, note: 'interface statistics block' }],
          remedy: ['Capture with a larger buffer (tcpdump -B 8192) and a filter, or with netdiag capture'],
        });
      }
      if (r && r.snappedShort > 0) {
        findings.push({
          id: 'capture.snaplen-short',
          severity: 'warning',
          confidence: 1,
          component: 'capture',
          node: null,
          title: `${c.name}: snaplen too short to see inside tunnels`,
          detail: `${r.snappedShort} tunnelled packets were cut before their inner transport header (need at least ${TUNNEL_HEADERS + 14} bytes): flows inside the tunnel cannot be analysed.`,
          evidence: [{ capture: c.name, packets: r.snapSample, count: r.snappedShort, note: 'packets snapped inside the tunnel headers' }],
          remedy: ['tcpdump -s 256 (or -s 0) when capturing tunnel traffic'],
        });
      }
      if (r && r.backwards > 0) {
        findings.push({
          id: 'capture.clock-backwards',
          severity: 'info',
          confidence: 1,
          component: 'capture',
          node: null,
          title: `${c.name}: timestamps go backwards ${r.backwards} times`,
          detail: 'Packets are not in time order (merged captures or a clock step): time-based analysis (retransmission intervals, hold timers) may be off.',
          evidence: [{ capture: c.name, packets: [r.firstBack], count: r.backwards, note: 'first packet earlier than its predecessor' }],
          remedy: ['chronyc tracking   # on the node'],
        });
      }
      const checksum = c.anomalies.find((a) => a.id === 'ip.checksum_bad');
      if (checksum) {
        findings.push({
          id: 'capture.checksum-offload',
          severity: 'info',
          confidence: 0.6,
          component: 'checksum',
          node: null,
          title: `${c.name}: ${checksum.count} packets with a bad IPv4 header checksum`,
          detail: 'Bad checksums on packets captured on their sending host are usually checksum offload (the NIC fills them in later), not corruption on the wire.',
          evidence: [{ capture: c.name, packets: checksum.packets, count: checksum.count, note: 'ip.checksum_bad' }],
          remedy: ['ethtool -k <iface> | grep checksum'],
        });
      }
    });
    return findings;
  },
});
