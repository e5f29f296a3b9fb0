import { describe, expect, it } from 'vitest';
import { ipv4 } from '../../src/craft/ipv4.js';
import { ipv6 } from '../../src/craft/ipv6.js';
import { BSD_AF, loop, nullLoopback } from '../../src/craft/loopback.js';
import { dissect, one } from './tshark-oracle.js';

const v4 = ipv4({ src: '127.0.0.1', dst: '127.0.0.1', proto: 59 }, Buffer.alloc(0));
const v6 = ipv6({ src: '::1', dst: '::1', next: 59 }, Buffer.alloc(0));

describe('BSD loopback', () => {
  it('NULL (0) in either host byte order, with the BSD IPv6 family values', () => {
    const ls = dissect(
      [
        nullLoopback({ af: BSD_AF.INET }, v4),
        nullLoopback({ af: BSD_AF.INET, byteOrder: 'be' }, v4),
        nullLoopback({ af: BSD_AF.INET6_DARWIN }, v6),
        nullLoopback({ af: BSD_AF.INET6_FREEBSD, byteOrder: 'be' }, v6),
        nullLoopback({ af: BSD_AF.INET6_NETBSD_OPENBSD }, v6),
      ],
      ['null.family', 'ip.src', 'ipv6.src'],
      { linktype: 0 },
    );
    expect(ls.map((l) => one(l, 'null.family'))).toEqual(['2', '2', '30', '28', '24']);
    expect(one(ls[1]!, 'ip.src')).toBe('127.0.0.1');
    expect(one(ls[3]!, 'ipv6.src')).toBe('::1');
  });

  it('LOOP (108) is always big-endian', () => {
    expect(loop({ af: 2 }, v4).subarray(0, 4)).toEqual(Buffer.from([0, 0, 0, 2]));
    const [l] = dissect([loop({ af: BSD_AF.INET }, v4)], ['null.family', 'ip.dst'], { linktype: 108 });
    expect(one(l!, 'null.family')).toBe('2');
    expect(one(l!, 'ip.dst')).toBe('127.0.0.1');
  });
});
