import { describe, expect, it } from 'vitest';
import { parseIpAddr, parseIpLink, parseIpRoute } from '../../src/nodestate/parse.js';

// Outputs below were printed by iproute2 6.1 in a scratch namespace (devices made with
// `ip link add cilium_vxlan type vxlan external dstport 8472`, `... vx100 type vxlan id 100
// remote 198.18.0.7 local 198.18.0.1 dstport 4789 dev eth0`, `... vx200 ... group 239.1.1.1`).
const VXLANS_TEXT = `4: cilium_vxlan: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000
    link/ether 2a:65:d8:70:a8:4a brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    vxlan external id 0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 
5: vx100: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN mode DEFAULT group default qlen 1000
    link/ether c6:2f:d2:64:6e:72 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    vxlan id 100 remote 198.18.0.7 local 198.18.0.1 dev eth0 srcport 0 0 dstport 4789 ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 
6: vx200: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN mode DEFAULT group default qlen 1000
    link/ether 2e:e5:6b:cf:fa:cc brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 
    vxlan id 200 group 239.1.1.1 dev eth0 srcport 0 0 dstport 4789 ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 
`;
const VXLANS_JSON = `[{"ifindex":4,"ifname":"cilium_vxlan","flags":["BROADCAST","MULTICAST"],"mtu":1500,"qdisc":"noop","operstate":"DOWN","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether","address":"2a:65:d8:70:a8:4a","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":0,"allmulti":0,"min_mtu":68,"max_mtu":65535,"linkinfo":{"info_kind":"vxlan","info_data":{"external":true,"id":0,"port_range":{"low":0,"high":0},"port":8472,"learning":false,"ttl":0,"df":"unset","ageing":300,"udp_csum":true,"udp_zero_csum6_tx":false,"udp_zero_csum6_rx":false}},"inet6_addr_gen_mode":"eui64","num_tx_queues":1,"num_rx_queues":1,"gso_max_size":65536,"gso_max_segs":65535,"tso_max_size":65536,"tso_max_segs":65535,"gro_max_size":65536},
{"ifindex":5,"ifname":"vx100","flags":["BROADCAST","MULTICAST"],"mtu":1450,"qdisc":"noop","operstate":"DOWN","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether","address":"c6:2f:d2:64:6e:72","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":0,"allmulti":0,"min_mtu":68,"max_mtu":65535,"linkinfo":{"info_kind":"vxlan","info_data":{"id":100,"remote":"198.18.0.7","local":"198.18.0.1","link":"eth0","port_range":{"low":0,"high":0},"port":4789,"learning":true,"ttl":0,"df":"unset","ageing":300,"udp_csum":true,"udp_zero_csum6_tx":false,"udp_zero_csum6_rx":false}},"inet6_addr_gen_mode":"eui64","num_tx_queues":1,"num_rx_queues":1,"gso_max_size":65536,"gso_max_segs":65535,"tso_max_size":524280,"tso_max_segs":65535,"gro_max_size":65536},
{"ifindex":6,"ifname":"vx200","flags":["BROADCAST","MULTICAST"],"mtu":1450,"qdisc":"noop","operstate":"DOWN","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether","address":"2e:e5:6b:cf:fa:cc","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":0,"allmulti":0,"min_mtu":68,"max_mtu":65535,"linkinfo":{"info_kind":"vxlan","info_data":{"id":200,"group":"239.1.1.1","link":"eth0","port_range":{"low":0,"high":0},"port":4789,"learning":true,"ttl":0,"df":"unset","ageing":300,"udp_csum":true,"udp_zero_csum6_tx":false,"udp_zero_csum6_rx":false}},"inet6_addr_gen_mode":"eui64","num_tx_queues":1,"num_rx_queues":1,"gso_max_size":65536,"gso_max_segs":65535,"tso_max_size":524280,"tso_max_segs":65535,"gro_max_size":65536}]`;

