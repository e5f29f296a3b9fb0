import { describe, expect, it } from 'vitest';
import { ipPacket, ipTcp, ipUdp } from '../../src/craft/stack.js';

describe('ip + transport', () => {
  it('picks the IP version from the addresses', () => {
    expect(ipUdp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 1, dport: 2 }, Buffer.alloc(0))[0]! >> 4).toBe(4);
    expect(ipTcp({ src: 'fd00::1', dst: 'fd00::2', sport: 1, dport: 2, seq: 0, flags: 'S' })[0]! >> 4).toBe(6);
  });

  it('refuses mixed address families in the pseudo-header', () => {
    expect(() => ipUdp({ src: '198.18.0.1', dst: 'fd00::2', sport: 1, dport: 2 }, Buffer.alloc(0))).toThrow();
  });

  it('puts the transport after the header it built', () => {
    const p = ipPacket({ src: 'fd00::1', dst: 'fd00::2', ttl: 3 }, 59, Buffer.from('zz'));
    expect(p.length).toBe(42);
    expect(p[6]).toBe(59);
    expect(p[7]).toBe(3);
  });
});
