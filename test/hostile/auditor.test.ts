/**
 * The hostile-input properties are only as good as the checks behind them: a dissector
 * with each kind of bug, registered on a private linktype, must be caught by the auditor.
 */
import { describe, expect, it } from 'vitest';
import { field } from '../../src/decode/define.js';
import { onesSum, u8 } from '../../src/decode/bytes.js';
import type { ProtocolModule } from '../../src/decode/dissector.js';
import { Registry } from '../../src/decode/registry.js';
import { frame } from '../../dissectors/frame.js';
import { InvariantError, PacketAuditor } from '../../fuzz/target.js';

const LINKTYPE_USER0 = 147;

function auditorWith(decode: ProtocolModule['dissector']['decode'], fields: ProtocolModule['dissector']['fields'] = []): PacketAuditor {
  const reg = new Registry();
  reg.add(frame);
  reg.add({ dispatch: [['linktype', LINKTYPE_USER0]], anomalies: { odd: ['warning', 'odd'] }, dissector: { name: 'buggy', label: 'Buggy', fields, decode } });
  reg.seal();
  return new PacketAuditor(reg, { outputs: true });
}

const bytes = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

describe('the packet auditor', () => {
  it('passes a dissector that stays inside its layer', () => {
    const a = auditorWith((p, i) => {
      p.hdrEnd[i] = p.start[i]! + 4;
      if (u8(p.layerBuf[i]!, p.end[i]! - 1) === 0x0f) p.anomaly(i, p.reg.anomaly('buggy.odd'));
    });
    expect(a.packet(bytes, LINKTYPE_USER0).nAnomalies).toBe(1);
  });

  it('catches a read one byte past the record', () => {
    const a = auditorWith((p, i) => {
      p.hdrEnd[i] = p.start[i]!;
      u8(p.layerBuf[i]!, p.end[i]!);
    });
    expect(() => a.packet(bytes, LINKTYPE_USER0)).toThrow(RangeError);
  });

  it('catches a checksum over bytes past the record', () => {
    const a = auditorWith((p, i) => {
      p.hdrEnd[i] = p.start[i]!;
      onesSum(p.layerBuf[i]!, p.start[i]!, p.end[i]! + 2);
    });
    expect(() => a.packet(bytes, LINKTYPE_USER0)).toThrow(RangeError);
  });

  it('catches a layer that claims bytes past the record, or a header past its layer', () => {
    const past = auditorWith((p, i) => {
      p.hdrEnd[i] = p.start[i]!;
      p.end[i] = p.end[i]! + 1;
    });
    expect(() => past.packet(bytes, LINKTYPE_USER0)).toThrow(InvariantError);
    const header = auditorWith((p, i) => {
      p.hdrEnd[i] = p.end[i]! + 4;
    });
    expect(() => header.packet(bytes, LINKTYPE_USER0)).toThrow(InvariantError);
  });

  it('catches an anomaly code the registry does not have', () => {
    const a = auditorWith((p, i) => {
      p.hdrEnd[i] = p.start[i]!;
      p.anomaly(i, 999);
    });
    expect(() => a.packet(bytes, LINKTYPE_USER0)).toThrow(/anomaly code 999/);
  });

  it('catches work that grows faster than the packet', () => {
    const a = auditorWith((p, i) => {
      p.hdrEnd[i] = p.start[i]!;
      const b = p.layerBuf[i]!;
      for (let x = p.start[i]!; x < p.end[i]!; x++) for (let y = p.start[i]!; y < p.end[i]!; y++) u8(b, y);
    });
    expect(() => a.packet(Buffer.alloc(40), LINKTYPE_USER0)).not.toThrow();
    expect(() => a.packet(Buffer.alloc(2000), LINKTYPE_USER0)).toThrow(/not linear/);
  });

  it('catches a field getter that indexes past the buffer directly', () => {
    const a = auditorWith(
      (p, i) => {
        p.hdrEnd[i] = p.end[i]!;
      },
      [field('buggy.last', 'Last', 'uint', (p, i, out) => out.pushNum(p.layerBuf[i]![p.end[i]!]!))],
    );
    expect(() => a.packet(bytes, LINKTYPE_USER0)).toThrow(/buggy.last is NaN/);
  });

  it('catches a field value that points outside the record', () => {
    const a = auditorWith(
      (p, i) => {
        p.hdrEnd[i] = p.end[i]!;
      },
      [field('buggy.bytes', 'Bytes', 'bytes', (p, i, out) => out.pushBytes(p.layerBuf[i]!, p.start[i]! + 8, 16))],
    );
    expect(() => a.packet(bytes, LINKTYPE_USER0)).toThrow(InvariantError);
  });
});
