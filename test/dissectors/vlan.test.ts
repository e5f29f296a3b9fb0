import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { setAudit } from '../../src/decode/audit.js';
import type { PacketView } from '../../src/decode/packet-view.js';

// Expected values are tshark 4.0.17's `-T fields` output for the same bytes.
function expectFields(p: PacketView, want: Record<string, string[]>): void {
  for (const [name, v] of Object.entries(want)) expect(values(p, name), name).toEqual(v);
}

// Frame 1 of 802.1ad_QinQ.pcap: S-tag 200 (0x88a8), C-tag 2001 (0x8100), ARP request, 64 bytes with padding.
const QINQ = hex('ffffffffffff0020d25afb3f88a800c8810007d1080600010800060400010020d25afb3fac154f61000000000000ac154f640000000000000000000000000000');
const ETH = 'ffffffffffff0020d25afb3f';
const IP = '450000140000400040000000c0a80001c0a80002';

describe('ieee8021ad + vlan (Q-in-Q)', () => {
  it('decodes the service tag, the customer tag and the ARP inside (real capture)', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), QINQ);
    expect(layers(p)).toEqual(['frame', 'eth', 'ieee8021ad', 'vlan', 'arp']);
    expectFields(p, {
      'ieee8021ad.priority': ['0'],
      'ieee8021ad.dei': ['0'],
      'ieee8021ad.id': ['200'],
      'ieee8021ad.svid': [],
      'ieee8021ah.etype': ['0x8100'],
      'vlan.priority': ['0'],
      'vlan.dei': ['0'],
      'vlan.id': ['2001'],
      'vlan.etype': ['0x0806'],
      'vlan.len': [],
      // 10 zero bytes pad the frame to 60 (Ethernet padding); the last 4 are the trailer.
      'vlan.trailer': ['00000000'],
      'ieee8021ah.trailer': [],
      'arp.opcode': ['1'],
    });
  });

  it('shows two stacked 802.1ad tags as one layer with S-VID and C-VID', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(`${ETH} 88a8 2064 88a8 3065 0800 ${IP}`));
    expect(layers(p)).toEqual(['frame', 'eth', 'ieee8021ad', 'ip']);
    expectFields(p, {
      'ieee8021ad.priority': ['1', '1'],
      'ieee8021ad.dei': ['0', '1'],
      'ieee8021ad.id': [],
      'ieee8021ad.svid': ['100'],
      'ieee8021ad.cvid': ['101'],
      'ieee8021ah.etype': ['0x0800'],
    });
  });

  it('reads the whole 802.1ad tag before showing anything', () => {
    setAudit(true);
    const dec = makeDecoder();
    const single = hex(`${ETH} 88a8 2064 0800 ${IP}`);
    for (let cut = 14; cut < 18; cut++) {
      const p = decodeBytes(dec, single.subarray(0, cut));
      expect(values(p, 'ieee8021ad.id'), String(cut)).toEqual([]);
      expect(anomalies(p)).toContain('ieee8021ad.truncated');
    }
    const double = hex(`${ETH} 88a8 2064 88a8 3065 0800 ${IP}`);
    for (let cut = 14; cut < 22; cut++) {
      const p = decodeBytes(dec, double.subarray(0, cut));
      expect(layers(p)).toEqual(['frame', 'eth', 'ieee8021ad']);
      expect(anomalies(p)).toContain('ieee8021ad.truncated');
      // Both tags must be there (20 bytes) before the fields appear; the type needs 22.
      expect(values(p, 'ieee8021ad.cvid'), String(cut)).toEqual(cut >= 20 ? ['101'] : []);
      expect(values(p, 'ieee8021ah.etype')).toEqual([]);
    }
  });
});

