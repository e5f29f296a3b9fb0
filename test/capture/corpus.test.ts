/**
 * Every capture of the shared corpus (tcpdump's and libpcap's test files) read as tshark
 * reads it: same records, lengths, timestamps and interface ids; refused where libpcap
 * and Wireshark refuse, with a message naming what is wrong.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaptureOpenError, CaptureReader } from '../../src/capture/reader.js';
import { linktypeDescription, linktypeName } from '../../src/capture/linktypes.js';
import { CORPUS, pool, readAll, readBuffer, tmpFile, tshark, type ReadResult, type TsharkResult } from './build.js';

interface Entry {
  dir: 'tcpdump' | 'libpcap';
  file: string;
  path: string;
  /** MANIFEST's packets column when it is a plain count. */
  packets: number | null;
  linktype: number | null;
  /** libpcap's expected open error, when the file is one libpcap refuses. */
  openFails: string | null;
}

function manifest(dir: 'tcpdump' | 'libpcap'): Entry[] {
  const lines = readFileSync(`${CORPUS}${dir}/MANIFEST.tsv`, 'utf8').split('\n').filter((l) => l !== '');
  const head = lines[0]!.split('\t');
  const col = (name: string) => head.indexOf(name);
  const seen = new Map<string, Entry>();
  for (const l of lines.slice(1)) {
    const c = l.split('\t');
    const file = c[col('file')]!;
    if (seen.has(file)) continue;
    const packets = /^\d+$/.test(c[col('packets')]!) ? Number(c[col('packets')]) : null;
    const lt = /^(\d+) /.exec(c[col('linktype')] ?? '');
    const exp = dir === 'libpcap' ? c[col('test_expectation')]! : '';
    const m = /^open fails: "(.*)"$/.exec(exp);
    seen.set(file, {
      dir,
      file,
      path: `${CORPUS}${dir}/${file}`,
      packets,
      linktype: lt ? Number(lt[1]) : null,
      openFails: m ? m[1]! : null,
    });
  }
  return [...seen.values()];
}

const entries = [...manifest('tcpdump'), ...manifest('libpcap')];
const onDisk = (dir: string) => readdirSync(`${CORPUS}${dir}`).filter((f) => /\.pcap(ng)?$/.test(f));

const oracle = new Map<string, TsharkResult>();
beforeAll(async () => {
  const res = await pool(entries, 8, (e) => tshark(e.path));
  entries.forEach((e, i) => oracle.set(e.path, res[i]!));
}, 600_000);

function expectSameAsTshark(mine: ReadResult, ts: TsharkResult, what: string): void {
  expect(mine.rows.length, `${what}: record count`).toBe(ts.rows.length);
  for (let i = 0; i < ts.rows.length; i++) {
    const a = mine.rows[i]!;
    const b = ts.rows[i]!;
    const at = `${what} record ${i + 1}`;
    expect(a.number, at).toBe(b.number);
    expect(a.len, `${at} frame.len`).toBe(b.len);
    expect(a.capLen, `${at} frame.cap_len`).toBe(b.capLen);
    expect(a.ifId, `${at} frame.interface_id`).toBe(b.ifId);
    if (a.tsNsec < 1e9) expect(a.time, `${at} frame.time_epoch`).toBe(b.time);
    else {
      // An out-of-range fraction is kept as stored; tshark prints it in its own odd ways
      // (more than nine digits, a minus sign, or wrapped around).
      expect(a.tsSec, `${at} seconds`).toBe(Math.abs(Number(b.time.split('.')[0])));
      expect(a.tsNsec, `${at} fraction out of range`).toBeGreaterThanOrEqual(1e9);
      expect(mine.problems.some((p) => p.severity === 'warning' && /timestamp fraction/.test(p.message))).toBe(true);
    }
  }
}

describe('the corpus manifests', () => {
  it('list every capture file on disk', () => {
    expect(new Set(entries.filter((e) => e.dir === 'tcpdump').map((e) => e.file))).toEqual(new Set(onDisk('tcpdump')));
    expect(new Set(entries.filter((e) => e.dir === 'libpcap').map((e) => e.file))).toEqual(new Set(onDisk('libpcap')));
  });
});

