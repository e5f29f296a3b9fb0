import type { ProtocolModule } from '../src/decode/dissector.js';
import { fixed, when } from '../src/decode/define.js';
import { u16 } from '../src/decode/bytes.js';
import { macFromBytes } from '../src/decode/format.js';
import type { Registry } from '../src/decode/registry.js';

/*
 * Ethernet II (IEEE 802.3 with a length field is named and stops at LLC).
 *  0                   1                   2                   3
 * |       destination MAC (6)       |        source MAC (6)       | type/length (2) |
 */
let ethertypes: Uint16Array = new Uint16Array(0);
let LLC = 0;

const isEthernetII = (p: { layerBuf: Buffer[]; start: Int32Array; hdrEnd: Int32Array }, i: number) =>
  p.hdrEnd[i]! - p.start[i]! >= 14 && u16(p.layerBuf[i]!, p.start[i]! + 12) >= 0x600;

export const eth: ProtocolModule = {
  dispatch: [
    ['linktype', 1],
    ['gre.proto', 0x6558],
  ],
  dissector: {
    name: 'eth',
    label: 'Ethernet',
    fields: [
      fixed('eth.dst', 'Destination', 'ether', 0, 6),
      fixed('eth.src', 'Source', 'ether', 6, 6),
      when(isEthernetII, fixed('eth.type', 'Type', 'uint', 12, 2, { base: 'hex' })),
      when((p, i) => !isEthernetII(p, i), fixed('eth.len', 'Length', 'uint', 12, 2)),
    ],
    init(reg: Registry) {
      ethertypes = reg.table('ethertype');
      LLC = reg.id('llc');
    },
    decode(p, i) {
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (e - s < 14) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      p.hdrEnd[i] = s + 14;
      const type = u16(p.layerBuf[i]!, s + 12);
      if (type < 0x600) {
        // 802.3 length: the frame ends where the length says (the rest is padding).
        p.setNext(LLC, s + 14, Math.min(e, s + 14 + type));
        return;
      }
      const next = ethertypes[type]!;
      if (next) p.setNext(next, s + 14, e);
    },
    summary(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      if (p.hdrEnd[i]! - s < 12) return 'Ethernet (truncated)';
      return `${macFromBytes(b, s + 6)} → ${macFromBytes(b, s)}`;
    },
  },
};

/** IEEE 802.2 LLC, named only: netdiag has nothing to diagnose above it. */
export const llc: ProtocolModule = {
  dissector: {
    name: 'llc',
    label: 'LLC',
    fields: [fixed('llc.dsap', 'DSAP', 'uint', 0, 1, { base: 'hex' }), fixed('llc.ssap', 'SSAP', 'uint', 1, 1, { base: 'hex' })],
    decode(p, i) {
      const s = p.start[i]!;
      if (p.end[i]! - s < 3) {
        p.hdrEnd[i] = p.end[i]!;
        p.truncated(i);
        return;
      }
      p.hdrEnd[i] = s + 3;
    },
  },
};
