import { afterAll, describe, expect, it } from 'vitest';
import { ethernet } from '../../src/craft/ethernet.js';
import { geneve as craftGeneve } from '../../src/craft/geneve.js';
import { ipUdp } from '../../src/craft/stack.js';
import { setAudit } from '../../src/decode/audit.js';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { removeTempFiles } from '../craft/tshark-oracle.js';
import { ours, theirs, type Rec } from '../helpers/oracle.js';

afterAll(removeTempFiles);


const FIELDS = [
  'geneve.version',
  'geneve.flags',
  'geneve.flags.oam',
  'geneve.flags.critical',
  'geneve.flags.reserved',
  'geneve.proto_type',
  'geneve.vni',
  'geneve.reserved',
  'geneve.options',
  'geneve.option.length',
  'geneve.option',
  'geneve.option.class',
  'geneve.option.type',
  'geneve.option.type.critical',
  'geneve.option.flags',
  'geneve.option.flags.reserved',
  'geneve.option.unknown.data',
];

// geneve.pcap frame 1: VNI 0xa, one critical option (class 0x0000 type 0x80), an Ethernet frame with ICMP inside.
const WITH_OPTION = hex(
  '001b213cac30001b213cab6408004500008edfad4000401132af1400000114000002314a17c1007a00000240655800000a00000080010000000cfe71d883724fb69ed2495148080045000054bda24000400141041e0000011e00000208002c5429520017f1a2ce540000000017780c0000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
);
// geneve-gcp.pcap frame 1: Google Cloud options (VNID, endpoint, profile) and a bare IPv4 packet (protocol 0x0800).
const GCP = hex(
  '4201c0a864034201c0a864fe0800450000740000400002112e27c0a864fec0a86403f5fe17c1006000000a0008000000000001320101800000d1013202040800000dc0a86402000000000000000001320302000000000000123445000028d944000040065837c0a86402c0a864010b591f902d5ade4078e9bfda50000200f5470000',
);
// gso-ipv6-geneve-ipv6.pcap frame 1, first 180 of 6946 bytes: Geneve over IPv6 carrying an IPv6 frame.
const OVER_IPV6 = hex(
  'b8cef6048b14d4aff7db489786dd600000001aec113d260413804091ce00000000000000000b260413804091ce00000000000000000dec9117c11aecab410000655800138900fe36a567e0ac76bd914a21f986dd60048db81aa60640fd000000000000000000000000000002fd000000000000000000000000000001971fb1c1ced0fafe822bd559801800a614b100000101080a594dc6aaeebba6b06e657470657266006e657470657266',
);

const MAC = { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800 };
const innerFrame = ethernet({ dst: '0a:58:0a:f4:01:05', src: '0a:58:0a:f4:02:07', type: 0x0800 }, ipUdp({ src: '10.244.1.5', dst: '10.244.2.7', sport: 1, dport: 2 }, Buffer.from('x')));
const overUdp = (g: Buffer) => ethernet(MAC, ipUdp({ src: '192.0.2.1', dst: '192.0.2.2', sport: 40000, dport: 6081, checksum: 'zero' }, g));

describe('geneve', () => {
  it('decodes the header, options and the encapsulated frame as tshark does', () => {
    setAudit(true);
    const recs = [{ bytes: WITH_OPTION }, { bytes: GCP }, { bytes: OVER_IPV6, wire: 6946 }];
    const fields = [...FIELDS, 'eth.type', 'ip.src'];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields));
    const dec = makeDecoder();
    const p = decodeBytes(dec, WITH_OPTION);
    expect(layers(p).slice(0, 7)).toEqual(['frame', 'eth', 'ip', 'udp', 'geneve', 'eth', 'ip']);
    expect(values(p, 'geneve.vni')).toEqual(['0x00000a']);
    expect(values(p, 'geneve.option.length')).toEqual(['8', '8']);
    expect(anomalies(p)).toEqual([]);
    expect(layers(decodeBytes(dec, GCP)).slice(0, 6)).toEqual(['frame', 'eth', 'ip', 'udp', 'geneve', 'ip']);
    expect(layers(decodeBytes(dec, OVER_IPV6, 1, 6946)).slice(0, 7)).toEqual(['frame', 'eth', 'ipv6', 'udp', 'geneve', 'eth', 'ipv6']);
  });

  it('shows the fields each truncation leaves; options only once all are captured', () => {
    setAudit(true);
    const recs: Rec[] = [];
    for (let cut = 42; cut <= 42 + 8 + 40 + 2; cut++) recs.push({ bytes: GCP.subarray(0, cut), wire: GCP.length });
    expect(ours(recs, FIELDS)).toEqual(theirs(recs, FIELDS));
    const dec = makeDecoder();
    for (let cut = 43; cut < 42 + 48; cut++) {
      const p = decodeBytes(dec, GCP.subarray(0, cut), 1, GCP.length);
      expect(layers(p)).toEqual(['frame', 'eth', 'ip', 'udp', 'geneve']);
      expect(anomalies(p)).toContain('geneve.truncated');
    }
  });

  it('flags an option running past the options area and still finds the payload', () => {
    setAudit(true);
    const g = craftGeneve({ vni: 42, options: [{ optClass: 0x0102, type: 1, data: Buffer.alloc(4, 0xaa) }] }, innerFrame);
    g[8 + 3] = 5; // 20 bytes of data claimed, 4 present
    const recs = [{ bytes: overUdp(g) }];
    expect(ours(recs, FIELDS)).toEqual(theirs(recs, FIELDS));
    const p = decodeBytes(makeDecoder(), recs[0]!.bytes);
    expect(anomalies(p)).toEqual(['geneve.option_length_invalid']);
    expect(layers(p).slice(4, 6)).toEqual(['geneve', 'eth']);
  });

  it('flags an unknown version and does not trust its payload', () => {
    setAudit(true);
    const g = craftGeneve({ vni: 42 }, innerFrame);
    g[0] = 0x40;
    const p = decodeBytes(makeDecoder(), overUdp(g));
    expect(layers(p)).toEqual(['frame', 'eth', 'ip', 'udp', 'geneve']);
    expect(anomalies(p)).toEqual(['geneve.version_bad']);
    expect(values(p, 'geneve.version')).toEqual(['1']);
  });

  it('follows the protocol type through the ethertype table and stops at an unknown one', () => {
    setAudit(true);
    const dec = makeDecoder();
    const ipInside = craftGeneve({ vni: 7, protocol: 0x0800 }, ipUdp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 }, Buffer.alloc(1)));
    expect(layers(decodeBytes(dec, overUdp(ipInside))).slice(4, 7)).toEqual(['geneve', 'ip', 'udp']);
    const unknown = craftGeneve({ vni: 7, protocol: 0x1234 }, Buffer.alloc(20));
    expect(layers(decodeBytes(dec, overUdp(unknown)))).toEqual(['frame', 'eth', 'ip', 'udp', 'geneve']);
  });

  it('has a packet-list summary', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), WITH_OPTION);
    const g = p.find(p.reg.id('geneve'));
    expect(p.reg.dissectors[p.proto[g]!]!.summary!(p, g)).toBe('Geneve vni 10 proto 0x6558');
  });
});