describe('corpus files read like tshark reads them', () => {
  it.each(entries.map((e) => [`${e.dir}/${e.file}`, e] as const))('%s', async (_name, e) => {
    const ts = oracle.get(e.path)!;
    const refusedByTshark = ts.rows.length === 0 && /doesn't support|damaged|corrupt/.test(ts.stderr);
    if (e.openFails !== null && refusedByTshark) {
      const err = await CaptureReader.open(e.path).then(
        () => null,
        (x: unknown) => x,
      );
      expect(err).toBeInstanceOf(CaptureOpenError);
      const msg = (err as Error).message;
      expect(msg.startsWith(e.path + ': ')).toBe(true);
      // The numbers libpcap names (version, field value, lengths) are named by us too.
      for (const tok of e.openFails.match(/0x[0-9a-f]+|\d+\.\d+|\d{4,}/gi) ?? []) expect(msg).toContain(tok);
      return;
    }
    const mine = await readAll(e.path);
    expectSameAsTshark(mine, ts, e.file);
    if (e.packets !== null) expect(mine.rows.length).toBe(e.packets);
    if (e.linktype !== null && mine.rows.length > 0) expect(mine.rows[0]!.linktype).toBe(e.linktype);
    if (ts.stderr.trim() === '') {
      expect(mine.problems.filter((p) => p.severity === 'error')).toEqual([]);
    }
    if (e.openFails !== null) {
      // libpcap refuses, Wireshark reads: we read, and say why libpcap would not.
      expect(mine.problems.some((p) => p.severity === 'warning' && /version/.test(p.message))).toBe(true);
    }
  });
});

describe('chunk boundaries', () => {
  const sample = entries.filter((e) => e.openFails === null && (e.packets ?? 0) > 0);
  it.each([64, 1000, 4097])('chunks of %i bytes give the same records as one big chunk', async (chunk) => {
    for (const e of sample) {
      const whole = await readAll(e.path);
      const small = await readAll(e.path, { chunkSize: chunk });
      expect(small.rows, e.file).toEqual(whole.rows);
      expect(small.problems, e.file).toEqual(whole.problems);
    }
  });

  it('records are views into two reused buffers (the window and its read-ahead)', async () => {
    const e = entries.find((x) => x.file === 'afs.pcap')!;
    const r = await CaptureReader.open(e.path, { chunkSize: 4096 });
    const rec = r.rec;
    const buffers = new Set<Buffer>();
    let n = 0;
    let swaps = 0;
    let last = rec.buf;
    for (;;) {
      while (r.next()) {
        expect(r.rec === rec).toBe(true);
        if (rec.buf !== last) swaps++;
        last = rec.buf;
        buffers.add(rec.buf);
        n++;
      }
      if (!(await r.fill())) break;
    }
    expect(n).toBe(601);
    expect(buffers.size).toBe(2);
    expect(swaps).toBeGreaterThan(10);
    for (const b of buffers) expect(b.length).toBeLessThan(4096 + (2 << 20));
  });
});

describe('gzip', () => {
  it('a gzip-compressed corpus file gives the same records as the plain file (detected by magic, not name)', async () => {
    for (const name of ['afs.pcap', 'bgp-role.pcapng', 'pptp.pcap', 'dhcp-option-108.pcapng']) {
      const path = `${CORPUS}tcpdump/${name}`;
      const plain = await readAll(path);
      const gz = tmpFile(`${name}.bin`, gzipSync(readFileSync(path)));
      const viaGzip = await readAll(gz, { chunkSize: 1000 });
      expect(viaGzip.rows).toEqual(plain.rows);
      expect(viaGzip.formatDetail).toBe(`${plain.formatDetail} (gzip)`);
      expect(readBuffer(gzipSync(readFileSync(path))).rows).toEqual(plain.rows);
    }
  });
});

describe('linktype names', () => {
  it('match the names and descriptions tcpdump prints for the corpus linktypes', () => {
    const byLinktype = new Map<number, string>();
    for (const e of entries) if (e.linktype !== null && e.openFails === null && !byLinktype.has(e.linktype)) byLinktype.set(e.linktype, e.path);
    expect(byLinktype.size).toBeGreaterThanOrEqual(6);
    for (const [lt, path] of byLinktype) expect(tcpdumpLinktype(path), path).toBe(`${linktypeName(lt)} (${linktypeDescription(lt)})`);
  });
});

/** The "NAME (description)" of tcpdump's "reading from file F, link-type NAME (description), ..." line. */
export function tcpdumpLinktype(path: string): string {
  const line = execFileSync('sh', ['-c', 'tcpdump -r "$1" -c 1 -n 2>&1 >/dev/null', 'sh', path], { encoding: 'utf8' });
  const m = /link-type (.*), snapshot length/.exec(line);
  return m ? m[1]! : line;
}
