import { describe, expect, it } from 'vitest';
import { emptyRecord } from '../../src/capture/record.js';
import { Decoder } from '../../src/decode/decoder.js';
import { createRegistry } from '../../src/decode/protocols.js';
import { packetDetail, renderDetail, renderHex } from '../../src/output/detail.js';
import { JsonOutput } from '../../src/output/json-output.js';
import { PacketLister } from '../../src/output/packet-list.js';
import { readInProcess, udpPacket, writePcapng } from '../commands/harness.js';

/** Clear screen, bell, CSI (C1), a bidi override and a NUL: what a hostile packet might carry. */
const HOSTILE = '\x1b[2J\x1b]0;owned\x07\x9b31m\u202etxt.exe\x00\r\n';
// Newlines and tabs are the outputs' own separators; nothing else below 0x20, no DEL, no C1.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('no control character from a packet reaches the output', () => {
  it('in the list, detail, hex and JSON of a decoded packet', () => {
    const reg = createRegistry();
    const dec = new Decoder(reg);
    const bytes = udpPacket(Buffer.from(HOSTILE, 'latin1'));
    const rec = emptyRecord();
    rec.buf = bytes;
    rec.capLen = rec.wireLen = bytes.length;
    rec.linktype = 1;
    rec.number = 1;
    rec.comment = HOSTILE;
    const p = dec.decode(rec);
    const d = packetDetail(p);
    const out = { text: '', write: (s: string) => ((out.text += s), false) };
    new JsonOutput(reg, out).packet(p);
    for (const text of [new PacketLister(reg).line(p), renderDetail(d), renderHex(d), out.text]) {
      expect(text).not.toMatch(CONTROL);
    }
    // The comment is shown, escaped, not dropped.
    expect(renderDetail(d)).toContain('\\x1b[2J');
  });

  it('in every output mode of netdiag read', async () => {
    const f = writePcapng([
      { data: udpPacket(Buffer.from(HOSTILE, 'latin1')), comment: HOSTILE },
      { data: udpPacket(Buffer.from('fine')), comment: 'ok' },
    ]);
    const modes: Array<Parameters<typeof readInProcess>[0]> = [
      { files: [f], list: true },
      { files: [f, f.replace(/$/, '')], list: true },
      { files: [f], V: true },
      { files: [f], x: true },
      { files: [f], V: true, x: true },
      { files: [f], T: 'json' },
      { files: [f], T: 'fields', e: ['frame.comment', '_ws.col.Info', 'ip.src'] },
    ];
    for (const m of modes) {
      const r = await readInProcess(m);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(0);
      expect({ mode: m, bad: CONTROL.exec(r.stdout)?.[0] }).toEqual({ mode: m, bad: undefined });
    }
  });
});
