import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaptureReader, forEachRecord } from '../../../src/capture/reader.js';
import { removeTempFiles, tempPath, tshark } from '../../craft/tshark-oracle.js';
import { capturing, IS_ROOT, netdiagIn, NOT_ROOT_REASON, UDP_PORT, VethLab } from './netns.js';

/** Ethernet + IPv4 + UDP headers around each payload. */
const HEADERS = 14 + 20 + 8;
const FILTER = `udp port ${UDP_PORT}`;

/** tshark's frame and UDP lengths, one row per packet. */
function lengths(file: string): Array<{ frame: number; captured: number; udp: number }> {
  return tshark(['-r', file, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'udp.length'])
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [frame, captured, udp] = l.split('\t').map(Number);
      return { frame: frame!, captured: captured!, udp: udp! };
    });
}

/** The number netdiag reports as captured on `iface` when it stops. */
function reportedCaptured(stderr: string, iface: string): number {
  const m = new RegExp(`^netdiag: ${iface}: (\\d+) packets? captured`, 'm').exec(stderr);
  if (!m) throw new Error(`no counters for ${iface} in: ${stderr}`);
  return Number(m[1]);
}

/** Kernel and interface drops netdiag reports for `iface` (0 when it cannot know them). */
function reportedDropped(stderr: string, iface: string): number {
  const line = new RegExp(`^netdiag: ${iface}: .*$`, 'm').exec(stderr)?.[0] ?? '';
  const kernel = /(\d+) dropped by kernel/.exec(line);
  const nic = /(\d+) dropped by interface/.exec(line);
  return Number(kernel?.[1] ?? 0) + Number(nic?.[1] ?? 0);
}

const ENGINES = ['cap', 'tcpdump'] as const;

