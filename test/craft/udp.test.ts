import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipUdp } from '../../src/craft/stack.js';
import { dissect, one } from './tshark-oracle.js';

const RAW = 101;

describe('udp', () => {
  it('computes pseudo-header checksums tshark verifies, for v4 and v6, any payload', () => {
    const arb = fc.record({
      v6: fc.boolean(),
      sport: fc.integer({ min: 1, max: 65535 }),
      // Clear of ports tshark would hand to a dissector that might flag the random payload.
      dport: fc.integer({ min: 61000, max: 61999 }),
      payload: fc.uint8Array({ maxLength: 600 }),
    });
    const samples = fc.sample(arb, { numRuns: 60, seed: 42 });
    const pkts = samples.map((s) =>
      ipUdp(
        s.v6 ? { src: 'fd00:100:96:1::9', dst: 'fd00:100:96:2::9', sport: s.sport, dport: s.dport } : { src: '100.96.1.9', dst: '100.96.2.9', sport: s.sport, dport: s.dport },
        Buffer.from(s.payload),
      ),
    );
    const ls = dissect(pkts, ['udp.checksum.status', 'udp.length', 'udp.srcport'], { linktype: RAW, args: ['-d', 'udp.port==61000-61999,data'] });
    ls.forEach((l, i) => {
      expect(one(l, 'udp.checksum.status')).toBe('1');
      expect(one(l, 'udp.length')).toBe(String(8 + samples[i]!.payload.length));
      expect(one(l, 'udp.srcport')).toBe(String(samples[i]!.sport));
    });
  });

  it('sends a zero checksum as "none" and a bad one that fails', () => {
    const base = { src: '198.18.0.1', dst: '198.18.0.2', sport: 1234, dport: 61001 };
    const [z, b6, b4] = dissect(
      [
        ipUdp({ ...base, checksum: 'zero' }, Buffer.from('x')),
        ipUdp({ src: 'fd00::1', dst: 'fd00::2', sport: 1234, dport: 61001, checksum: 'bad' }, Buffer.from('x')),
        ipUdp({ ...base, checksum: 'bad' }, Buffer.from('x')),
      ],
      ['udp.checksum', 'udp.checksum.status'],
      { linktype: RAW },
    );
    expect(Number(one(z!, 'udp.checksum'))).toBe(0);
    expect(one(z!, 'udp.checksum.status')).toBe('3'); // not present
    expect(one(b6!, 'udp.checksum.status')).toBe('0');
    expect(one(b4!, 'udp.checksum.status')).toBe('0');
  });
});
