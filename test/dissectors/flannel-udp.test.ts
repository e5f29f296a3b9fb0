import { describe, expect, it } from 'vitest';
import { ethernet } from '../../src/craft/ethernet.js';
import { ipUdp } from '../../src/craft/stack.js';
import { setAudit } from '../../src/decode/audit.js';
import { anomalies, decodeBytes, layers, makeDecoder, values } from '../helpers/decode.js';

// flannel's UDP backend has no Wireshark dissector: the expected layers follow from its
// design (the UDP payload is the pod's IP packet, nothing before it).
const MAC = { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800 };
const overFlannel = (payload: Buffer, sport = 8285) => ethernet(MAC, ipUdp({ src: '192.0.2.1', dst: '192.0.2.2', sport, dport: 8285 }, payload));
const podV4 = ipUdp({ src: '10.244.1.5', dst: '10.244.2.7', sport: 5353, dport: 53 }, Buffer.from('query'));
const podV6 = ipUdp({ src: 'fd00:10:244:1::5', dst: 'fd00:10:244:2::7', sport: 5353, dport: 53 }, Buffer.from('query'));

describe('flannel-udp', () => {
  it('decodes the pod IPv4 packet inside UDP 8285', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), overFlannel(podV4));
    expect(layers(p)).toEqual(['frame', 'eth', 'ip', 'udp', 'flannel', 'ip', 'udp']);
    expect(values(p, 'ip.src')).toEqual(['192.0.2.1', '10.244.1.5']);
    expect(anomalies(p)).toEqual([]);
  });

  it('decodes a pod IPv6 packet by its version nibble', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), overFlannel(podV6));
    expect(layers(p)).toEqual(['frame', 'eth', 'ip', 'udp', 'flannel', 'ipv6', 'udp']);
  });

  it('counts as an encapsulation for the tunnel depth limit', () => {
    setAudit(true);
    let pkt = podV4;
    for (let k = 0; k < 10; k++) pkt = ipUdp({ src: '192.0.2.1', dst: '192.0.2.2', sport: 8285, dport: 8285 }, pkt);
    const p = decodeBytes(makeDecoder(), ethernet(MAC, pkt));
    expect(anomalies(p)).toContain('frame.tunnel_depth');
    expect(layers(p).filter((l) => l === 'flannel').length).toBeLessThanOrEqual(9);
  });

  it('flags a payload that is not IP and an empty one', () => {
    setAudit(true);
    const dec = makeDecoder();
    const junk = decodeBytes(dec, overFlannel(Buffer.from([0x20, 1, 2, 3])));
    expect(layers(junk)).toEqual(['frame', 'eth', 'ip', 'udp', 'flannel']);
    expect(anomalies(junk)).toEqual(['flannel.not_ip']);
    // UDP hands on no empty payload, so an empty flannel layer only arises when asked for directly.
    const empty = decodeBytes(dec, overFlannel(Buffer.alloc(0)));
    expect(layers(empty)).toEqual(['frame', 'eth', 'ip', 'udp']);
  });

  it('marks a pod packet cut short by the capture as the inner IP truncation', () => {
    setAudit(true);
    const full = overFlannel(podV4);
    const dec = makeDecoder();
    for (let cut = 43; cut < 42 + 20; cut++) {
      const p = decodeBytes(dec, full.subarray(0, cut), 1, full.length);
      expect(layers(p)).toEqual(['frame', 'eth', 'ip', 'udp', 'flannel', 'ip']);
      expect(anomalies(p)).toEqual(['ip.truncated']);
    }
  });

  it('has a packet-list summary', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), overFlannel(podV6));
    const f = p.find(p.reg.id('flannel'));
    expect(p.reg.dissectors[p.proto[f]!]!.summary!(p, f)).toBe('flannel IPv6');
  });
});
