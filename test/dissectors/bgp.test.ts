import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { AFI, bgpKeepalive, bgpNotification, bgpOpen, bgpRouteRefresh, bgpUpdate, SAFI } from '../../src/craft/bgp.js';
import { ethernet } from '../../src/craft/ethernet.js';
import { TcpSession } from '../../src/craft/tcp-stream.js';
import { setAudit } from '../../src/decode/audit.js';
import type { Decoder } from '../../src/decode/decoder.js';
import type { PacketView } from '../../src/decode/packet-view.js';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { removeTempFiles, tempPath, tshark } from '../craft/tshark-oracle.js';
import {
  BGP_ERROR_NAMES,
  BGP_SUBCODE_NAMES,
  bgpMessageType,
  bgpStreamCount,
  forEachNlri,
  forEachWithdrawn,
  MAX_STREAMS,
  notificationInfo,
  openInfo,
  pathInfo,
  routeRefreshInfo,
} from '../../dissectors/bgp.js';

afterAll(removeTempFiles);

interface Rec {
  bytes: Buffer;
  wire?: number;
  linktype?: number;
}

let files = 0;

function pcapOf(recs: readonly Rec[], linktype: number): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(linktype, 20);
  const parts = [head];
  recs.forEach((r, k) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1700000000 + k, 0);
    h.writeUInt32LE(r.bytes.length, 8);
    h.writeUInt32LE(r.wire ?? r.bytes.length, 12);
    parts.push(h, r.bytes);
  });
  return Buffer.concat(parts);
}

function theirs(recs: readonly Rec[], fields: readonly string[], linktype = 1): string[][] {
  const path = tempPath(`bgp-${files++}.pcap`);
  writeFileSync(path, pcapOf(recs, linktype));
  const out = tshark(['-r', path, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])]);
  return out.split('\n').slice(0, recs.length).map((l) => l.split('\t'));
}

/** Our values, decoding every record with one decoder (so TCP streams carry over). */
function ours(recs: readonly Rec[], fields: readonly string[], linktype = 1, dec: Decoder = makeDecoder()): string[][] {
  return recs.map((r) => {
    const p = decodeBytes(dec, r.bytes, linktype, r.wire ?? r.bytes.length);
    return fields.map((f) => values(p, f).join(','));
  });
}

const MAC = { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800 };
const eth = (ip: Buffer) => ethernet(MAC, ip);

/** A BGP session; segments come out as Ethernet frames. */
function session(clientPort = 50179, v6 = false) {
  const s = new TcpSession(
    { ip: v6 ? 'fd00::1' : '198.18.0.1', port: clientPort, isn: 1000 },
    { ip: v6 ? 'fd00::2' : '198.18.0.2', port: 179, isn: 5000 },
  );
  const frame = (ip: Buffer) => ethernet({ ...MAC, type: v6 ? 0x86dd : 0x0800 }, ip);
  return {
    s,
    handshake: () => s.handshake().map(frame),
    send: (data: Buffer, cuts: number[] = []) => s.send('client', data, { cuts }).map(frame),
    segment: (data: Buffer, seq?: number) => frame(s.segment('client', data, seq === undefined ? {} : { seq })),
  };
}