describe('vxlan variants', () => {
  for (const [format, text] of [['text', VXLANS_TEXT], ['json', VXLANS_JSON]] as const) {
    it(`reads collect-metadata, unicast-remote and multicast-group devices (${format})`, () => {
      const { links, problems } = parseIpLink(text, 'l');
      expect(problems).toEqual([]);
      expect(links.map((l) => [l.ifname, l.mtu, l.vxlan])).toEqual([
        ['cilium_vxlan', 1500, { id: 0, port: 8472, local: null, dev: null, learning: false, remote: null, group: null, external: true }],
        ['vx100', 1450, { id: 100, port: 4789, local: '198.18.0.1', dev: 'eth0', learning: true, remote: '198.18.0.7', group: null, external: false }],
        ['vx200', 1450, { id: 200, port: 4789, local: null, dev: 'eth0', learning: true, remote: null, group: '239.1.1.1', external: false }],
      ]);
    });
  }
});

describe('ip -d link of a physical NIC', () => {
  it('leaves the kind empty when the detail lines name none', () => {
    const text = [
      '2: ens5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP mode DEFAULT group default qlen 1000',
      '    link/ether 06:5e:7a:1b:2c:3d brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 128 maxmtu 9216 ',
      '    addrgenmode eui64 numtxqueues 8 numrxqueues 8 gso_max_size 65536 gso_max_segs 65535 parentbus pci parentdev 0000:00:05.0 ',
      '    altname enp0s5',
    ].join('\n');
    const { links, problems } = parseIpLink(text, 'l');
    expect(problems).toEqual([]);
    expect(links).toEqual([expect.objectContaining({ ifname: 'ens5', kind: null, mtu: 9001, mac: '06:5e:7a:1b:2c:3d', state: 'UP' })]);
  });
});

