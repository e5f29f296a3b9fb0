import { describe, expect, it } from 'vitest';
import { AFI, AS_TRANS, BGP_ERROR, BGP_OPEN_ERROR, bgpKeepalive, bgpNotification, bgpOpen, bgpRouteRefresh, bgpUpdate, encodeNlri, SAFI } from '../../src/craft/bgp.js';
import { TcpSession } from '../../src/craft/tcp-stream.js';
import { dissect, one, type Layers } from './tshark-oracle.js';

const RAW = 101;

/** Each message in its own segment of one session, on port 179. */
function overTcp(msgs: Buffer[], fields: string[], args: string[] = []): Layers[] {
  const s = new TcpSession({ ip: '198.18.0.1', port: 50179, isn: 1 }, { ip: '198.18.0.2', port: 179, isn: 2 });
  const pkts = [...s.handshake(), ...msgs.map((m) => s.segment('client', m))];
  return dissect(pkts, fields, { linktype: RAW, args }).slice(3);
}

describe('bgp', () => {
  it('OPEN: AS_TRANS for a 4-byte AS, hold time, identifier and capabilities', () => {
    const open = bgpOpen({
      asn: 4200000001,
      holdTime: 240,
      bgpId: '198.18.0.1',
      capabilities: [
        { code: 'multiprotocol', afi: AFI.IPV4, safi: SAFI.UNICAST },
        { code: 'multiprotocol', afi: AFI.IPV6, safi: SAFI.UNICAST },
        { code: 'route-refresh' },
        { code: 'as4', asn: 4200000001 },
        { code: 'add-path', entries: [{ afi: AFI.IPV4, safi: SAFI.UNICAST, sendReceive: 3 }] },
      ],
    });
    const [l] = overTcp([open], ['bgp.type', 'bgp.open.myas', 'bgp.open.holdtime', 'bgp.open.identifier', 'bgp.cap.type', 'bgp.cap.mp.afi', 'bgp.cap.4as', 'bgp.cap.ap.sendreceive', 'bgp.length']);
    expect(one(l!, 'bgp.type')).toBe('1');
    expect(one(l!, 'bgp.open.myas')).toBe(String(AS_TRANS));
    expect(one(l!, 'bgp.open.holdtime')).toBe('240');
    expect(one(l!, 'bgp.open.identifier')).toBe('198.18.0.1');
    expect(l!['bgp.cap.type']).toEqual(['1', '1', '2', '65', '69']);
    expect(l!['bgp.cap.mp.afi']).toEqual(['1', '2']);
    expect(one(l!, 'bgp.cap.4as')).toBe('4200000001');
    expect(one(l!, 'bgp.cap.ap.sendreceive')).toBe('3');
    expect(one(l!, 'bgp.length')).toBe(String(open.length));
  });

  it('UPDATE: withdrawn routes, path attributes, NLRI and MP_REACH for IPv6', () => {
    const upd = bgpUpdate({
      withdrawn: ['100.96.3.0/26'],
      attributes: [
        { type: 'origin', value: 'igp' },
        { type: 'as-path', segments: [{ kind: 'sequence', asns: [64512, 4200000001] }] },
        { type: 'next-hop', addr: '198.18.0.1' },
        { type: 'med', value: 50 },
        { type: 'local-pref', value: 100 },
        { type: 'communities', values: ['64512:100', 64513 * 65536 + 7] },
        { type: 'mp-reach', afi: AFI.IPV6, safi: SAFI.UNICAST, nextHops: ['fd00:198:18::1', 'fe80::1'], nlri: ['fd00:100:96:100::/64'] },
      ],
      nlri: ['100.96.1.0/26', '100.96.2.0/24', '10.0.0.0/8'],
    });
    const [l] = overTcp([upd], [
      'bgp.withdrawn_prefix',
      'bgp.update.path_attribute.origin',
      'bgp.update.path_attribute.as_path_segment.as4',
      'bgp.update.path_attribute.next_hop',
      'bgp.update.path_attribute.multi_exit_disc',
      'bgp.update.path_attribute.local_pref',
      'bgp.update.path_attribute.community_as',
      'bgp.update.path_attribute.community_value',
      'bgp.update.path_attribute.mp_reach_nlri.afi',
      'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6',
      'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6.link_local',
      'bgp.mp_reach_nlri_ipv6_prefix',
      'bgp.nlri_prefix',
      'bgp.prefix_length',
    ]);
    expect(one(l!, 'bgp.withdrawn_prefix')).toBe('100.96.3.0');
    expect(one(l!, 'bgp.update.path_attribute.origin')).toBe('0');
    expect(l!['bgp.update.path_attribute.as_path_segment.as4']).toEqual(['64512', '4200000001']);
    expect(one(l!, 'bgp.update.path_attribute.next_hop')).toBe('198.18.0.1');
    expect(one(l!, 'bgp.update.path_attribute.multi_exit_disc')).toBe('50');
    expect(one(l!, 'bgp.update.path_attribute.local_pref')).toBe('100');
    expect(l!['bgp.update.path_attribute.community_as']).toEqual(['64512', '64513']);
    expect(l!['bgp.update.path_attribute.community_value']).toEqual(['100', '7']);
    expect(one(l!, 'bgp.update.path_attribute.mp_reach_nlri.afi')).toBe('2');
    expect(one(l!, 'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6')).toBe('fd00:198:18::1');
    expect(one(l!, 'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6.link_local')).toBe('fe80::1');
    expect(one(l!, 'bgp.mp_reach_nlri_ipv6_prefix')).toBe('fd00:100:96:100::');
    expect(l!['bgp.nlri_prefix']).toEqual(['100.96.1.0', '100.96.2.0', '10.0.0.0']);
    expect(l!['bgp.prefix_length']).toEqual(['26', '64', '26', '24', '8']);
  });

  it('UPDATE with a 2-byte AS_PATH and an MP_UNREACH withdrawal', () => {
    const upd = bgpUpdate({
      attributes: [
        { type: 'origin', value: 'incomplete' },
        { type: 'as-path', asnSize: 2, segments: [{ kind: 'sequence', asns: [64512, 64513] }, { kind: 'set', asns: [65001] }] },
        { type: 'mp-unreach', afi: AFI.IPV6, safi: SAFI.UNICAST, withdrawn: ['fd00:100:96:200::/64'] },
      ],
    });
    const [l] = overTcp([upd], ['bgp.update.path_attribute.origin', 'bgp.update.path_attribute.as_path_segment.as2', 'bgp.update.path_attribute.as_path_segment.type', 'bgp.mp_unreach_nlri_ipv6_prefix'], ['-o', 'bgp.asn_len:2']);
    expect(one(l!, 'bgp.update.path_attribute.origin')).toBe('2');
    expect(l!['bgp.update.path_attribute.as_path_segment.as2']).toEqual(['64512', '64513', '65001']);
    expect(l!['bgp.update.path_attribute.as_path_segment.type']).toEqual(['2', '1']);
    expect(one(l!, 'bgp.mp_unreach_nlri_ipv6_prefix')).toBe('fd00:100:96:200::');
  });

  it('NOTIFICATION, KEEPALIVE and ROUTE-REFRESH', () => {
    const [n, k, r] = overTcp(
      [bgpNotification({ code: BGP_ERROR.OPEN_MESSAGE, subcode: BGP_OPEN_ERROR.BAD_PEER_AS, data: Buffer.from([0xfc, 0x00]) }), bgpKeepalive(), bgpRouteRefresh({ afi: AFI.IPV4, safi: SAFI.UNICAST })],
      ['bgp.type', 'bgp.length', 'bgp.notify.major_error', 'bgp.notify.minor_error_open', 'bgp.route_refresh.afi', 'bgp.route_refresh.safi'],
    );
    expect(one(n!, 'bgp.type')).toBe('3');
    expect(one(n!, 'bgp.notify.major_error')).toBe('2');
    expect(one(n!, 'bgp.notify.minor_error_open')).toBe('2');
    expect(one(k!, 'bgp.type')).toBe('4');
    expect(one(k!, 'bgp.length')).toBe('19');
    expect(one(r!, 'bgp.type')).toBe('5');
    expect(one(r!, 'bgp.route_refresh.afi')).toBe('1');
    expect(one(r!, 'bgp.route_refresh.safi')).toBe('1');
  });

  it('encodes only the significant prefix bytes, with an optional ADD-PATH id', () => {
    expect([...encodeNlri(['100.96.1.64/26'])]).toEqual([26, 100, 96, 1, 64]);
    expect([...encodeNlri(['0.0.0.0/0'])]).toEqual([0]);
    expect([...encodeNlri([{ prefix: '10.0.0.0/8', pathId: 7 }])]).toEqual([0, 0, 0, 7, 8, 10]);
  });

  it('uses the extended-length flag only past 255 bytes of attribute data', () => {
    const nlri = Array.from({ length: 80 }, (_, i) => `fd00:100:96:${i.toString(16)}::/64`);
    const upd = bgpUpdate({ attributes: [{ type: 'origin', value: 'igp' }, { type: 'as-path', segments: [] }, { type: 'mp-reach', afi: AFI.IPV6, safi: SAFI.UNICAST, nextHops: ['fd00::1'], nlri }] });
    const [l] = overTcp([upd], ['bgp.update.path_attribute.flags.extended_length', 'bgp.mp_reach_nlri_ipv6_prefix']);
    expect(l!['bgp.update.path_attribute.flags.extended_length']).toEqual(['0', '0', '1']);
    expect(l!['bgp.mp_reach_nlri_ipv6_prefix']).toHaveLength(80);
  });
});