const HEADER = ['bgp.marker', 'bgp.length', 'bgp.type'];
const OPEN_FIELDS = [
  'bgp.open.version',
  'bgp.open.myas',
  'bgp.open.holdtime',
  'bgp.open.identifier',
  'bgp.open.opt.len',
  'bgp.open.opt.param.type',
  'bgp.open.opt.param.len',
  'bgp.cap.type',
  'bgp.cap.length',
  'bgp.cap.mp.afi',
  'bgp.cap.reserved',
  'bgp.cap.mp.safi',
  'bgp.cap.4as',
  'bgp.cap.ap.afi',
  'bgp.cap.ap.safi',
  'bgp.cap.ap.sendreceive',
  'bgp.cap.gr.timers',
  'bgp.cap.gr.timers.restart_time',
  'bgp.cap.unknown',
];
const UPDATE_FIELDS = [
  'bgp.update.withdrawn_routes.length',
  'bgp.withdrawn_prefix',
  'bgp.prefix_length',
  'bgp.update.path_attributes.length',
  'bgp.update.path_attribute.flags',
  'bgp.update.path_attribute.flags.optional',
  'bgp.update.path_attribute.flags.transitive',
  'bgp.update.path_attribute.flags.extended_length',
  'bgp.update.path_attribute.type_code',
  'bgp.update.path_attribute.length',
  'bgp.update.path_attribute.origin',
  'bgp.update.path_attribute.as_path_segment.type',
  'bgp.update.path_attribute.as_path_segment.length',
  'bgp.update.path_attribute.as_path_segment.as2',
  'bgp.update.path_attribute.as_path_segment.as4',
  'bgp.update.path_attribute.next_hop',
  'bgp.update.path_attribute.multi_exit_disc',
  'bgp.update.path_attribute.local_pref',
  'bgp.update.path_attribute.community_as',
  'bgp.update.path_attribute.community_value',
  'bgp.update.path_attribute.community_wellknown',
  'bgp.update.path_attribute.mp_reach_nlri.afi',
  'bgp.update.path_attribute.mp_reach_nlri.safi',
  'bgp.update.path_attribute.mp_reach_nlri.next_hop',
  'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv4',
  'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6',
  'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6.link_local',
  'bgp.update.path_attribute.mp_reach_nlri.nbr_snpa',
  'bgp.mp_reach_nlri_ipv4_prefix',
  'bgp.mp_reach_nlri_ipv6_prefix',
  'bgp.update.path_attribute.mp_unreach_nlri.afi',
  'bgp.update.path_attribute.mp_unreach_nlri.safi',
  'bgp.mp_unreach_nlri_ipv6_prefix',
  'bgp.nlri_prefix',
  'bgp.nlri_path_id',
];
const NOTIFY_FIELDS = [
  'bgp.notify.major_error',
  'bgp.notify.minor_error',
  'bgp.notify.minor_error_open',
  'bgp.notify.minor_error_update',
  'bgp.notify.minor_error_expired',
  'bgp.notify.minor_error_state',
  'bgp.notify.minor_error_cease',
  'bgp.notify.minor_error_capability',
  'bgp.notify.minor_error_unknown',
  'bgp.notify.communication_length',
  'bgp.notify.communication',
  'bgp.notify.error_open.bad_peer_as',
  'bgp.notify.minor_data',
  'bgp.route_refresh.afi',
  'bgp.route_refresh.subtype',
  'bgp.route_refresh.safi',
];
const ALL = [...HEADER, ...OPEN_FIELDS, ...UPDATE_FIELDS, ...NOTIFY_FIELDS];
const FRAMING = ['tcp.seq_raw', 'bgp.type', 'bgp.length'];

const OPEN = bgpOpen({
  asn: 4200000001,
  holdTime: 90,
  bgpId: '198.18.0.1',
  capabilities: [
    { code: 'multiprotocol', afi: AFI.IPV4, safi: SAFI.UNICAST },
    { code: 'multiprotocol', afi: AFI.IPV6, safi: SAFI.UNICAST },
    { code: 'route-refresh' },
    { code: 64, data: Buffer.from([0x40, 0x78]) },
    { code: 'as4', asn: 4200000001 },
    { code: 'add-path', entries: [{ afi: AFI.IPV4, safi: SAFI.UNICAST, sendReceive: 3 }] },
    { code: 9, data: Buffer.from([3]) },
  ],
});
const UPDATE_V4 = bgpUpdate({
  withdrawn: ['10.244.9.0/24'],
  attributes: [
    { type: 'origin', value: 'igp' },
    { type: 'as-path', segments: [{ kind: 'sequence', asns: [64512, 4200000001] }], asnSize: 4 },
    { type: 'next-hop', addr: '198.18.0.1' },
    { type: 'med', value: 20 },
    { type: 'local-pref', value: 100 },
    { type: 'communities', values: ['64512:100', 0xffffff01] },
  ],
  nlri: ['10.244.1.0/24', '10.244.2.128/25', '10.244.3.0/24'],
});
const UPDATE_V6 = bgpUpdate({
  attributes: [
    { type: 'origin', value: 'incomplete' },
    { type: 'as-path', segments: [{ kind: 'sequence', asns: [64512] }], asnSize: 2 },
    { type: 'mp-reach', afi: AFI.IPV6, safi: SAFI.UNICAST, nextHops: ['fd00::1', 'fe80::1'], nlri: ['fd00:10:244:1::/64', '2001:db8::/32'] },
    { type: 'mp-unreach', afi: AFI.IPV6, safi: SAFI.UNICAST, withdrawn: ['fd00:10:244:9::/64'] },
  ],
});
const SHUTDOWN_TEXT = 'maintenance: moving to new hardware';
const SHUTDOWN = bgpNotification({ code: 6, subcode: 2, data: Buffer.concat([Buffer.from([SHUTDOWN_TEXT.length]), Buffer.from(SHUTDOWN_TEXT)]) });
const HOLD_EXPIRED = bgpNotification({ code: 4 });
const BAD_PEER_AS = bgpNotification({ code: 2, subcode: 2, data: Buffer.from([0xfd, 0xe8]) });
const HARD_RESET = bgpNotification({ code: 6, subcode: 9, data: Buffer.from([6, 3]) });
const KEEPALIVE = bgpKeepalive();
const REFRESH = bgpRouteRefresh({ afi: AFI.IPV4, safi: SAFI.UNICAST, subtype: 1 });

