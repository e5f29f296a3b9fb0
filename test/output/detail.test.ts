import { describe, expect, it } from 'vitest';
import { ethernet, ETHERTYPE, ipUdp } from '../../src/craft/index.js';
import { hexDump, packetDetail, renderDetail, renderHex, type DetailField } from '../../src/output/detail.js';
import { decodeBytes, makeDecoder } from '../helpers/decode.js';
import { tshark, udpPacket, vxlanSyn, writePcap } from '../commands/harness.js';

function find(fields: DetailField[], name: string): DetailField | undefined {
  for (const f of fields) {
    if (f.name === name) return f;
    const c = find(f.children, name);
    if (c) return c;
  }
  return undefined;
}

describe('packet detail', () => {
  it('lists every layer in order with its fields, as values -T fields prints', () => {
    const dec = makeDecoder();
    const bytes = vxlanSyn({ vni: 7 });
    const d = packetDetail(decodeBytes(dec, bytes));
    const names = d.layers.map((l) => l.name);
    expect(names.slice(0, 6)).toEqual(['frame', 'eth', 'ip', 'udp', 'vxlan', 'eth']);
    const path = writePcap([{ data: bytes }]);
    const [outerSrc, vni] = tshark(['-r', path, '-d', 'udp.port==8472,vxlan', '-T', 'fields', '-E', 'occurrence=f', '-e', 'ip.src', '-e', 'vxlan.vni']).trimEnd().split('\t');
    expect(find(d.layers[2]!.fields, 'ip.src')!.value).toBe(outerSrc);
    expect(find(d.layers[4]!.fields, 'vxlan.vni')!.value).toBe(vni);
    expect(d.layers[5]!.depth).toBe(1);
  });

  it('nests sub-fields under their parent and names enumerated values', () => {
    const dec = makeDecoder();
    const d = packetDetail(decodeBytes(dec, udpPacket(Buffer.from('x'))));
    const ip = d.layers.find((l) => l.name === 'ip')!;
    const flags = ip.fields.find((f) => f.name === 'ip.flags')!;
    expect(flags.children.map((c) => c.name)).toContain('ip.flags.df');
    expect(find(ip.fields, 'ip.proto')!.display).toBe('UDP (17)');
    // Filter-only fields are not part of the tree, as in tshark -V.
    expect(find(ip.fields, 'ip.addr')).toBeUndefined();
  });

  it('gives layer byte ranges within the frame', () => {
    const dec = makeDecoder();
    const bytes = udpPacket(Buffer.from('hello'));
    const d = packetDetail(decodeBytes(dec, bytes));
    const ip = d.layers.find((l) => l.name === 'ip')!;
    expect(ip.range).toEqual({ buffer: 0, start: 14, end: bytes.length });
    expect(ip.header).toEqual({ buffer: 0, start: 14, end: 34 });
    expect(d.buffers[0]!.bytes.equals(bytes)).toBe(true);
  });

  it('survives the next decode (everything is copied out of the reused view)', () => {
    const dec = makeDecoder();
    const a = udpPacket(Buffer.from('first'), { src: '10.0.0.1' });
    const d = packetDetail(decodeBytes(dec, a));
    decodeBytes(dec, udpPacket(Buffer.from('second'), { src: '10.9.9.9' }));
    expect(find(d.layers.find((l) => l.name === 'ip')!.fields, 'ip.src')!.value).toBe('10.0.0.1');
    expect(d.buffers[0]!.bytes.equals(a)).toBe(true);
  });

  it('renders a text tree with one title line per layer and indented fields', () => {
    const dec = makeDecoder();
    const text = renderDetail(packetDetail(decodeBytes(dec, udpPacket(Buffer.from('x')))));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Frame 1: \d+ bytes on wire \(\d+ bits\), \d+ bytes captured \(\d+ bits\)$/);
    expect(lines).toContain('    Source Address: 198.18.0.1');
    expect(lines.some((l) => /^ {8}Don't fragment: (Set|Not set)$/.test(l))).toBe(true);
  });
});

describe('hex dump', () => {
  it('prints exactly what tshark -x prints for the frame', () => {
    const bytes = ethernet(
      { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: ETHERTYPE.IPV4 },
      ipUdp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 1, dport: 2 }, Buffer.from('\x1b[2J hello, world! 0123456789 abcdefghijklmnop\x7f\x80')),
    );
    const expected = tshark(['-r', writePcap([{ data: bytes }]), '-x']);
    expect(hexDump(bytes) + '\n').toBe(expected);
  });

  it('never lets a control byte through its ASCII column', () => {
    const bytes = Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x9b, 0x00, 0x0d, 0x0a, 0x41]);
    expect(hexDump(bytes)).toBe('0000  1b 5b 32 4a 07 9b 00 0d 0a 41                     .[2J.....A\n');
  });

  it('renders reassembled buffers under their own heading', () => {
    const dec = makeDecoder();
    const d = packetDetail(decodeBytes(dec, udpPacket(Buffer.from('x'))));
    d.buffers.push({ label: 'Reassembled BGP (3 bytes)', bytes: Buffer.from([1, 2, 3]) });
    expect(renderHex(d)).toContain('\nReassembled BGP (3 bytes):\n0000  01 02 03');
  });
});
