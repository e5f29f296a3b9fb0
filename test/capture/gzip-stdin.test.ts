/**
 * gzip-compressed input (recognised by its magic) and stdin: `tcpdump -w - | netdiag read -`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CaptureOpenError, CaptureReader } from '../../src/capture/reader.js';
import { CORPUS, readAll, readBuffer, tmpFile, type ReadResult } from './build.js';

const CLI = fileURLToPath(new URL('./read-cli.ts', import.meta.url));

/** Run read-cli.ts on `arg`, writing `input` to its stdin in pieces with pauses between them. */
function viaChild(arg: string, input: Buffer, pieces = 1, pauseMs = 0): Promise<ReadResult & { openError?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, arg], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`read-cli exited with ${code}`));
      else resolve(JSON.parse(out.trim()) as ReadResult);
    });
    child.stdin.on('error', () => undefined);
    const size = Math.ceil(input.length / pieces);
    let i = 0;
    const step = () => {
      if (i >= input.length) {
        child.stdin.end();
        return;
      }
      child.stdin.write(input.subarray(i, i + size));
      i += size;
      setTimeout(step, pauseMs);
    };
    step();
  });
}

const AFS = `${CORPUS}tcpdump/afs.pcap`;
const NG = `${CORPUS}tcpdump/bgp-role.pcapng`;

describe('gzip', () => {
  it('a gzip stream cut short: the records before the cut, and the reason', async () => {
    const plain = await readAll(AFS);
    const gz = gzipSync(readFileSync(AFS));
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    for (const got of [await readAll(tmpFile('cut.pcap.gz', cut), { chunkSize: 4096 }), readBuffer(cut)]) {
      expect(got.rows.length).toBeGreaterThan(100);
      expect(got.rows.length).toBeLessThan(plain.rows.length);
      expect(got.rows).toEqual(plain.rows.slice(0, got.rows.length));
      const p = got.problems.find((x) => /gzip stream ends early/.test(x.message));
      expect(p, JSON.stringify(got.problems)).toBeDefined();
      expect(p!.message).toMatch(/^gzip stream ends early \(\d+ bytes decompressed\)$/);
      expect(p!.severity).toBe('error');
    }
  });

  it('corrupt deflate data: the records before it, and the reason', async () => {
    const gz = gzipSync(readFileSync(AFS));
    for (let i = Math.floor(gz.length / 2); i < Math.floor(gz.length / 2) + 64; i++) gz[i] = 0xff;
    const got = await readAll(tmpFile('corrupt.pcap.gz', gz));
    expect(got.rows.length).toBeGreaterThan(0);
    expect(got.problems.some((p) => /gzip/.test(p.message))).toBe(true);
  });

  it('gzip of something that is not a capture is refused', async () => {
    await expect(CaptureReader.open(tmpFile('text.gz', gzipSync(Buffer.from('hello world, not a capture'))))).rejects.toThrow(
      /not a pcap or pcapng file \(starts with 68 65 6c 6c 6f 20 77 6f\)/,
    );
    await expect(CaptureReader.open(tmpFile('short.gz', gzipSync(readFileSync(AFS)).subarray(0, 12)))).rejects.toBeInstanceOf(CaptureOpenError);
  });

  it('progress counts compressed bytes against the compressed size', async () => {
    const gz = gzipSync(readFileSync(AFS));
    const r = await CaptureReader.open(tmpFile('progress.pcap.gz', gz), { chunkSize: 1 << 16 });
    expect(r.size).toBe(gz.length);
    for (;;) {
      while (r.next());
      if (!(await r.fill())) break;
    }
    expect(r.bytesRead).toBe(gz.length);
    expect(r.gzip).toBe(true);
  });
});

describe('stdin', () => {
  it('reads a pcap piped into "-"', async () => {
    const plain = await readAll(AFS);
    const got = await viaChild('-', readFileSync(AFS));
    expect(got.rows).toEqual(plain.rows);
    expect(got.problems).toEqual([]);
  }, 60_000);

  it('reads gzip and pcapng piped into "-"', async () => {
    expect((await viaChild('-', gzipSync(readFileSync(NG)))).rows).toEqual((await readAll(NG)).rows);
  }, 60_000);

  it('reads a slow pipe delivered in small pieces, as from tcpdump -w -', async () => {
    const plain = await readAll(NG);
    const got = await viaChild('-', readFileSync(NG), 12, 30);
    expect(got.rows).toEqual(plain.rows);
  }, 60_000);

  it('reports a pipe that ends mid-record like a cut-off file', async () => {
    const buf = readFileSync(AFS);
    const got = await viaChild('-', buf.subarray(0, buf.length - 100));
    expect(got.rows.length).toBe(600);
    expect(got.problems.map((p) => p.message)).toEqual([expect.stringMatching(/^capture ends in the middle of record 601 at offset \d+/)]);
  }, 60_000);

  it('reads a FIFO given as a path (/dev/stdin fed by a shell pipe; not a regular file)', () => {
    // spawn's 'pipe' is a socket pair, which /dev/stdin cannot reopen; a shell pipe is a FIFO.
    const out = execFileSync('sh', ['-c', 'cat "$1" | "$2" --import tsx "$3" /dev/stdin', 'sh', AFS, process.execPath, CLI], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const got = JSON.parse(out.trim()) as ReadResult;
    expect(got.rows.length).toBe(601);
    expect(got.problems).toEqual([]);
  }, 60_000);

  it('stops reading a pipe whose writer is still there: close() ends the read-ahead waiting for data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-fifo-'));
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    // The writer sends the whole capture, then keeps the pipe open.
    const writer = spawn('sh', ['-c', 'exec 3>"$2"; cat "$1" >&3; sleep 30', 'sh', AFS, fifo], { stdio: 'ignore' });
    try {
      const r = await CaptureReader.open(fifo);
      let n = 0;
      while (n < 601) {
        while (r.next()) n++;
        if (n < 601 && !(await r.fill())) break;
      }
      expect(n).toBe(601);
      const closed = await Promise.race([r.close().then(() => 'closed'), new Promise((res) => setTimeout(() => res('still waiting'), 5000))]);
      expect(closed).toBe('closed');
    } finally {
      writer.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses an empty pipe clearly', async () => {
    const got = await viaChild('-', Buffer.alloc(0));
    expect(got.openError).toBe('stdin: empty file, not a capture');
  }, 60_000);
});