describe.skipIf(!IS_ROOT)(`netdiag capture on a veth pair (skipped unless root: ${NOT_ROOT_REASON})`, () => {
  let lab: VethLab;
  beforeEach(() => {
    lab = new VethLab();
  });
  afterEach(() => lab.destroy());
  afterAll(removeTempFiles);

  for (const engine of ENGINES) {
    it(`${engine}: every packet that crossed the veth is in the file, in order, with its length`, async () => {
      const sizes = Array.from({ length: 60 }, (_, i) => 20 + i * 23);
      const file = tempPath(`every-${engine}.pcap`);
      const r = netdiagIn(lab.b, ['capture', '-i', 'vb', '-w', file, '-c', String(sizes.length), '--engine', engine, '-f', FILTER]);
      await capturing(r);
      const sentFrom = Date.now() / 1000;
      await lab.sendUdp(sizes);
      const sentBy = Date.now() / 1000;
      expect(await r.exited, r.stderr()).toBe(0);
      // Stamped when they crossed the veth (the cap engine stamps them in its capture process).
      const times = tshark(['-r', file, '-T', 'fields', '-e', 'frame.time_epoch']).split('\n').filter((l) => l !== '').map(Number);
      expect(times.every((t, k) => k === 0 || t >= times[k - 1]!)).toBe(true);
      expect(times[0]).toBeGreaterThanOrEqual(sentFrom - 0.01);
      expect(times[times.length - 1]).toBeLessThanOrEqual(sentBy + 0.01);
      const got = lengths(file);
      expect(got.map((g) => g.frame)).toEqual(sizes.map((n) => n + HEADERS));
      expect(got.map((g) => g.captured)).toEqual(sizes.map((n) => n + HEADERS));
      expect(got.map((g) => g.udp)).toEqual(sizes.map((n) => n + 8));
      expect(reportedCaptured(r.stderr(), 'vb')).toBe(sizes.length);
    });
  }

  const stops = [
    { engine: 'cap', signal: 'SIGINT', name: 'stop.pcap' },
    { engine: 'tcpdump', signal: 'SIGINT', name: 'stop.pcapng' },
    { engine: 'cap', signal: 'SIGTERM', name: 'term.pcapng' },
    { engine: 'tcpdump', signal: 'SIGTERM', name: 'term.pcap' },
  ] as const;
  for (const s of stops) {
    it(`${s.engine}: ${s.signal} in mid-stream leaves a ${s.name.split('.')[1]} file tshark reads cleanly, holding every packet netdiag counted`, async () => {
      // Distinct increasing payload sizes: the packets in the file must be one unbroken run of them.
      const sizes = Array.from({ length: 1400 }, (_, i) => 20 + i);
      const file = tempPath(`${s.engine}-${s.name}`);
      const r = netdiagIn(lab.b, ['capture', '-i', 'vb', '-w', file, '--engine', s.engine, FILTER]);
      await capturing(r);
      const sending = lab.sendUdpStream(sizes, 1, 300);
      await sending.passed;
      r.child.kill(s.signal);
      expect(await r.exited, r.stderr()).toBe(0);
      await sending.sent;
      const got = lengths(file); // tshark() fails on a non-zero exit or any complaint on stderr
      expect(got.length).toBeGreaterThan(0);
      expect(got.length).toBeLessThan(sizes.length);
      expect(got.length).toBe(reportedCaptured(r.stderr(), 'vb'));
      // In sending order; an unbroken run unless the kernel says it dropped some (a starved CPU).
      const payloads = got.map((g) => g.udp - 8);
      const first = payloads[0]!;
      const last = payloads[payloads.length - 1]!;
      expect(payloads.every((p, k) => k === 0 || p > payloads[k - 1]!)).toBe(true);
      expect(last - first + 1 - payloads.length, r.stderr()).toBeLessThanOrEqual(reportedDropped(r.stderr(), 'vb'));
    });
  }

  it('several interfaces go into one pcapng with an interface block and final statistics each', async () => {
    const sizes = [100, 200, 300, 400, 500];
    const file = tempPath('two.pcapng');
    const r = netdiagIn(lab.b, ['capture', '-i', 'vb', '-i', 'lo', '-w', file, '-c', String(sizes.length), '--engine', 'tcpdump', '-f', FILTER]);
    await capturing(r, 2);
    await lab.sendUdp(sizes);
    expect(await r.exited, r.stderr()).toBe(0);
    const names = tshark(['-r', file, '-T', 'fields', '-e', 'frame.interface_name']).trim().split('\n');
    expect(names).toEqual(sizes.map(() => 'vb'));
    const reader = await CaptureReader.open(file);
    await forEachRecord(reader, () => undefined);
    expect(reader.interfaces.map((i) => i.name)).toEqual(['vb', 'lo']);
    // tcpdump's closing counters, stored as isb_ifrecv / isb_ifdrop.
    expect(reader.interfaces[0]!.recv).toBeGreaterThanOrEqual(sizes.length);
    expect(reader.interfaces[0]!.drop).toBe(0);
    expect(reader.interfaces[1]!.recv).toBe(0);
  });

  it('a ring keeps exactly N files, each valid, together the newest packets without a gap', async () => {
    const sizes = Array.from({ length: 200 }, (_, i) => 300 + i);
    const dir = tempPath('ring');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const base = join(dir, 'ring.pcap');
    const limit = 20_000;
    const r = netdiagIn(lab.b, ['capture', '-i', 'vb', '-w', base, '--ring', '3', '--ring-size', String(limit / 1e6), '-c', String(sizes.length), FILTER]);
    await capturing(r);
    await lab.sendUdp(sizes);
    expect(await r.exited, r.stderr()).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['ring.pcap0', 'ring.pcap1', 'ring.pcap2']);
    const files = readdirSync(dir).map((f) => join(dir, f));
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(limit);
    const payloads = files.flatMap((f) => lengths(f).map((g) => g.udp - 8)).sort((x, y) => x - y);
    const last = sizes[sizes.length - 1]!;
    expect(payloads[payloads.length - 1]).toBe(last);
    expect(payloads).toEqual(Array.from({ length: payloads.length }, (_, k) => last - payloads.length + 1 + k));
    // 200 packets of about 400 bytes cannot fit in three 20 kB files: the ring went round.
    expect(payloads.length).toBeLessThan(sizes.length);
  });

  it('a file that cannot be written stops the capture with the reason, not a crash', async () => {
    const r = netdiagIn(lab.b, ['capture', '-i', 'vb', '-w', '/dev/full', '-c', '400', FILTER]);
    await capturing(r);
    await lab.sendUdp(Array.from({ length: 400 }, () => 1000), 1);
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toMatch(/^netdiag: -w \/dev\/full: ENOSPC: no space left on device/m);
    expect(r.stderr()).not.toMatch(/^\s+at /m);
  });

  it('a missing interface is named, with the ones that exist', async () => {
    const r = netdiagIn(lab.b, ['capture', '-i', 'nosuch0', '-c', '1']);
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toMatch(/no interface named "nosuch0"/);
    const listed = /interfaces: (.*)$/m.exec(r.stderr())?.[1]?.split(', ') ?? [];
    expect(listed).toEqual(expect.arrayContaining(['lo', 'vb', 'any']));
    expect(existsSync('nosuch0')).toBe(false);
  });

  for (const engine of ENGINES) {
    it(`${engine}: without root or CAP_NET_RAW the message says so and how to grant it`, async () => {
      // The same command as an unprivileged user with no capabilities.
      const r = netdiagIn(lab.b, ['capture', '-i', 'vb', '-c', '1', '--engine', engine], 60_000, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all']);
      expect(await r.exited).toBe(1);
      expect(r.stderr()).toMatch(/needs root or the CAP_NET_RAW capability/);
      expect(r.stderr()).toMatch(new RegExp(`setcap cap_net_raw,cap_net_admin=eip \\S*${engine === 'cap' ? 'node' : 'tcpdump'}`));
    });
  }

  it('a finding is printed while the capture is still running, then again in the final report', async () => {
    // No listener on the UDP port: b answers with ICMP port unreachable, which the ICMP analyzer reports.
    const r = netdiagIn(lab.b, ['capture', '-i', 'vb', '--no-tui', '--analyze-interval', '1', '--duration', '10']);
    await capturing(r);
    await lab.sendUdp(Array.from({ length: 10 }, () => 100), 20);
    const deadline = Date.now() + 9000;
    let seenAt = 0;
    let exitedAt = 0;
    void r.exited.then(() => (exitedAt = Date.now()));
    while (!seenAt && !exitedAt && Date.now() < deadline) {
      if (/new finding[\s\S]*icmp\.3\.3/.test(r.stdout())) seenAt = Date.now();
      else await new Promise((res) => setTimeout(res, 100));
    }
    expect(await r.exited, r.stderr()).toBe(0);
    expect(seenAt, r.stdout()).toBeGreaterThan(0);
    expect(exitedAt - seenAt).toBeGreaterThan(1000);
    const report = r.stdout().slice(r.stdout().lastIndexOf('Findings'));
    expect(report).toMatch(/icmp\.3\.3/);
  });

  it('without -w the packets are diagnosed and the report counts every one of them', async () => {
    const sizes = Array.from({ length: 30 }, (_, i) => 50 + i);
    const r = netdiagIn(lab.b, ['capture', '-i', 'vb', '-c', String(sizes.length), '--no-tui', '--analyze-interval', '1', FILTER]);
    await capturing(r);
    await lab.sendUdp(sizes);
    expect(await r.exited, r.stderr()).toBe(0);
    const m = /^ {2}\S+: (\d+) packets, /m.exec(r.stdout());
    expect(m, r.stdout()).not.toBeNull();
    expect(Number(m![1])).toBe(sizes.length);
  });
});
