import { CHECKSUM_BAD, CHECKSUM_GOOD, outerChecksumPendingOffload, udpChecksumStatus } from '../../../dissectors/l4-checksum.js';
import { isV4Mapped, v4String } from '../addr.js';
import { defineAnalyzer } from '../analyzer.js';
import { TUNNEL_VXLAN } from '../facts.js';
import { evidence, type Finding } from '../finding.js';

/**
 * Outer UDP checksums on VXLAN. Linux sends VXLAN with a zero outer checksum unless
 * `udpcsum` is on; a NIC that offloads the checksum of an already-encapsulated packet can
 * get it wrong, and the receiver's UDP stack then drops the packet before the VTEP sees it.
 * The signature is the pair: bad outer checksums AND the inner segments that carried them
 * sent again (a SYN at 1, 2, 4, 8, 16, 32 s — the ~63 s connection delay). A bad checksum
 * alone is most often the capturing host's own offload (the NIC fills it in after the
 * capture point) and is only a note.
 */

/** Distinct receivers tracked per capture; the rest are counted together. */
const MAX_RECEIVERS = 32;

/** Checksums verified per capture: enough to see the pattern, bounded cost on a big capture. */
const MAX_VERIFIED = 200_000;

interface State {
  verified: number;
  /** Bad only because the capture point sits before the NIC's checksum offload. */
  pendingOffload: number;
  bad: number;
  badRetransmitted: number;
  badSample: number[];
  retransSample: number[];
  /** Outer destination (IPv4 as uint32) -> bad packets towards it. */
  receivers: Map<number, number>;
}

/** The state as it leaves the worker: receivers as text addresses. */
export type TunnelChecksumResult = Omit<State, 'receivers'> & { receivers: Array<[string, number]> };

export const tunnelChecksumAnalyzer = defineAnalyzer<State, TunnelChecksumResult>({
  name: 'tunnel-checksum',
  create: () => ({ verified: 0, pendingOffload: 0, bad: 0, badRetransmitted: 0, badSample: [], retransSample: [], receivers: new Map() }),
  packet(s, f, p, ctx) {
    if (f.tunnelKind !== TUNNEL_VXLAN || f.tunnelUdpChecksum === 0 || f.tunnel < 1 || s.verified >= MAX_VERIFIED) return;
    const udpLayer = f.tunnel - 1;
    const status = udpChecksumStatus(p, udpLayer);
    if (status !== CHECKSUM_BAD && status !== CHECKSUM_GOOD) return;
    s.verified++;
    if (status === CHECKSUM_GOOD) return;
    if (outerChecksumPendingOffload(p, udpLayer, f.l4, f.innerProto)) {
      s.pendingOffload++;
      return;
    }
    s.bad++;
    if (s.badSample.length < 10) s.badSample.push(p.number);
    if (ctx.flows?.lastWasRetrans) {
      s.badRetransmitted++;
      if (s.retransSample.length < 10) s.retransSample.push(p.number);
    }
    // Outer destination, IPv4 only (VXLAN underlays here are IPv4; IPv6 outers are counted under 0).
    const dst = isV4Mapped(f.addr, 4) ? f.addr[7]! >>> 0 : 0;
    const n = s.receivers.get(dst);
    if (n !== undefined) s.receivers.set(dst, n + 1);
    else if (s.receivers.size < MAX_RECEIVERS) s.receivers.set(dst, 1);
  },
  finish: (s) => ({
    verified: s.verified,
    pendingOffload: s.pendingOffload,
    bad: s.bad,
    badRetransmitted: s.badRetransmitted,
    badSample: s.badSample,
    retransSample: s.retransSample,
    receivers: [...s.receivers].map(([ip, n]) => [ip === 0 ? '?' : v4String(ip), n] as [string, number]),
  }),
  diagnose(results, model) {
    const findings: Finding[] = [];
    results.forEach((r, i) => {
      if (!r || r.bad === 0) return;
      const capture = model.captures[i]?.name ?? String(i);
      const top = [...r.receivers].sort((a, b) => b[1] - a[1])[0];
      const receiverName = top && top[0] !== '?' ? top[0] : null;
      // Retransmitted copies of the same inner segments, most of them bad: the receiver is dropping them.
      const dropping = r.badRetransmitted >= 2 && r.bad >= 3;
      // Another fault on the same receiver (stale neighbour, firewall, MTU) explains the resends better.
      const explained = model.findings.some((x) => x.severity === 'error' && x.node !== null && x.node === receiverName);
      if (dropping) {
        findings.push({
          id: 'checksum.vxlan-outer-bad',
          severity: explained ? 'info' : 'error',
          confidence: Math.min(0.95, 0.6 + r.badRetransmitted / 20),
          component: 'checksum',
          node: receiverName,
          title: `VXLAN packets${receiverName ? ` to ${receiverName}` : ''} carry bad outer UDP checksums and their inner segments are sent again`,
          detail:
            `${r.bad} of ${r.verified} VXLAN packets with an outer UDP checksum have a wrong one, and ${r.badRetransmitted} of those are retransmissions of inner TCP segments: ` +
            `the receiving node's UDP stack drops them before its VTEP decapsulates them, so connections stall (a SYN retransmitted at 1, 2, 4, 8, 16, 32 s is the ~63 s delay). ` +
            `The sender's NIC is computing the checksum of the encapsulated packet wrongly (checksum offload on the VTEP or the underlay NIC).`,
          evidence: [
            evidence(capture, r.badSample, r.bad, 'VXLAN packets with a bad outer UDP checksum'),
            evidence(capture, r.retransSample, r.badRetransmitted, 'of them, retransmitted inner segments'),
          ],
          remedy: [
            'ethtool -k flannel.1 | grep tx-checksum   # on the sending node',
            'ethtool -K flannel.1 tx-checksum-ip-generic off   # the usual workaround for the VXLAN checksum-offload bug',
            'ip -d link show flannel.1 | grep -o "udpcsum\\|noudpcsum"',
            'netstat -su | grep -i "checksum\\|InCsumErrors"   # on the receiving node: the drop counter rises',
          ],
        });
        return;
      }
      findings.push({
        id: 'checksum.vxlan-outer-offload',
        severity: 'info',
        confidence: 0.5,
        component: 'checksum',
        node: null,
        title: `${capture}: ${r.bad} VXLAN packets with a bad outer UDP checksum, none of them resent`,
        detail:
          'Nothing was retransmitted because of them, so these are most likely checksums the NIC fills in after the capture point (checksum offload on the capturing host), not packets the receiver dropped.',
        evidence: [evidence(capture, r.badSample, r.bad, 'VXLAN packets with a bad outer UDP checksum')],
        remedy: ['ethtool -k <underlay iface> | grep checksum'],
      });
    });
    return findings;
  },
});
