import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { arp, ethernet, ETHERTYPE } from '../../src/craft/index.js';
import { readInProcess, tempPath, tshark, udpPacket, vxlanSyn, writePcap, writePcapng, type Packet } from './harness.js';

/** A mixed capture: VXLAN on 4789 (tshark needs no -d), plain UDP, ARP. */
function mixed(): Packet[] {
  const a = ethernet(
    { dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:01', type: ETHERTYPE.ARP },
    arp({ op: 'request', senderMac: '02:00:00:00:00:01', senderIp: '198.18.0.1', targetIp: '198.18.0.2' }),
  );
  return [
    { data: vxlanSyn({ vni: 1, dport: 4789 }) },
    { data: udpPacket(Buffer.from('one'), { dst: '10.0.0.1', dport: 53 }) },
    { data: a },
    { data: vxlanSyn({ vni: 2, dport: 4789 }) },
    { data: udpPacket(Buffer.from('two'), { dst: '10.0.0.2', dport: 9999 }) },
    { data: vxlanSyn({ vni: 1, dport: 4789 }), nsec: 123456789 },
  ];
}

const frames = (text: string) => text.trimEnd().split('\n').filter(Boolean);

describe('netdiag read -Y', () => {
  const filters = ['vxlan', 'udp.dstport == 53', 'ip.dst == 10.0.0.0/24', 'vxlan.vni == 1 && ip.src == 100.96.1.2', 'arp or udp.dstport in {53, 9999}', '!vxlan'];
  for (const f of filters) {
    it(`shows the packets tshark shows for "${f}"`, async () => {
      const path = writePcap(mixed());
      const ours = await readInProcess({ files: [path], Y: f, T: 'fields', e: ['frame.number'] });
      expect(ours.exitCode).toBe(0);
      expect(frames(ours.stdout)).toEqual(frames(tshark(['-r', path, '-Y', f, '-T', 'fields', '-e', 'frame.number'])));
    });
  }

  it('points at the offending column of a bad filter and exits 2', async () => {
    const r = await readInProcess({ files: [writePcap(mixed())], Y: 'ip.dst == 10.0.0.300', list: true });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]!.indexOf('^')).toBe(lines[0]!.indexOf('10.0.0.300'));
  });
});

describe('netdiag read -c', () => {
  it('reads at most N packets, counted before the filter, as tshark does', async () => {
    const path = writePcap(mixed());
    for (const [c, f] of [
      [3, 'vxlan'],
      [5, 'udp'],
      [1, ''],
    ] as const) {
      const ours = await readInProcess({ files: [path], c, ...(f ? { Y: f } : {}), T: 'fields', e: ['frame.number'] });
      const theirs = tshark(['-r', path, '-c', String(c), ...(f ? ['-Y', f] : []), '-T', 'fields', '-e', 'frame.number']);
      expect(frames(ours.stdout)).toEqual(frames(theirs));
    }
  });

  it.each([[0], [-1], [1.5], [Number.NaN]])('rejects -c %s with exit code 2', async (c) => {
    const r = await readInProcess({ files: [writePcap(mixed())], c, list: true });
    expect(r.exitCode).toBe(2);
  });
});

