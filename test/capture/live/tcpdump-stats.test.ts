import { describe, expect, it } from 'vitest';
import { parseTcpdumpCounters, tcpdumpMessages } from '../../../src/capture/live/tcpdump-stats.js';

// What tcpdump 4.99 prints on stderr around a capture, as recorded from a real run.
const BANNER = 'tcpdump: listening on vb, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n';
const CLOSING = '318 packets captured\n320 packets received by filter\n2 packets dropped by kernel\n';

describe('tcpdump counters', () => {
  it('reads captured, received and dropped from the closing lines', () => {
    expect(parseTcpdumpCounters(BANNER + CLOSING)).toEqual({ captured: 318, received: 320, dropped: 2, ifDropped: null });
  });

  it('reads the singular forms and the interface drop line', () => {
    expect(parseTcpdumpCounters('1 packet captured\n1 packet received by filter\n0 packets dropped by kernel\n7 packets dropped by interface\n')).toEqual({
      captured: 1,
      received: 1,
      dropped: 0,
      ifDropped: 7,
    });
  });

  it('leaves counters unknown when tcpdump died before printing them', () => {
    expect(parseTcpdumpCounters(BANNER)).toEqual({ captured: null, received: null, dropped: null, ifDropped: null });
  });

  it('keeps only the lines worth showing: not the banner, not the counters', () => {
    const refusal = "tcpdump: vb: You don't have permission to perform this capture on that device\n(socket: Operation not permitted)\n";
    expect(tcpdumpMessages(refusal)).toEqual(["vb: You don't have permission to perform this capture on that device", '(socket: Operation not permitted)']);
    expect(tcpdumpMessages(BANNER + CLOSING)).toEqual([]);
  });
});
