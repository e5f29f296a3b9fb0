import { describe, expect, it } from 'vitest';
import { ETHERTYPE } from '../../src/craft/constants.js';
import { ipv4 } from '../../src/craft/ipv4.js';
import { ARPHRD, sll, sll2 } from '../../src/craft/linux-sll.js';
import { dissect, one } from './tshark-oracle.js';

const v4 = ipv4({ src: '100.96.1.2', dst: '100.96.2.3', proto: 59 }, Buffer.alloc(0));

describe('linux cooked headers', () => {
  it('SLL (113): packet type, ARPHRD, source MAC and protocol', () => {
    const ls = dissect(
      [
        sll({ packetType: 'outgoing', addr: '02:42:c6:12:00:01', protocol: ETHERTYPE.IPV4 }, v4),
        sll({ packetType: 'host', hatype: ARPHRD.TUNNEL, protocol: ETHERTYPE.IPV4 }, v4),
      ],
      ['sll.pkttype', 'sll.hatype', 'sll.halen', 'sll.src.eth', 'sll.etype', 'ip.dst'],
      { linktype: 113 },
    );
    expect(one(ls[0]!, 'sll.pkttype')).toBe('4');
    expect(one(ls[0]!, 'sll.hatype')).toBe('1');
    expect(one(ls[0]!, 'sll.halen')).toBe('6');
    expect(one(ls[0]!, 'sll.src.eth')).toBe('02:42:c6:12:00:01');
    expect(Number(one(ls[0]!, 'sll.etype'))).toBe(0x0800);
    expect(one(ls[0]!, 'ip.dst')).toBe('100.96.2.3');
    expect(one(ls[1]!, 'sll.hatype')).toBe('768');
    expect(one(ls[1]!, 'sll.halen')).toBe('0');
    expect(one(ls[1]!, 'ip.dst')).toBe('100.96.2.3');
  });

  it('SLL2 (276) adds the interface index', () => {
    const [l] = dissect([sll2({ packetType: 'broadcast', addr: '02:42:c6:12:00:02', protocol: ETHERTYPE.IPV4, ifindex: 12 }, v4)], ['sll.pkttype', 'sll.ifindex', 'sll.src.eth', 'sll.etype', 'ip.src'], { linktype: 276 });
    expect(one(l!, 'sll.pkttype')).toBe('1');
    expect(one(l!, 'sll.ifindex')).toBe('12');
    expect(one(l!, 'sll.src.eth')).toBe('02:42:c6:12:00:02');
    expect(Number(one(l!, 'sll.etype'))).toBe(0x0800);
    expect(one(l!, 'ip.src')).toBe('100.96.1.2');
  });
});
