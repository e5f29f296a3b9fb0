/**
 * Strings that come from packets and capture files — a BGP shutdown communication, a BGP
 * hostname capability, pcapng packet and section comments, interface names and
 * descriptions, the capture's own name — carrying terminal escapes, control characters,
 * bidi overrides, HTML and Markdown link syntax. None of it reaches an output raw.
 */
import { describe, expect, it } from 'vitest';
import { safeJson } from '../../src/output/json-text.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { PcapngEncoder } from '../../src/capture/writer.js';
import { bgpOpen, ETHERTYPE, ethernet, ipTcp } from '../../src/craft/index.js';
import { Decoder } from '../../src/decode/decoder.js';
import { createRegistry } from '../../src/decode/protocols.js';
import { packetDetail, renderDetail, renderHex } from '../../src/output/detail.js';
import { FieldsOutput, DEFAULT_FIELDS_OPTIONS } from '../../src/output/fields-output.js';
import { JsonOutput } from '../../src/output/json-output.js';
import { PacketLister } from '../../src/output/packet-list.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import { buildReport } from '../../src/report/report.js';
import { auditPipeline, CONTROL } from '../../fuzz/target.js';
import { bgpShutdown } from '../../fuzz/samples.js';

/** Clear screen, bell, NUL, an OSC title, a C1 CSI, bidi overrides, HTML and a Markdown link. */
const HOSTILE = 'a\x1b[2J\x07\x00\x1b]0;owned\x07\x9b31m\u202eexe.txt\u2066<script>alert(1)</script></svg>[click](http://evil.example)`x`|y|\r\nz';

const ts = (k: number) => ({ sec: 1_700_000_000 + k, nsec: 0 });
const tcp179 = (payload: Buffer, sport: number, dport: number, src = '198.18.0.1', dst = '198.18.0.2') =>
  ethernet({ src: '52:54:00:c6:12:01', dst: '52:54:00:c6:12:02', type: ETHERTYPE.IPV4 }, ipTcp({ src, dst, sport, dport, seq: 1000, ack: 1, flags: 'P.' }, payload));

/** A pcapng whose every free-text field is hostile, holding BGP messages with hostile text. */
function hostileCapture(): Buffer {
  const e = new PcapngEncoder();
  const text = HOSTILE.slice(0, 120);
  const hostname = Buffer.from(text, 'latin1');
  const fqdn = Buffer.concat([Buffer.from([hostname.length]), hostname, Buffer.from([hostname.length]), hostname]);
  return Buffer.concat([
    e.sectionHeader({ comment: HOSTILE, hardware: HOSTILE, os: HOSTILE, userAppl: HOSTILE }),
    e.interfaceDescription({ linktype: 1, name: HOSTILE, description: HOSTILE, comment: HOSTILE }),
    e.enhancedPacket(0, ts(0), tcp179(bgpOpen({ asn: 64512, bgpId: '198.18.0.1', capabilities: [{ code: 73, data: fqdn }] }), 40000, 179), { comment: HOSTILE }),
    e.enhancedPacket(0, ts(1), tcp179(bgpShutdown(text), 179, 40000, '198.18.0.2', '198.18.0.1'), { comment: HOSTILE }),
    e.enhancedPacket(0, ts(2), tcp179(bgpShutdown(Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0xc2, 0x9b, 0x07, 0x00, 0xe2, 0x80, 0xae])), 40001, 179), {}),
  ]);
}

/** No control character (a tab only where the format separates with it), shown with its context when there is one. */
function noControl(text: string, what: string, allowTab = false): void {
  const re = allowTab ? CONTROL : new RegExp(`${CONTROL.source}|\t`);
  const bad = re.exec(text);
  expect(bad === null ? null : `U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${bad.index}: ${JSON.stringify(text.slice(Math.max(0, bad.index - 30), bad.index + 30))}`, what).toBeNull();
}

