import { describe, expect, it } from 'vitest';
import { bgpKeepalive, bgpOpen, bgpUpdate } from '../../src/craft/bgp.js';
import { splitAt, TcpSession } from '../../src/craft/tcp-stream.js';
import { dissect, one } from './tshark-oracle.js';

const RAW = 101;
const client = { ip: '198.18.0.1', port: 40179, isn: 0xfffffff0 };
const server = { ip: '198.18.0.2', port: 179, isn: 1000 };

describe('tcp stream', () => {
  it('splits a buffer at the given cuts and refuses cuts out of order', () => {
    const parts = splitAt(Buffer.from('abcdefgh'), [2, 5]);
    expect(parts.map(String)).toEqual(['ab', 'cde', 'fgh']);
    expect(() => splitAt(Buffer.from('abc'), [2, 1])).toThrow();
    expect(() => splitAt(Buffer.from('abc'), [3])).toThrow();
  });

  it('numbers a handshake and data so that tshark sees no analysis problems, across seq wrap', () => {
    const s = new TcpSession(client, server);
    const data = Buffer.alloc(3000, 1);
    const pkts = [...s.handshake(), ...s.send('client', data, { cuts: [1000, 2000] }), s.ack('server'), s.fin('client'), s.fin('server'), s.ack('client')];
    const ls = dissect(pkts, ['tcp.seq', 'tcp.ack', 'tcp.analysis.flags', 'tcp.checksum.status', 'tcp.flags.str'], { linktype: RAW });
    for (const l of ls) {
      expect(l['tcp.analysis.flags']).toBeUndefined();
      expect(one(l, 'tcp.checksum.status')).toBe('1');
    }
    // Relative numbers: data starts at 1 and the server's ACK covers all of it.
    expect(ls.slice(3, 6).map((l) => one(l, 'tcp.seq'))).toEqual(['1', '1001', '2001']);
    expect(one(ls[6]!, 'tcp.ack')).toBe('3001');
    expect(s.nextSeq('client')).toBe((client.isn + 1 + 3000 + 1) >>> 0);
  });

  it('lets tshark flag a resent segment as a retransmission', () => {
    const s = new TcpSession(client, server);
    const hs = s.handshake();
    const seq = s.nextSeq('client');
    const first = s.segment('client', Buffer.from('hello'));
    const again = s.segment('client', Buffer.from('hello'), { seq });
    const ls = dissect([...hs, first, again], ['tcp.analysis.retransmission'], { linktype: RAW });
    expect(ls[3]!['tcp.analysis.retransmission']).toBeUndefined();
    expect(ls[4]!['tcp.analysis.retransmission']).toBeDefined();
  });

  it('carries BGP messages split across segments and packed into one, which tshark reassembles', () => {
    const s = new TcpSession(client, server);
    const open = bgpOpen({ asn: 64512, bgpId: '198.18.0.1' });
    const upd = bgpUpdate({ attributes: [{ type: 'origin', value: 'igp' }, { type: 'as-path', segments: [] }, { type: 'next-hop', addr: '198.18.0.1' }], nlri: ['100.96.1.0/26'] });
    const stream = Buffer.concat([open, bgpKeepalive(), upd, bgpKeepalive()]);
    // Cut inside OPEN, then one segment holding the rest of OPEN + KEEPALIVE + part of UPDATE.
    const pkts = [...s.handshake(), ...s.send('client', stream, { cuts: [10, open.length + 19 + 5] })];
    const ls = dissect(pkts, ['bgp.type'], { linktype: RAW });
    const types = ls.flatMap((l) => l['bgp.type'] ?? []);
    expect(types).toEqual(['1', '4', '2', '4']);
  });
});
