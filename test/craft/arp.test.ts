import { describe, expect, it } from 'vitest';
import { arp } from '../../src/craft/arp.js';
import { ETHERTYPE } from '../../src/craft/constants.js';
import { ethernet } from '../../src/craft/ethernet.js';
import { dissect, one } from './tshark-oracle.js';

const fields = ['arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.hw_mac', 'arp.dst.proto_ipv4', 'arp.hw.type', 'arp.proto.type'];

describe('arp', () => {
  it('builds a request with an unknown target MAC and a reply that fills it', () => {
    const req = arp({ op: 'request', senderMac: '02:42:c6:12:00:01', senderIp: '198.18.0.1', targetIp: '198.18.0.2' });
    const rep = arp({ op: 'reply', senderMac: '02:42:c6:12:00:02', senderIp: '198.18.0.2', targetMac: '02:42:c6:12:00:01', targetIp: '198.18.0.1' });
    const frames = [
      ethernet({ dst: 'ff:ff:ff:ff:ff:ff', src: '02:42:c6:12:00:01', type: ETHERTYPE.ARP }, req),
      ethernet({ dst: '02:42:c6:12:00:01', src: '02:42:c6:12:00:02', type: ETHERTYPE.ARP, pad: true }, rep),
    ];
    const [q, r] = dissect(frames, fields);
    expect(one(q!, 'arp.opcode')).toBe('1');
    expect(one(q!, 'arp.src.hw_mac')).toBe('02:42:c6:12:00:01');
    expect(one(q!, 'arp.src.proto_ipv4')).toBe('198.18.0.1');
    expect(one(q!, 'arp.dst.hw_mac')).toBe('00:00:00:00:00:00');
    expect(one(q!, 'arp.dst.proto_ipv4')).toBe('198.18.0.2');
    expect(one(q!, 'arp.hw.type')).toBe('1');
    expect(one(q!, 'arp.proto.type')).toBe('0x0800');
    expect(one(r!, 'arp.opcode')).toBe('2');
    expect(one(r!, 'arp.src.hw_mac')).toBe('02:42:c6:12:00:02');
    expect(one(r!, 'arp.dst.hw_mac')).toBe('02:42:c6:12:00:01');
  });
});