describe('netdiag read -w', () => {
  const dump = (path: string) => tshark(['-r', path, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len']) + tshark(['-r', path, '-x']);

  it('writes the packets that pass the filter, as tshark -w would', async () => {
    const path = writePcap(mixed());
    const out = tempPath('filtered.pcap');
    const expected = tempPath('expected.pcap');
    const r = await readInProcess({ files: [path], Y: 'vxlan', w: out });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    tshark(['-r', path, '-Y', 'vxlan', '-w', expected]);
    expect(dump(out)).toBe(dump(expected));
    expect(frames(tshark(['-r', out, '-T', 'fields', '-e', 'frame.number']))).toEqual(['1', '2', '3']);
  });

  it('writes to stdout with -w -', async () => {
    const path = writePcap(mixed());
    const r = await readInProcess({ files: [path], Y: 'udp.dstport == 9999', w: '-' });
    const out = tempPath('stdout.pcap');
    writeFileSync(out, r.stdoutBytes);
    const expected = tempPath('expected-stdout.pcap');
    tshark(['-r', path, '-Y', 'udp.dstport == 9999', '-w', expected]);
    expect(dump(out)).toBe(dump(expected));
  });

  it('writes pcapng when packets have different link types, keeping them all', async () => {
    const rawIp = vxlanSyn().subarray(14);
    const path = writePcapng([{ data: udpPacket(Buffer.from('eth')) }, { data: rawIp, linktype: 101 }, { data: udpPacket(Buffer.from('eth2')), comment: 'kept' }]);
    const out = tempPath('mixed-out.pcap');
    const r = await readInProcess({ files: [path], w: out });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(out).readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(tshark(['-r', out, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.comment'])).toBe(tshark(['-r', path, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.comment']));
  });

  it('writes pcapng when several captures have different link types', async () => {
    const eth = writePcap([{ data: udpPacket(Buffer.from('eth')) }]);
    const raw = writePcap([{ data: vxlanSyn().subarray(14) }], 101);
    const out = tempPath('two-linktypes.pcap');
    const r = await readInProcess({ files: [eth, raw], w: out });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(out).readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(tshark(['-r', out, '-T', 'fields', '-e', 'frame.len']).trimEnd().split('\n')).toHaveLength(2);
  });

  it('writes an empty, valid capture when nothing passes', async () => {
    const out = tempPath('none.pcap');
    await readInProcess({ files: [writePcap(mixed())], Y: 'udp.dstport == 1', w: out });
    expect(statSync(out).size).toBe(24);
    expect(tshark(['-r', out])).toBe('');
  });
});

describe('netdiag read with several captures', () => {
  it('numbers packets per capture and prefixes the capture name in the list', async () => {
    const a = writePcap(mixed().slice(0, 2), 1, 'node-a.pcap');
    const b = writePcap(mixed().slice(2, 5), 1, 'node-b.pcap');
    const r = await readInProcess({ files: [a, b], list: true });
    const lines = frames(r.stdout);
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['node-a.pcap 1', 'node-a.pcap 2', 'node-b.pcap 1', 'node-b.pcap 2', 'node-b.pcap 3']);
    // One capture: no prefix.
    expect(frames((await readInProcess({ files: [a], list: true })).stdout)[0]).toMatch(/^ {4}1 /);
  });

  it('reports a capture it cannot read, still reads the others, and exits 2', async () => {
    const a = writePcap(mixed().slice(0, 2));
    const notCapture = tempPath('notes.txt');
    writeFileSync(notCapture, 'this is not a capture file, it is a note about one\n');
    const r = await readInProcess({ files: [tempPath('missing.pcap'), notCapture, a], list: true });
    expect(r.exitCode).toBe(2);
    expect(frames(r.stdout)).toHaveLength(2);
    const err = frames(r.stderr);
    expect(err).toHaveLength(2);
    expect(err[0]).toMatch(/^netdiag: .*missing\.pcap: /);
    expect(err[1]).toMatch(/^netdiag: .*notes\.txt: /);
  });

  it('reports damage with its offset on stderr and still shows every whole packet (exit 0)', async () => {
    const path = writePcap(mixed());
    truncateSync(path, statSync(path).size - 10);
    const r = await readInProcess({ files: [path], list: true });
    expect(r.exitCode).toBe(0);
    expect(frames(r.stdout)).toHaveLength(5);
    expect(r.stderr).toMatch(new RegExp(`^netdiag: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: offset \\d+: .+\\n$`));
    expect(r.problems).toBe(1);
  });
});

describe('netdiag read output choices', () => {
  it('prints the report without packet options, and the packet list with --list or --format packets', async () => {
    const path = writePcap(mixed());
    const plain = await readInProcess({ files: [path] });
    const list = await readInProcess({ files: [path], list: true });
    const packets = await readInProcess({ files: [path], format: 'packets' });
    expect(frames(list.stdout)).toHaveLength(6);
    expect(plain.stdout).toMatch(/^netdiag \S+ — /);
    expect(plain.exitCode).toBe(0);
    expect(packets.stdout).toBe(list.stdout);
  });

  it('prints the report as JSON with the documented schema', async () => {
    const r = await readInProcess({ files: [writePcap(mixed())], format: 'json' });
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc['schemaVersion']).toBe(1);
    for (const k of ['netdiag', 'verdict', 'captures', 'topology', 'flows', 'findings']) expect(doc).toHaveProperty(k);
    expect((doc['captures'] as Array<{ packets: number }>)[0]!.packets).toBe(6);
  });

  it('writes to --output FILE instead of stdout', async () => {
    const path = writePcap(mixed());
    const out = tempPath('list.txt');
    const r = await readInProcess({ files: [path], list: true, output: out });
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe((await readInProcess({ files: [path], list: true })).stdout);
  });

  it('refuses -w - with text on stdout, and -w onto an input', async () => {
    const path = writePcap(mixed());
    expect((await readInProcess({ files: [path], list: true, w: '-' })).exitCode).toBe(2);
    expect((await readInProcess({ files: [path], w: path })).exitCode).toBe(2);
    expect(statSync(path).size).toBeGreaterThan(24);
  });

  it('heads each capture in -V output when several are read', async () => {
    const a = writePcap(mixed().slice(0, 1), 1, 'v-a.pcap');
    const b = writePcap(mixed().slice(1, 2), 1, 'v-b.pcap');
    const r = await readInProcess({ files: [a, b], V: true });
    expect(r.stdout.startsWith('==> v-a.pcap <==\nFrame 1: ')).toBe(true);
    expect(r.stdout).toContain('\n==> v-b.pcap <==\nFrame 1: ');
  });

  it('prints -T json for every capture as one array, naming the capture when there are several', async () => {
    const a = writePcap(mixed().slice(0, 2), 1, 'j-a.pcap');
    const b = writePcap(mixed().slice(2, 3), 1, 'j-b.pcap');
    const r = await readInProcess({ files: [a, b], T: 'json' });
    const arr = JSON.parse(r.stdout) as Array<{ _capture: string }>;
    expect(arr.map((x) => x._capture)).toEqual(['j-a.pcap', 'j-a.pcap', 'j-b.pcap']);
  });
});

describe('netdiag read -d', () => {
  it('decodes a port as the protocol named, and rejects a bad spec with exit 2', async () => {
    const path = writePcap([{ data: vxlanSyn({ vni: 42, dport: 6784 }) }]);
    const plain = await readInProcess({ files: [path], T: 'fields', e: ['vxlan.vni'] });
    expect(plain.stdout).toBe('\n');
    const as = await readInProcess({ files: [path], T: 'fields', e: ['vxlan.vni'], d: ['udp.port==6784,vxlan'] });
    expect(as.stdout).toBe('42\n');
    const bad = await readInProcess({ files: [path], list: true, d: ['udp.port==6784,nosuchproto'] });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('nosuchproto');
  });
});
