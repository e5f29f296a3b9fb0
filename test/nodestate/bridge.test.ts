import { describe, expect, it } from 'vitest';
import { parseBridgeFdb } from '../../src/nodestate/parse.js';

describe('bridge fdb', () => {
  it('tells `master <bridge>` from the bare master flag', () => {
    const text = ['aa:bb:cc:00:00:01 dev veth1 master cni0 permanent', 'aa:bb:cc:00:00:02 dev vxlan0 master extern_learn', 'aa:bb:cc:00:00:03 dev vxlan0 master'].join('\n');
    const { fdb, problems } = parseBridgeFdb(text, 'f');
    expect(problems).toEqual([]);
    expect(fdb.map((e) => [e.master, e.flags, e.state])).toEqual([
      ['cni0', [], 'permanent'],
      [null, ['master', 'extern_learn'], null],
      [null, ['master'], null],
    ]);
  });

  it('reads VLAN, VNI, port and VTEP destination of a VXLAN entry', () => {
    const { fdb } = parseBridgeFdb('00:00:00:00:00:00 dev vxlan100 dst 198.18.0.7 port 4789 vni 100 via eth0 self permanent\naa:bb:cc:00:00:04 dev eth0 vlan 10 master br0 static', 'f');
    expect(fdb).toEqual([
      { mac: '00:00:00:00:00:00', dev: 'vxlan100', dst: '198.18.0.7', master: null, flags: ['self'], state: 'permanent', vlan: null, vni: 100, port: 4789 },
      { mac: 'aa:bb:cc:00:00:04', dev: 'eth0', dst: null, master: 'br0', flags: [], state: 'static', vlan: 10, vni: null, port: null },
    ]);
  });

  it('reads JSON filtered by device, which leaves ifname out', () => {
    // `bridge -j -p fdb show dev eth0` (iproute2 6.1).
    const json = `[ {
        "mac": "33:33:00:00:00:01",
        "flags": [ "self" ],
        "state": "permanent"
    },{
        "mac": "0a:58:64:60:01:02",
        "master": "cni0",
        "flags": [ ],
        "state": ""
    } ]`;
    const { fdb, problems } = parseBridgeFdb(json, 'f.json');
    expect(problems).toEqual([]);
    expect(fdb.map((e) => [e.mac, e.dev, e.master, e.flags, e.state])).toEqual([
      ['33:33:00:00:00:01', null, null, ['self'], 'permanent'],
      ['0a:58:64:60:01:02', null, 'cni0', [], null],
    ]);
  });

  it('points at the pretty-printed line of a bad entry', () => {
    const json = '[ {\n  "mac": "33:33:00:00:00:01"\n},{\n  "ifname": "eth0"\n} ]';
    expect(parseBridgeFdb(json, 'f.json').problems).toEqual(['f.json:3: entry 1: FDB entry without mac']);
  });
});
