import { describe, expect, it } from 'vitest';
import { ETHERTYPE, IPPROTO } from '../../src/craft/constants.js';
import { ethernet } from '../../src/craft/ethernet.js';
import { gre } from '../../src/craft/gre.js';
import { ipv4 } from '../../src/craft/ipv4.js';
import { ipv6 } from '../../src/craft/ipv6.js';
import { dissect, one } from './tshark-oracle.js';

const RAW = 101;
const v4 = ipv4({ src: '100.96.1.2', dst: '100.96.2.3', proto: 59 }, Buffer.alloc(4));
const v6 = ipv6({ src: 'fd00::1', dst: 'fd00::2', next: 59 }, Buffer.alloc(4));
const frame = ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: ETHERTYPE.IPV4 }, v4);
const outer = (g: Buffer): Buffer => ipv4({ src: '198.18.0.1', dst: '198.18.0.2', proto: IPPROTO.GRE }, g);

describe('gre', () => {
  it('carries IPv4, IPv6 and bridged Ethernet with the optional fields as flagged', () => {
    const ls = dissect(
      [
        outer(gre({ protocol: ETHERTYPE.IPV4 }, v4)),
        outer(gre({ protocol: ETHERTYPE.IPV6, checksum: true, key: 0x01020304, sequence: 99 }, v6)),
        outer(gre({ protocol: ETHERTYPE.TEB, key: 5000 }, frame)),
      ],
      ['gre.proto', 'gre.flags.checksum', 'gre.flags.key', 'gre.flags.sequence_number', 'gre.key', 'gre.sequence_number', 'gre.checksum.status', 'ipv6.dst', 'eth.dst', 'ip.dst'],
      { linktype: RAW },
    );
    const [plain, full, teb] = ls;
    expect(Number(one(plain!, 'gre.proto'))).toBe(0x0800);
    expect([one(plain!, 'gre.flags.checksum'), one(plain!, 'gre.flags.key'), one(plain!, 'gre.flags.sequence_number')]).toEqual(['0', '0', '0']);
    expect(plain!['ip.dst']).toEqual(['198.18.0.2', '100.96.2.3']);
    expect(Number(one(full!, 'gre.proto'))).toBe(0x86dd);
    expect(Number(one(full!, 'gre.key'))).toBe(0x01020304);
    expect(one(full!, 'gre.sequence_number')).toBe('99');
    expect(one(full!, 'gre.checksum.status')).toBe('1');
    expect(one(full!, 'ipv6.dst')).toBe('fd00::2');
    expect(Number(one(teb!, 'gre.proto'))).toBe(0x6558);
    expect(Number(one(teb!, 'gre.key'))).toBe(5000);
    expect(one(teb!, 'eth.dst')).toBe('02:00:00:00:00:02');
  });

  it('writes a bad checksum on request', () => {
    const [l] = dissect([outer(gre({ protocol: ETHERTYPE.IPV4, checksum: 'bad' }, v4))], ['gre.checksum.status'], { linktype: RAW });
    expect(one(l!, 'gre.checksum.status')).toBe('0');
  });
});
