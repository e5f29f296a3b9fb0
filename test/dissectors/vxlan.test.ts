import { describe, expect, it } from 'vitest';
import { decodeBytes, hex, layers, makeDecoder, values, anomalies } from '../helpers/decode.js';
import { setAudit } from '../../src/decode/audit.js';

// Frame 1 of the tcpdump project's vxlan.pcap: VXLAN (4789, VNI 100) carrying an ICMP echo.
const FRAME = hex('00163e0871cf36dc851eb340080045000086d2c0400040115152c0a8cb01c0a8ca01b05d12b500720000080000000000640000308801000200163e37f604080045000054000040004001234fc0a8cb03c0a8cb050800f6f2050c0001fce2975100000000a6f8020000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637');

describe('vxlan', () => {
  it('decodes the outer headers, the VNI and the inner Ethernet frame', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), FRAME);
    expect(layers(p).slice(0, 6)).toEqual(['frame', 'eth', 'ip', 'udp', 'vxlan', 'eth']);
    expect(values(p, 'vxlan.vni')).toEqual(['100']);
    expect(values(p, 'ip.src')).toEqual(['192.168.203.1', '192.168.203.3']);
    expect(values(p, 'eth.type')).toEqual(['0x0800', '0x0800']);
    expect(values(p, 'ip.id')).toEqual(['0xd2c0', '0x0000']);
    expect(anomalies(p)).toEqual([]);
  });

  it('marks every truncation of the VXLAN header and never reads past the record', () => {
    setAudit(true);
    const dec = makeDecoder();
    const vxStart = 14 + 20 + 8;
    for (let cut = vxStart + 1; cut < vxStart + 8; cut++) {
      const p = decodeBytes(dec, FRAME.subarray(0, cut));
      expect(layers(p)).toContain('vxlan');
      expect(anomalies(p)).toContain('vxlan.truncated');
      // Fields wholly inside the captured bytes are still shown, as tshark does.
      expect(values(p, 'vxlan.vni')).toEqual(cut >= vxStart + 7 ? ['100'] : []);
    }
  });
});
