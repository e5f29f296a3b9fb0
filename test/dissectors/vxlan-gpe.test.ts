import { afterAll, describe, expect, it } from 'vitest';
import { ethernet } from '../../src/craft/ethernet.js';
import { ipUdp } from '../../src/craft/stack.js';
import { vxlanGpe as craftGpe } from '../../src/craft/vxlan.js';
import { setAudit } from '../../src/decode/audit.js';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { removeTempFiles } from '../craft/tshark-oracle.js';
import { ours, theirs, type Rec } from '../helpers/oracle.js';
import { vxlanGpeVni } from '../../dissectors/vxlan-gpe.js';

afterAll(removeTempFiles);


// The VXLAN-GPE fields whose names are not VXLAN's own (see dissectors/vxlan-gpe.ts).
const FIELDS = ['vxlan.ver', 'vxlan.i_bit', 'vxlan.p_bit', 'vxlan.o_bit', 'vxlan.reserved_16', 'vxlan.next_proto'];

// nsh-over-vxlan-gpe.pcap frame 1: VNI 0xffffff, next protocol 4 (NSH), which netdiag names and does not dissect.
const NSH = hex(
  '00000000000000000000000008004500005c402340004011fc6b7f0000017f00000112b612b6004849f70c000004ffffff0030060201ffffffff0001020112345678000203011234567845000020d4310000ff116647c0a80001c0a8000227104e20000c217874657374',
);

const MAC = { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800 };
const overUdp = (g: Buffer) => ethernet(MAC, ipUdp({ src: '192.0.2.1', dst: '192.0.2.2', sport: 40000, dport: 4790 }, g));
const innerIp = ipUdp({ src: '10.244.1.5', dst: '10.244.2.7', sport: 1, dport: 2 }, Buffer.from('x'));
const innerIp6 = ipUdp({ src: 'fd00::1', dst: 'fd00::2', sport: 1, dport: 2 }, Buffer.from('x'));

describe('vxlan-gpe', () => {
  it('decodes the header as tshark does and stops at NSH', () => {
    setAudit(true);
    const recs = [{ bytes: NSH }];
    expect(ours(recs, FIELDS)).toEqual(theirs(recs, FIELDS));
    const p = decodeBytes(makeDecoder(), NSH);
    expect(layers(p)).toEqual(['frame', 'eth', 'ip', 'udp', 'vxlan_gpe']);
    expect(values(p, 'vxlan.next_proto')).toEqual(['4']);
    expect(vxlanGpeVni(p, p.find(p.reg.id('vxlan_gpe')))).toBe(0xffffff);
    expect(anomalies(p)).toEqual([]);
  });

  it('follows the next protocol to IPv4, IPv6 and Ethernet', () => {
    setAudit(true);
    const dec = makeDecoder();
    expect(layers(decodeBytes(dec, overUdp(craftGpe({ vni: 5, next: 'ipv4' }, innerIp)))).slice(4)).toEqual(['vxlan_gpe', 'ip', 'udp']);
    expect(layers(decodeBytes(dec, overUdp(craftGpe({ vni: 5, next: 'ipv6' }, innerIp6)))).slice(4)).toEqual(['vxlan_gpe', 'ipv6', 'udp']);
    const frame = ethernet({ dst: '0a:58:0a:f4:01:05', src: '0a:58:0a:f4:02:07', type: 0x0800 }, innerIp);
    expect(layers(decodeBytes(dec, overUdp(craftGpe({ vni: 5, next: 'ethernet' }, frame)))).slice(4)).toEqual(['vxlan_gpe', 'eth', 'ip', 'udp']);
    expect(layers(decodeBytes(dec, overUdp(craftGpe({ vni: 5, next: 9 }, innerIp))))).toEqual(['frame', 'eth', 'ip', 'udp', 'vxlan_gpe']);
  });

  it('shows the fields each truncation leaves and marks vxlan_gpe.truncated', () => {
    setAudit(true);
    const recs: Rec[] = [];
    for (let cut = 42; cut <= 50; cut++) recs.push({ bytes: NSH.subarray(0, cut), wire: NSH.length });
    expect(ours(recs, FIELDS)).toEqual(theirs(recs, FIELDS));
    const dec = makeDecoder();
    for (let cut = 43; cut < 50; cut++) {
      const p = decodeBytes(dec, NSH.subarray(0, cut), 1, NSH.length);
      expect(anomalies(p)).toContain('vxlan_gpe.truncated');
      expect(vxlanGpeVni(p, p.find(p.reg.id('vxlan_gpe')))).toBe(-1);
    }
  });

  it('has a packet-list summary', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), NSH);
    const g = p.find(p.reg.id('vxlan_gpe'));
    expect(p.reg.dissectors[p.proto[g]!]!.summary!(p, g)).toBe('VXLAN-GPE vni 16777215 next NSH');
  });
});