// mpbgp-linklocal-nexthop.pcap frame 1: an IPv6 route with global and link-local next hops.
const MPBGP = hex(
  '020001020000020001010000080045c0008e58c540004006a4e21e0000011e000002bf8e00b34c94bf874cd027148018001dd6dc00000101080a0af9e8060af9e805ffffffffffffffffffffffffffffffff005a0200000043400101024002040201000140030400000000800e2e00020120deadbeef000000000000000000000001fe80000000000000000001fffe01000000400004000500000000',
);
// bgp-infinite-loop.pcap frame 1 (Linux cooked capture): an UPDATE of length 19, then 15 stray bytes.
const INFINITE_LOOP = hex('000402000000ce2a00000000000008004500004a05bb400080063ecdc43b3041c0a80101378600b3933ba42b09921b6d50182000bec10000ffffffffffffffffffffffffffffffff001302000100ff00ff0e00ff000184000000');

const bgpLayers = (p: PacketView) => layers(p).filter((l) => l === 'bgp').length;
const bgpIndex = (p: PacketView, n = 0) => {
  let i = -1;
  for (let k = 0; k <= n; k++) i = p.find(p.reg.id('bgp'), i + 1);
  return i;
};

describe('bgp', () => {
  it('decodes every message type as tshark does', () => {
    setAudit(true);
    const b = session();
    const msgs = [OPEN, KEEPALIVE, UPDATE_V4, UPDATE_V6, SHUTDOWN, HOLD_EXPIRED, BAD_PEER_AS, HARD_RESET, REFRESH];
    const recs = [...b.handshake(), ...msgs.map((m) => b.segment(m))].map((bytes) => ({ bytes }));
    expect(ours(recs, ALL)).toEqual(theirs(recs, ALL));
    const p = decodeBytes(makeDecoder(), recs[3 + 2]!.bytes);
    expect(values(p, 'bgp.nlri_prefix')).toEqual(['10.244.1.0', '10.244.2.128', '10.244.3.0']);
    expect(values(p, 'bgp.update.path_attribute.as_path_segment.as4')).toEqual(['64512', '4200000001']);
  });

  it('reads an IPv6 route with a link-local next hop (mpbgp-linklocal-nexthop.pcap)', () => {
    setAudit(true);
    const recs = [{ bytes: MPBGP }];
    expect(ours(recs, ALL)).toEqual(theirs(recs, ALL));
    const p = decodeBytes(makeDecoder(), MPBGP);
    expect(values(p, 'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6.link_local')).toEqual(['fe80::1ff:fe01:0']);
    expect(values(p, 'bgp.mp_reach_nlri_ipv6_prefix')).toEqual(['4:5::']);
    expect(anomalies(p)).toEqual([]);
  });

  it('reassembles a message split over two and over three segments', () => {
    setAudit(true);
    const b = session();
    const recs = [...b.handshake(), ...b.send(OPEN, [10]), ...b.send(UPDATE_V4, [5, 30]), ...b.send(KEEPALIVE)].map((bytes) => ({ bytes }));
    expect(ours(recs, [...FRAMING, ...OPEN_FIELDS, 'bgp.nlri_prefix'])).toEqual(theirs(recs, [...FRAMING, ...OPEN_FIELDS, 'bgp.nlri_prefix']));
    const dec = makeDecoder();
    const counts = recs.map((r) => bgpLayers(decodeBytes(dec, r.bytes)));
    expect(counts).toEqual([0, 0, 0, 0, 1, 0, 0, 1, 1]);
    // The frame completing a message reads it from the stream's buffer, not the frame's.
    const dec2 = makeDecoder();
    recs.slice(0, 4).forEach((r) => decodeBytes(dec2, r.bytes));
    const done = decodeBytes(dec2, recs[4]!.bytes);
    const i = bgpIndex(done);
    expect(done.layerBuf[i]).not.toBe(done.buf);
    expect(openInfo(done, i)!.as4).toBe(4200000001);
  });

  it('shows every message of a segment that carries three, plus the one it completes', () => {
    setAudit(true);
    const b = session();
    const stream = Buffer.concat([KEEPALIVE, OPEN, UPDATE_V4, REFRESH, KEEPALIVE]);
    const recs = [...b.handshake(), ...b.send(stream, [KEEPALIVE.length + 7])].map((bytes) => ({ bytes }));
    expect(ours(recs, FRAMING)).toEqual(theirs(recs, FRAMING));
    const dec = makeDecoder();
    const ps = recs.map((r) => decodeBytes(dec, r.bytes));
    expect(values(ps[4]!, 'bgp.type')).toEqual(['1', '2', '5', '4']);
    expect(layers(ps[4]!).slice(-4)).toEqual(['bgp', 'bgp', 'bgp', 'bgp']);
    expect(bgpMessageType(ps[4]!, bgpIndex(ps[4]!, 3))).toBe(4);
  });

  it('shows nothing for a retransmitted segment and carries on after it', () => {
    setAudit(true);
    const b = session();
    const first = b.s.nextSeq('client');
    const recs = [
      ...b.handshake(),
      b.segment(Buffer.concat([KEEPALIVE, OPEN.subarray(0, 20)])),
      b.segment(Buffer.concat([KEEPALIVE, OPEN.subarray(0, 20)]), first),
      b.segment(Buffer.concat([OPEN.subarray(20), KEEPALIVE])),
    ].map((bytes) => ({ bytes }));
    expect(ours(recs, FRAMING)).toEqual(theirs(recs, FRAMING));
    expect(ours(recs, ['bgp.type']).slice(3)).toEqual([['4'], [''], ['1,4']]);
  });

  it('drops the partial message at a gap and finds the next marker', () => {
    setAudit(true);
    const b = session();
    const lost = [...b.handshake(), b.segment(OPEN.subarray(0, 30))];
    b.segment(OPEN.subarray(30, 40)); // never captured
    const recs = [...lost, b.segment(Buffer.concat([OPEN.subarray(40), KEEPALIVE, REFRESH]))].map((bytes) => ({ bytes }));
    expect(ours(recs, FRAMING)).toEqual(theirs(recs, FRAMING));
    const dec = makeDecoder();
    const ps = recs.map((r) => decodeBytes(dec, r.bytes));
    expect(values(ps[4]!, 'bgp.type')).toEqual(['4', '5']);
    expect(anomalies(ps[4]!)).toEqual(['bgp.stream_gap']);
  });

  it('does not let a segment far outside the stream disturb it', () => {
    setAudit(true);
    const b = session();
    const dec = makeDecoder();
    for (const f of b.handshake()) decodeBytes(dec, f);
    expect(bgpLayers(decodeBytes(dec, b.segment(OPEN.subarray(0, 40))))).toBe(0);
    const far = (b.s.nextSeq('client') + 0x40000000) >>> 0;
    const garbage = decodeBytes(dec, b.segment(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), far));
    expect(anomalies(garbage)).toEqual(['bgp.no_marker']);
    expect(values(garbage, 'bgp.type')).toEqual([]);
    const rest = decodeBytes(dec, b.segment(Buffer.concat([OPEN.subarray(40), KEEPALIVE])));
    expect(values(rest, 'bgp.type')).toEqual(['1', '4']);
    expect(anomalies(rest)).toEqual([]);
  });

  it('follows a stream that jumps far ahead once two segments agree', () => {
    setAudit(true);
    const b = session();
    const dec = makeDecoder();
    for (const f of b.handshake()) decodeBytes(dec, f);
    decodeBytes(dec, b.segment(KEEPALIVE));
    const jump = (b.s.nextSeq('client') + 0x10000000) >>> 0;
    const one = decodeBytes(dec, b.segment(Buffer.concat([KEEPALIVE, OPEN.subarray(0, 25)]), jump));
    expect(values(one, 'bgp.type')).toEqual(['4']);
    const two = decodeBytes(dec, b.segment(Buffer.concat([OPEN.subarray(25), KEEPALIVE]), (jump + KEEPALIVE.length + 25) >>> 0));
    // The partial OPEN of the first far segment was not kept; the stream is resynchronised from here.
    expect(values(two, 'bgp.type')).toEqual(['4']);
    const three = decodeBytes(dec, b.segment(Buffer.concat([REFRESH, OPEN.subarray(0, 5)]), (jump + KEEPALIVE.length + OPEN.length + KEEPALIVE.length) >>> 0));
    expect(values(three, 'bgp.type')).toEqual(['5']);
    const four = decodeBytes(dec, b.segment(OPEN.subarray(5), (jump + KEEPALIVE.length + OPEN.length + KEEPALIVE.length + REFRESH.length + 5) >>> 0));
    expect(values(four, 'bgp.type')).toEqual(['1']);
  });

  it('keeps at most MAX_STREAMS streams, forgetting the oldest', () => {
    setAudit(false);
    const dec = makeDecoder();
    const sessions = Array.from({ length: MAX_STREAMS + 1 }, (_, k) => session(10000 + k));
    let last: PacketView | null = null;
    for (const b of sessions) last = decodeBytes(dec, b.segment(OPEN.subarray(0, 10)));
    expect(bgpStreamCount(last!)).toBe(MAX_STREAMS);
    // The newest stream still has its partial OPEN; the oldest lost it.
    const newest = decodeBytes(dec, sessions[MAX_STREAMS]!.segment(OPEN.subarray(10)));
    expect(values(newest, 'bgp.type')).toEqual(['1']);
    const oldest = decodeBytes(dec, sessions[0]!.segment(OPEN.subarray(10)));
    expect(values(oldest, 'bgp.type')).toEqual([]);
    expect(bgpStreamCount(oldest)).toBe(MAX_STREAMS);
  });

  it('reassembles IPv4 and IPv6 streams with the same ports apart', () => {
    setAudit(true);
    const dec = makeDecoder();
    const v4 = session(40000, false);
    const v6 = session(40000, true);
    decodeBytes(dec, v4.segment(OPEN.subarray(0, 10)));
    decodeBytes(dec, v6.segment(KEEPALIVE.subarray(0, 10)));
    expect(values(decodeBytes(dec, v6.segment(KEEPALIVE.subarray(10))), 'bgp.type')).toEqual(['4']);
    expect(values(decodeBytes(dec, v4.segment(OPEN.subarray(10))), 'bgp.type')).toEqual(['1']);
  });

  it('skips bytes before a marker, reports a bad marker and stops at a length below 19', () => {
    setAudit(true);
    const b = session();
    const badMarker = Buffer.from(KEEPALIVE);
    badMarker[0] = 0xfe;
    const short = Buffer.from(KEEPALIVE);
    short.writeUInt16BE(5, 16);
    const recs = [
      ...b.handshake(),
      b.segment(Buffer.concat([Buffer.from([1, 2, 3]), KEEPALIVE])),
      b.segment(Buffer.concat([KEEPALIVE, badMarker, KEEPALIVE])),
      b.segment(Buffer.concat([KEEPALIVE, short, KEEPALIVE])),
      b.segment(Buffer.alloc(40)),
      b.segment(KEEPALIVE),
    ].map((bytes) => ({ bytes }));
    expect(ours(recs, [...FRAMING, 'bgp.marker'])).toEqual(theirs(recs, [...FRAMING, 'bgp.marker']));
    const dec = makeDecoder();
    const an = recs.map((r) => anomalies(decodeBytes(dec, r.bytes)));
    expect(an.slice(3)).toEqual([[], ['bgp.marker_bad'], ['bgp.length_bad'], ['bgp.no_marker'], []]);
  });

  it('terminates on bgp-infinite-loop.pcap and flags its 19-byte UPDATE', () => {
    setAudit(true);
    const recs = [{ bytes: INFINITE_LOOP }];
    expect(ours(recs, ALL, 113)).toEqual(theirs(recs, ALL, 113));
    const p = decodeBytes(makeDecoder(), INFINITE_LOOP, 113);
    expect(anomalies(p)).toEqual(['bgp.length_type_bad']);
  });

  it('checks every length inside an UPDATE', () => {
    setAudit(true);
    const b = session();
    const attr = (type: number, data: number[], flags = 0x40) => Buffer.from([flags, type, data.length, ...data]);
    const update = (withdrawn: Buffer, attrs: Buffer, nlri: Buffer) => {
      const body = Buffer.concat([Buffer.from([withdrawn.length >> 8, withdrawn.length & 255]), withdrawn, Buffer.from([attrs.length >> 8, attrs.length & 255]), attrs, nlri]);
      const m = Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from([0, 19 + body.length, 2]), body]);
      return m;
    };
    const origin = attr(1, [0]);
    const asPath = attr(2, [2, 1, 0xfc, 0x00]);
    const nh = attr(3, [10, 0, 0, 1]);
    const cases: Array<[Buffer, string]> = [
      [update(Buffer.alloc(0), Buffer.concat([origin, asPath, nh]), Buffer.from([33, 1, 2, 3, 4, 5])), 'bgp.prefix_bad'],
      [update(Buffer.alloc(0), Buffer.concat([origin, asPath, nh]), Buffer.from([24, 10, 0])), 'bgp.prefix_bad'],
      [update(Buffer.alloc(0), Buffer.concat([origin, attr(2, [2, 9, 0, 1, 0, 2]), nh]), Buffer.from([24, 10, 0, 1])), 'bgp.as_path_bad'],
      [update(Buffer.alloc(0), Buffer.concat([origin, Buffer.from([0x40, 2, 200, 2, 1])]), Buffer.alloc(0)), 'bgp.update_bad'],
      [update(Buffer.alloc(0), Buffer.concat([origin, attr(14, [0, 2, 1, 16, 0xfd])]), Buffer.alloc(0)), 'bgp.update_bad'],
    ];
    // A withdrawn-routes length running past the message.
    const tooLong = update(Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0));
    tooLong.writeUInt16BE(300, 19);
    cases.push([tooLong, 'bgp.update_bad']);
    const recs = [...b.handshake(), ...cases.map(([m]) => b.segment(m))].map((bytes) => ({ bytes }));
    expect(ours(recs, [...HEADER, ...UPDATE_FIELDS])).toEqual(theirs(recs, [...HEADER, ...UPDATE_FIELDS]));
    // A withdrawn route running past its field: tshark reads on into the attributes, so
    // only the anomaly is checked here.
    cases.push([update(Buffer.from([24, 10, 1]), Buffer.concat([origin, asPath, nh]), Buffer.alloc(0)), 'bgp.prefix_bad']);
    recs.push({ bytes: b.segment(cases[cases.length - 1]![0]) });
    const dec = makeDecoder();
    const found = recs.map((r) => anomalies(decodeBytes(dec, r.bytes)));
    expect(found.slice(3)).toEqual(cases.map(([, a]) => [a]));
  });

  it('flags a shutdown communication of the wrong length and a Hard Reset without its error', () => {
    setAudit(true);
    const b = session();
    const text = Buffer.from('0123456789');
    const cases: Array<[Buffer, string[]]> = [
      [bgpNotification({ code: 6, subcode: 4, data: Buffer.concat([Buffer.from([10]), text, Buffer.from('ExtraData')]) }), ['bgp.notification_data_bad']],
      [bgpNotification({ code: 6, subcode: 2, data: Buffer.concat([Buffer.from([64]), text]) }), ['bgp.notification_data_bad']],
      [bgpNotification({ code: 6, subcode: 2, data: Buffer.from([0]) }), []],
      [bgpNotification({ code: 6, subcode: 9 }), ['bgp.notification_data_bad']],
      [HARD_RESET, []],
    ];
    const recs = [...b.handshake(), ...cases.map(([m]) => b.segment(m))].map((bytes) => ({ bytes }));
    expect(ours(recs, [...HEADER, ...NOTIFY_FIELDS])).toEqual(theirs(recs, [...HEADER, ...NOTIFY_FIELDS]));
    const dec = makeDecoder();
    expect(recs.map((r) => anomalies(decodeBytes(dec, r.bytes))).slice(3)).toEqual(cases.map(([, a]) => a));
  });

  it('shows an over-long message as tshark does but still gives it to analyzers', () => {
    setAudit(true);
    const b = session();
    // An extended message (RFC 8654): ORIGIN, a 5000-byte optional attribute, one prefix.
    const attrs = Buffer.concat([Buffer.from([0x40, 1, 1, 0, 0xd0, 99, 5000 >> 8, 5000 & 255]), Buffer.alloc(5000), Buffer.from([8, 10])]);
    const body = Buffer.concat([Buffer.from([0, 0, (attrs.length - 2) >> 8, (attrs.length - 2) & 255]), attrs]);
    const big = Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from([(19 + body.length) >> 8, (19 + body.length) & 255, 2]), body]);
    const recs = [...b.handshake(), ...b.send(Buffer.concat([big, KEEPALIVE]), [1400, 2800, 4200])].map((bytes) => ({ bytes }));
    const fields = [...FRAMING, 'bgp.marker', 'bgp.update.path_attributes.length', 'bgp.nlri_prefix'];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields));
    const dec = makeDecoder();
    const ps = recs.map((r) => decodeBytes(dec, r.bytes));
    const last = ps[ps.length - 1]!;
    expect(anomalies(last)).toEqual(['bgp.length_long']);
    const got: string[] = [];
    forEachNlri(last, bgpIndex(last), (_afi, _safi, addr, len) => got.push(`${addr}/${len}`));
    expect(got).toEqual(['10.0.0.0/8']);
  });

  it('shows what a snapped capture kept of a message, as tshark does', () => {
    setAudit(true);
    const b = session();
    const hs = b.handshake();
    const full = b.segment(Buffer.concat([KEEPALIVE, UPDATE_V4]));
    const recs = [...hs.map((bytes) => ({ bytes })), { bytes: full.subarray(0, full.length - 20), wire: full.length }];
    const fields = [...HEADER, 'bgp.update.withdrawn_routes.length', 'bgp.withdrawn_prefix', 'bgp.update.path_attributes.length'];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields));
    const p = decodeBytes(makeDecoder(), recs[3]!.bytes, 1, full.length);
    expect(anomalies(p)).toEqual(['bgp.truncated']);
  });

  it('gives analyzers OPEN parameters, NOTIFICATION names, routes and path attributes', () => {
    setAudit(true);
    const b = session();
    const dec = makeDecoder();
    const at = (m: Buffer) => {
      const p = decodeBytes(dec, b.segment(m));
      return { p, i: bgpIndex(p) };
    };
    const o = at(OPEN);
    expect(openInfo(o.p, o.i)).toEqual({
      version: 4,
      myAs: 23456,
      holdTime: 90,
      identifier: 0xc6120001,
      as4: 4200000001,
      capabilities: [1, 1, 2, 64, 65, 69, 9],
      multiprotocol: [
        { afi: 1, safi: 1 },
        { afi: 2, safi: 1 },
      ],
      addPath: [{ afi: 1, safi: 1, sendReceive: 3 }],
      routeRefresh: true,
      extendedMessage: false,
      gracefulRestartTime: 120,
    });
    expect(notificationInfo(o.p, o.i)).toBeNull();
    const n = at(SHUTDOWN);
    expect(notificationInfo(n.p, n.i)).toEqual({ code: 6, subcode: 2, codeName: 'Cease', subcodeName: 'Administrative Shutdown', communication: SHUTDOWN_TEXT });
    const h = at(HOLD_EXPIRED);
    expect(notificationInfo(h.p, h.i)).toMatchObject({ codeName: 'Hold Timer Expired', subcodeName: '', communication: null });
    expect(BGP_SUBCODE_NAMES[2]![2]).toBe('Bad Peer AS');
    expect(BGP_SUBCODE_NAMES[6]![9]).toBe('Hard Reset');
    expect(BGP_ERROR_NAMES[4]).toBe('Hold Timer Expired');
    const u4 = at(UPDATE_V4);
    const ann: string[] = [];
    const wd: string[] = [];
    forEachNlri(u4.p, u4.i, (afi, safi, a, l) => ann.push(`${afi}/${safi} ${a}/${l}`));
    forEachWithdrawn(u4.p, u4.i, (afi, safi, a, l) => wd.push(`${afi}/${safi} ${a}/${l}`));
    expect(ann).toEqual(['1/1 10.244.1.0/24', '1/1 10.244.2.128/25', '1/1 10.244.3.0/24']);
    expect(wd).toEqual(['1/1 10.244.9.0/24']);
    expect(pathInfo(u4.p, u4.i)).toEqual({ origin: 0, asPath: [64512, 4200000001], nextHop: '198.18.0.1', med: 20, localPref: 100, communities: ['64512:100', '65535:65281'], originatorId: '', clusterList: [] });
    const u6 = at(UPDATE_V6);
    const ann6: string[] = [];
    const wd6: string[] = [];
    forEachNlri(u6.p, u6.i, (_f, _s, a, l) => ann6.push(`${a}/${l}`));
    forEachWithdrawn(u6.p, u6.i, (_f, _s, a, l) => wd6.push(`${a}/${l}`));
    expect(ann6).toEqual(['fd00:10:244:1::/64', '2001:db8::/32']);
    expect(wd6).toEqual(['fd00:10:244:9::/64']);
    expect(pathInfo(u6.p, u6.i)).toMatchObject({ origin: 2, asPath: [64512], nextHop: 'fd00::1 fe80::1' });
    const r = at(REFRESH);
    expect(routeRefreshInfo(r.p, r.i)).toEqual({ afi: 1, subtype: 1, safi: 1 });
  });

  it('takes an ADD-PATH NLRI apart as tshark does', () => {
    setAudit(true);
    const b = session();
    const addPath = bgpUpdate({
      withdrawn: [{ prefix: '10.9.0.0/16', pathId: 7 }],
      attributes: [{ type: 'origin', value: 'igp' }, { type: 'as-path', segments: [{ kind: 'sequence', asns: [64512] }] }, { type: 'next-hop', addr: '198.18.0.1' }],
      nlri: [
        { prefix: '10.244.1.0/24', pathId: 1 },
        { prefix: '10.244.1.0/24', pathId: 2 },
      ],
    });
    const recs = [...b.handshake(), b.segment(addPath)].map((bytes) => ({ bytes }));
    expect(ours(recs, [...HEADER, ...UPDATE_FIELDS])).toEqual(theirs(recs, [...HEADER, ...UPDATE_FIELDS]));
    expect(ours(recs, ['bgp.nlri_path_id'])[3]).toEqual(['7,1,2']);
  });

  describe('route reflection attributes (RFC 4456)', () => {
    const REFLECTION_FIELDS = [
      'bgp.update.path_attribute.type_code',
      'bgp.update.path_attribute.length',
      'bgp.update.path_attribute.flags.optional',
      'bgp.update.path_attribute.originator_id',
      'bgp.path_attribute.cluster_list',
      'bgp.path_attribute.cluster_id',
      'bgp.update.path_attribute.next_hop',
      'bgp.nlri_prefix',
    ];
    /** A pod block of 198.18.0.2 as the reflector 198.18.0.3 passes it to 198.18.0.1. */
    const reflected = (originator: Buffer, clusters: Buffer) =>
      bgpUpdate({
        attributes: [
          { type: 'origin', value: 'igp' },
          { type: 'as-path', segments: [] },
          { type: 'next-hop', addr: '198.18.0.2' },
          { type: 'local-pref', value: 100 },
          { type: 9, flags: 0x80, data: originator },
          { type: 10, flags: 0x80, data: clusters },
        ],
        nlri: ['100.96.2.0/24'],
      });
    const ip = (...a: string[]) => Buffer.concat(a.map((x) => Buffer.from(x.split('.').map(Number))));

    it('reads ORIGINATOR_ID and every CLUSTER_LIST entry as tshark does', () => {
      setAudit(true);
      const b = session();
      // One packet: the UPDATE alone, as a capture started mid-session holds it.
      const recs = [{ bytes: b.segment(reflected(ip('198.18.0.2'), ip('198.18.0.3', '10.0.0.7'))) }];
      const theirsRow = theirs(recs, REFLECTION_FIELDS)[0]!;
      expect(ours(recs, REFLECTION_FIELDS)[0]).toEqual(theirsRow);
      expect(theirsRow[3]).toBe('198.18.0.2');
      expect(theirsRow[5]).toBe('198.18.0.3,10.0.0.7');
      const p = decodeBytes(makeDecoder(), recs[0]!.bytes);
      const i = bgpIndex(p);
      expect(pathInfo(p, i)).toMatchObject({ nextHop: '198.18.0.2', originatorId: '198.18.0.2', clusterList: ['198.18.0.3', '10.0.0.7'] });
      expect(anomalies(p)).toEqual([]);
    });

    it('matches tshark on reflection attributes of the wrong length, and gives analyzers none of them', () => {
      setAudit(true);
      const b = session();
      const odd = reflected(ip('198.18.0.2').subarray(0, 3), Buffer.concat([ip('198.18.0.3'), Buffer.from([1, 2])]));
      const recs = [{ bytes: b.segment(odd) }];
      expect(ours(recs, REFLECTION_FIELDS)[0]).toEqual(theirs(recs, REFLECTION_FIELDS)[0]);
      const p = decodeBytes(makeDecoder(), recs[0]!.bytes);
      expect(pathInfo(p, bgpIndex(p))).toMatchObject({ originatorId: '', clusterList: [] });
    });

    it('leaves an UPDATE sent by its originator without reflection attributes', () => {
      const p = decodeBytes(makeDecoder(), session().segment(UPDATE_V4));
      expect(pathInfo(p, bgpIndex(p))).toMatchObject({ originatorId: '', clusterList: [] });
    });
  });

  it('has packet-list summaries', () => {
    setAudit(true);
    const b = session();
    const dec = makeDecoder();
    const summary = (m: Buffer) => {
      const p = decodeBytes(dec, b.segment(m));
      const i = bgpIndex(p);
      return p.reg.dissectors[p.proto[i]!]!.summary!(p, i);
    };
    expect(summary(OPEN)).toBe('BGP OPEN AS 4200000001 hold 90s id 198.18.0.1');
    expect(summary(UPDATE_V4)).toBe('BGP UPDATE 3 announced, 1 withdrawn');
    expect(summary(SHUTDOWN)).toBe('BGP NOTIFICATION Cease / Administrative Shutdown');
    expect(summary(KEEPALIVE)).toBe('BGP KEEPALIVE len=19');
  });
});
