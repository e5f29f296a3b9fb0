import { describe, expect, it } from 'vitest';
import { checkCaptureArgs } from '../../src/commands/capture.js';

describe('netdiag capture options', () => {
  it('accepts the tcpdump-like forms', () => {
    expect(checkCaptureArgs({ i: ['eth0'] })).toBeNull();
    expect(checkCaptureArgs({ i: ['eth0', 'flannel.1'], w: 'x.pcapng', c: 100, s: 128, duration: 2.5 })).toBeNull();
    expect(checkCaptureArgs({ i: ['any'], w: 'ring.pcap', ring: 5, ringSize: 100 })).toBeNull();
    expect(checkCaptureArgs({ i: ['eth0'], expression: ['udp', 'port', '8472'] })).toBeNull();
  });

  it('names what is wrong', () => {
    expect(checkCaptureArgs({})).toMatch(/-i/);
    expect(checkCaptureArgs({ i: ['eth0'], c: 0 })).toMatch(/-c 0: expected a positive whole number/);
    expect(checkCaptureArgs({ i: ['eth0'], c: 1.5 })).toMatch(/-c 1.5/);
    expect(checkCaptureArgs({ i: ['eth0'], duration: -1 })).toMatch(/--duration -1/);
    expect(checkCaptureArgs({ i: ['eth0'], ring: 3 })).toMatch(/need -w/);
    expect(checkCaptureArgs({ i: ['eth0'], w: 'r.pcap', ring: 3 })).toMatch(/--ring-size/);
    expect(checkCaptureArgs({ i: ['eth0'], w: '-', ringSize: 1 })).toMatch(/file name/);
    expect(checkCaptureArgs({ i: ['eth0'], f: 'udp', expression: ['tcp'] })).toMatch(/filter once/);
  });
});