describe('vlan (802.1Q)', () => {
  it('decodes priority, DEI and ID from the TCI, for 0x8100 and 0x9100', () => {
    setAudit(true);
    const dec = makeDecoder();
    const p = decodeBytes(dec, hex(`${ETH} 8100 f064 0800 ${IP}`));
    expect(layers(p)).toEqual(['frame', 'eth', 'vlan', 'ip']);
    expectFields(p, { 'vlan.priority': ['7'], 'vlan.dei': ['1'], 'vlan.id': ['100'], 'vlan.etype': ['0x0800'] });
    const q = decodeBytes(dec, hex(`${ETH} 9100 2064 0800 ${IP}`));
    expect(layers(q)).toEqual(['frame', 'eth', 'vlan', 'ip']);
  });

  it('repeats each field per tag in stacked tags', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(`${ETH} 8100 2064 8100 3065 0800 ${IP}`));
    expectFields(p, { 'vlan.priority': ['1', '1'], 'vlan.dei': ['0', '1'], 'vlan.id': ['100', '101'], 'vlan.etype': ['0x8100', '0x0800'] });
  });

  it('treats a type of 1500 or less as an 802.3 length in front of LLC', () => {
    setAudit(true);
    const dec = makeDecoder();
    const p = decodeBytes(dec, hex(`${ETH} 8100 2064 0006 aaaa03 000000 1234`));
    expect(layers(p)).toEqual(['frame', 'eth', 'vlan', 'llc']);
    expectFields(p, { 'vlan.len': ['6'], 'vlan.etype': [], 'vlan.trailer': ['1234'] });
    const past = decodeBytes(dec, hex(`${ETH} 8100 2064 0010 aaaa03`));
    expectFields(past, { 'vlan.len': ['16'] });
    expect(anomalies(past)).toContain('vlan.len_past_end');
  });

  it('splits zero padding from the trailer', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(`${ETH} 8100 2064 0800 ${IP} ${'00'.repeat(30)} aabbccdd`));
    expectFields(p, { 'vlan.trailer': ['0000000000000000aabbccdd'] });
  });

  it('stops after 20 tags, as Wireshark does', () => {
    setAudit(true);
    let tags = '';
    for (let k = 1; k <= 25; k++) tags += '8100 00' + k.toString(16).padStart(2, '0');
    const p = decodeBytes(makeDecoder(), hex(`${ETH} ${tags} 0800 ${IP}`));
    expect(values(p, 'vlan.id')).toEqual(Array.from({ length: 20 }, (_, k) => String(k + 1)));
    expect(anomalies(p)).toContain('vlan.too_many_tags');
    expect(layers(p).filter((l) => l === 'vlan')).toHaveLength(21);
    expect(layers(p)).not.toContain('ip');
  });

  it('shows the TCI from 2 bytes and the type from 4', () => {
    setAudit(true);
    const dec = makeDecoder();
    const f = hex(`${ETH} 8100 2064 0800 ${IP}`);
    for (let cut = 14; cut < 18; cut++) {
      const p = decodeBytes(dec, f.subarray(0, cut));
      expect(layers(p)).toEqual(['frame', 'eth', 'vlan']);
      expect(anomalies(p)).toContain('vlan.truncated');
      expect(values(p, 'vlan.id')).toEqual(cut >= 16 ? ['100'] : []);
      expect(values(p, 'vlan.etype')).toEqual([]);
    }
  });
});

describe('vlan on arbitrary bytes', () => {
  it('never reads outside the record, in decode or in any field', () => {
    setAudit(true);
    const dec = makeDecoder();
    const names = dec.reg.fieldNames().filter((f) => /^(vlan|ieee8021a[dh])\./.test(f));
    fc.assert(
      fc.property(fc.constantFrom(...[[1, 'ffffffffffff020000000001 8100'], [1, 'ffffffffffff020000000001 88a8'], [1, 'ffffffffffff020000000001 88a8000088a8']] as Array<[number, string]>), fc.uint8Array({ maxLength: 160 }), fc.nat(64), ([linktype, head], tail, extra) => {
        const bytes = Buffer.concat([hex(head), Buffer.from(tail)]);
        const p = decodeBytes(dec, bytes, linktype, bytes.length + extra);
        for (const f of names) values(p, f);
        for (let i = 0; i < p.nLayers; i++) p.reg.dissectors[p.proto[i]!]!.summary?.(p, i);
      }),
      { numRuns: 400 },
    );
  });
});