describe('ip -br', () => {
  // iproute2 6.1, same scratch namespace.
  const BR_ADDR = [
    'lo               DOWN           ',
    'eth0p@eth0       UP             fe80::90e3:89ff:fe97:9027/64 ',
    'eth0@eth0p       UP             198.18.0.1/24 10.0.0.1 peer 10.0.0.2/32 fd00::1/64 fe80::6c8a:c8ff:fe8c:d1f6/64 ',
    'vx100            DOWN           ',
  ].join('\n');
  const BR_LINK = [
    'lo               DOWN           00:00:00:00:00:00 <LOOPBACK> ',
    'eth0@eth0p       UP             6e:8a:c8:8c:d1:f6 <BROADCAST,MULTICAST,UP,LOWER_UP> ',
    'tun0             DOWN           <POINTOPOINT,MULTICAST,NOARP> ',
  ].join('\n');

  it('reads addresses of `ip -br addr`', () => {
    const { addresses, links, problems } = parseIpAddr(BR_ADDR, 'a');
    expect(problems).toEqual([]);
    expect(addresses).toEqual([
      { ifname: 'eth0p', address: 'fe80::90e3:89ff:fe97:9027', prefixlen: 64, family: 'inet6', peer: null },
      { ifname: 'eth0', address: '198.18.0.1', prefixlen: 24, family: 'inet', peer: null },
      { ifname: 'eth0', address: '10.0.0.1', prefixlen: 32, family: 'inet', peer: '10.0.0.2' },
      { ifname: 'eth0', address: 'fd00::1', prefixlen: 64, family: 'inet6', peer: null },
      { ifname: 'eth0', address: 'fe80::6c8a:c8ff:fe8c:d1f6', prefixlen: 64, family: 'inet6', peer: null },
    ]);
    expect(links.map((l) => [l.ifname, l.link, l.state])).toEqual([
      ['lo', null, 'DOWN'], ['eth0p', 'eth0', 'UP'], ['eth0', 'eth0p', 'UP'], ['vx100', null, 'DOWN'],
    ]);
  });

  it('reads MACs and flags of `ip -br link`', () => {
    const { links, problems } = parseIpLink(BR_LINK, 'l');
    expect(problems).toEqual([]);
    expect(links.map((l) => [l.ifname, l.mac, l.flags])).toEqual([
      ['lo', '00:00:00:00:00:00', ['LOOPBACK']],
      ['eth0', '6e:8a:c8:8c:d1:f6', ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP']],
      ['tun0', null, ['POINTOPOINT', 'MULTICAST', 'NOARP']],
    ]);
  });
});

describe('ip addr text details', () => {
  it('reads point-to-point peers and addresses without a length', () => {
    // iproute2 6.1 after `ip addr add 10.0.0.1 peer 10.0.0.2/32 dev eth0`.
    const text = [
      '3: eth0@eth0p: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000',
      '    link/ether 02:ff:fd:9a:6f:bb brd ff:ff:ff:ff:ff:ff',
      '    inet 198.18.0.1/24 scope global eth0',
      '       valid_lft forever preferred_lft forever',
      '    inet 10.0.0.1 peer 10.0.0.2/32 scope global eth0',
      '       valid_lft forever preferred_lft forever',
      '    inet6 fe80::ff:fdff:fe9a:6fbb/64 scope link tentative ',
      '       valid_lft forever preferred_lft forever',
    ].join('\n');
    const { addresses, links, problems } = parseIpAddr(text, 'a');
    expect(problems).toEqual([]);
    expect(addresses).toEqual([
      { ifname: 'eth0', address: '198.18.0.1', prefixlen: 24, family: 'inet', scope: 'global', peer: null },
      { ifname: 'eth0', address: '10.0.0.1', prefixlen: 32, family: 'inet', scope: 'global', peer: '10.0.0.2' },
      { ifname: 'eth0', address: 'fe80::ff:fdff:fe9a:6fbb', prefixlen: 64, family: 'inet6', scope: 'link', peer: null },
    ]);
    expect(links[0]).toMatchObject({ ifname: 'eth0', link: 'eth0p', ifindex: 3 });
  });

  it('keeps blank lines and indentation inside an alias', () => {
    const text = '2: eth0: <UP> mtu 1500 state UP\n    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n    alias a\n\n  b\n3: eth1: <UP> mtu 1400 state UP\n';
    const { links, problems } = parseIpLink(text, 'l');
    expect(problems).toEqual([]);
    expect(links.map((l) => [l.ifname, l.alias, l.mtu])).toEqual([
      ['eth0', 'a\n\n  b', 1500],
      ['eth1', null, 1400],
    ]);
  });

  it('splits `name@peer` at the `@` that leaves a known name or ifN', () => {
    const text = '3: a@b@if9: <UP> mtu 1500\n4: x@y@a@b: <UP> mtu 1500\n5: m@eth0: <UP> mtu 1500\n';
    const { links } = parseIpLink(text, 'l');
    expect(links.map((l) => [l.ifname, l.link])).toEqual([
      ['a@b', 'if9'],
      ['x@y', 'a@b'],
      ['m', 'eth0'],
    ]);
  });
});

describe('ip route text details', () => {
  it('reads multipath routes whose next hops carry flags', () => {
    const text = '10.9.0.0/16 proto bird metric 32 \n\tnexthop via 198.18.0.2 dev eth0 weight 1 onlink \n\tnexthop via 198.18.0.3 dev eth0 weight 1 dead linkdown \n';
    const { routes, problems } = parseIpRoute(text, 'r');
    expect(problems).toEqual([]);
    expect(routes).toEqual([
      expect.objectContaining({
        dst: '10.9.0.0/16', protocol: 'bird', metric: 32, gateway: '198.18.0.2', dev: 'eth0', onlink: true,
        nexthops: [
          { gateway: '198.18.0.2', dev: 'eth0', weight: 1, onlink: true },
          { gateway: '198.18.0.3', dev: 'eth0', weight: 1, onlink: false },
        ],
        raw: '10.9.0.0/16 proto bird metric 32 nexthop via 198.18.0.2 dev eth0 weight 1 onlink nexthop via 198.18.0.3 dev eth0 weight 1 dead linkdown',
      }),
    ]);
  });

  it('reports a nexthop line without a route before it', () => {
    expect(parseIpRoute('\tnexthop via 198.18.0.2 dev eth0 weight 1\n', 'r').problems).toEqual(['r:1: not a route: nexthop via 198.18.0.2 dev eth0 weight 1']);
  });
});