describe('text from packets and capture files in every output', () => {
  const buf = hostileCapture();
  const reg = createRegistry();

  it('the capture carries the hostile text where it should (so the tests below can fail)', () => {
    const r = CaptureReader.fromBuffer(buf, 'hostile.pcapng');
    let n = 0;
    while (r.next()) {
      n++;
      if (n < 3) expect(r.rec.comment).toBe(HOSTILE);
    }
    expect(n).toBe(3);
    expect(r.interfaces[0]!.name).toBe(HOSTILE);
    expect(r.sections[0]!.comments).toEqual([HOSTILE]);
  });

  it('list lines: one line per packet, escaped, the text still visible', () => {
    const r = CaptureReader.fromBuffer(buf, 'hostile.pcapng');
    const dec = new Decoder(reg);
    const lister = new PacketLister(reg);
    let all = '';
    while (r.next()) {
      const line = lister.line(dec.decode(r.rec), HOSTILE);
      expect(line.includes('\n')).toBe(false);
      noControl(line, 'list line');
      all += line + '\n';
    }
    expect(all).toContain('\\x1b[2J');
  });

  it('-T fields: tab-separated values, nothing else below 0x20', () => {
    const r = CaptureReader.fromBuffer(buf, 'hostile.pcapng');
    const dec = new Decoder(reg);
    let text = '';
    const names = ['frame.comment', 'bgp.notify.communication', 'bgp.cap.orf.fqdn.hostname', '_ws.col.Info', 'ip.src'].filter((n) => n.startsWith('_ws.') || reg.field(n));
    expect(names).toContain('bgp.notify.communication');
    const out = new FieldsOutput(reg, names, { ...DEFAULT_FIELDS_OPTIONS, header: true }, { write: (s: string) => ((text += s), true) });
    while (r.next()) out.packet(dec.decode(r.rec));
    for (const line of text.trimEnd().split('\n')) noControl(line, 'fields line', true);
    expect(text.split('\n').length).toBe(5);
    expect(text).toContain('\\x1b[2J');
    // The shutdown communication is there, escaped, not dropped.
    expect(text).toMatch(/a\\x1b\[2J\\x07\\x00/);
  });

  it('the detail and hex views', () => {
    const r = CaptureReader.fromBuffer(buf, 'hostile.pcapng');
    const dec = new Decoder(reg);
    let shown = '';
    while (r.next()) {
      const d = packetDetail(dec.decode(r.rec));
      shown += renderDetail(d);
      noControl(renderDetail(d).replace(/\n/g, ' '), 'detail');
      noControl(renderHex(d).replace(/\n/g, ' '), 'hex');
    }
    expect(shown).toContain('\\x1b[2J');
  });

  it('-T json, with the capture named in each packet', () => {
    const r = CaptureReader.fromBuffer(buf, 'hostile.pcapng');
    const dec = new Decoder(reg);
    let json = '';
    const jo = new JsonOutput(reg, { write: (s: string) => ((json += s), true) }, { captureKey: true });
    while (r.next()) jo.packet(dec.decode(r.rec), HOSTILE);
    jo.end();
    expect(() => JSON.parse(json)).not.toThrow();
    noControl(json.replace(/\n/g, ' '), 'packet JSON');
  });

  it('the text and Markdown reports: no control character, no markup from the capture', async () => {
    const res = await auditPipeline(buf, `node1 ${HOSTILE}`, 256, ['netdiag', 'read', 'capture.pcapng']);
    expect(res.opened).toBe(true);
    noControl(res.text!.replace(/\n/g, ' '), 'text report');
    const md = res.markdown!;
    noControl(md.replace(/\n/g, ' '), 'markdown report');
    expect(md).toContain('node1');
    expect(md).not.toMatch(/<script|<\/svg/i);
    // A link needs `](` with nothing escaping the bracket.
    expect(md).not.toMatch(/(^|[^\\])\]\(/m);
  });

  it('the command line in the Markdown report: no control character', async () => {
    const res = await auditPipeline(Buffer.from(buf), 'capture.pcapng', 256, ['netdiag', 'read', `${HOSTILE}.pcapng`]).catch((e: Error) => ({ error: e.message }));
    expect('error' in res ? res.error : null).toBeNull();
  });

  it('the JSON report: control characters, C1 and bidi controls escaped', async () => {
    const res = await auditPipeline(buf, HOSTILE, 256, ['netdiag', 'read', 'capture.pcapng']);
    const { model, findings } = diagnose([res.result!], null);
    const json = safeJson(buildReport(model, findings, '0.0.0', ['netdiag', HOSTILE]), 2);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(buildReport(model, findings, '0.0.0', ['netdiag', HOSTILE]))));
    expect(json).toContain('owned');
    noControl(json.replace(/\n/g, ' '), 'JSON report');
  });
});
