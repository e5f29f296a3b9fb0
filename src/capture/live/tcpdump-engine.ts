/**
 * The `tcpdump` engine: `tcpdump -U -w -` per interface, its pcap stream parsed as it
 * arrives by the same record parser CaptureReader uses (so damage is reported the same
 * way), its closing counters read from stderr. tcpdump runs in its own process group:
 * a Ctrl-C on the terminal reaches netdiag only, which then stops tcpdump and reads its
 * output to the end, so nothing tcpdump delivered is lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { linktypeByName } from '../linktypes.js';
import type { CaptureEngine, EngineCounters, EngineOpenOptions, EngineSession } from './engine.js';
import { LiveCaptureError } from './errors.js';
import { isDeviceMessage, isPermissionMessage, permissionHint } from './privilege.js';
import { PcapStream } from './pcap-stream.js';
import { emptyLiveRecord, type LiveRecordListener } from './record.js';
import { parseTcpdumpCounters, tcpdumpMessages } from './tcpdump-stats.js';

export const TCPDUMP_INSTALL_HINT = 'the tcpdump engine needs tcpdump: `apt-get install tcpdump` (or `dnf install tcpdump`)';

/** How long tcpdump gets to flush and print its counters after SIGINT before it is killed. */
const STOP_GRACE_MS = 5000;

/** tcpdump lives in sbin, which a non-root PATH often lacks. */
export function findTcpdump(): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, 'tcpdump');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

function tcpdumpArgs(o: EngineOpenOptions): string[] {
  // Immediate mode: without it libpcap hands packets over a buffer block at a time, and
  // the packets of a block still filling when tcpdump is stopped never reach the file.
  // -B: the same 32 MiB kernel buffer as the cap engine, for bursts while tcpdump waits for the CPU.
  const args = ['-U', '--immediate-mode', '-B', '32768', '-w', '-', '-i', o.iface, '-s', String(o.snaplen), '-n', '--time-stamp-precision', 'nano'];
  if (o.filter) args.push(o.filter);
  return args;
}

function refusal(o: EngineOpenOptions, bin: string, stderr: string): LiveCaptureError {
  const msgs = tcpdumpMessages(stderr).map((m) => (m.startsWith(`${o.iface}: `) ? m.slice(o.iface.length + 2) : m));
  const text = msgs.join(' ') || 'tcpdump exited before it started capturing';
  if (isPermissionMessage(text)) return new LiveCaptureError('permission', `${o.iface}: ${text}; ${permissionHint(bin)}`);
  if (o.filter && !isDeviceMessage(text)) return new LiveCaptureError('usage', `-f ${JSON.stringify(o.filter)}: ${text}`);
  return new LiveCaptureError('engine', `${o.iface}: ${text}`);
}

export const tcpdumpEngine: CaptureEngine = {
  name: 'tcpdump',
  open(o: EngineOpenOptions, onRecord: LiveRecordListener): Promise<EngineSession> {
    const bin = findTcpdump();
    if (bin === null) return Promise.reject(new LiveCaptureError('no-engine', `tcpdump is not installed; ${TCPDUMP_INSTALL_HINT}`));
    const child: ChildProcess = spawn(bin, tcpdumpArgs(o), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // In its own process group tcpdump outlives a netdiag that dies abruptly: not past an exit.
    const killAtExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killAtExit);
    const rec = emptyLiveRecord(o.ifIndex);
    let stderr = '';
    let linktype = -1;
    let streamLinktype = -1;
    const warnings: Array<(m: string) => void> = [];
    let reported = 0;
    const reportProblems = (): void => {
      const list = stream.log.list;
      for (; reported < list.length; reported++) {
        const pr = list[reported]!;
        for (const fn of warnings) fn(`${o.iface}: tcpdump stream offset ${pr.offset}: ${pr.message}`);
      }
    };
    const stream = new PcapStream(
      `tcpdump -i ${o.iface}`,
      (lt) => {
        if (lt !== linktype) for (const fn of warnings) fn(`${o.iface}: tcpdump announced link type ${linktype} but writes ${lt}; its records are kept as ${lt}`);
        streamLinktype = lt;
      },
      (buf, off, capLen, wireLen, sec, nsec) => {
        rec.buf = buf;
        rec.off = off;
        rec.capLen = capLen;
        rec.wireLen = wireLen;
        rec.tsSec = sec;
        rec.tsNsec = nsec;
        rec.linktype = streamLinktype;
        onRecord(rec);
      },
    );
    let streamError: string | null = null;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (streamError !== null) return;
      try {
        stream.push(chunk);
      } catch (e) {
        streamError = (e as Error).message;
        child.kill('SIGINT');
      }
      reportProblems();
    });
    const stdoutDone = new Promise<void>((r) => child.stdout!.once('close', () => r()));
    const exited = new Promise<number | null>((r) => {
      child.once('close', (code, signal) => r(signal ? null : code));
      child.once('error', () => r(null));
    });

    return new Promise<EngineSession>((resolve, reject) => {
      let started = false;
      child.once('error', (e) => {
        if (!started) reject(new LiveCaptureError('engine', `cannot run ${bin}: ${e.message}`));
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (t: string) => {
        // Bounded, keeping the banner and the closing counters.
        stderr += t;
        if (stderr.length > 65536) stderr = stderr.slice(0, 4096) + '\n' + stderr.slice(-16384);
        if (!started && /listening on [^\n]*\n/.test(stderr)) {
          started = true;
          // The pcap header reaches the pipe with the first packet; the banner names the link type now.
          const named = /link-type ([A-Za-z0-9_]+)/.exec(stderr);
          const lt = named ? linktypeByName(named[1]!) : undefined;
          if (lt === undefined) {
            child.kill('SIGINT');
            reject(new LiveCaptureError('engine', `${o.iface}: tcpdump did not say which link type it captures (${tcpdumpMessages(stderr).join('; ')})`));
            return;
          }
          linktype = lt;
          resolve(session);
        }
      });
      let stopping = false;
      const ended: Promise<string | null> = Promise.all([exited, stdoutDone]).then(([code]) => {
        process.off('exit', killAtExit);
        try {
          stream.end();
        } catch (e) {
          streamError ??= (e as Error).message;
        }
        reportProblems();
        if (!started) {
          reject(refusal(o, bin, stderr));
          return 'tcpdump did not start';
        }
        if (streamError !== null) return streamError;
        if (stopping) return null;
        return `tcpdump exited${code !== null ? ` with status ${code}` : ''}: ${tcpdumpMessages(stderr).join('; ') || 'no reason given'}`;
      });
      const session: EngineSession = {
        engine: 'tcpdump',
        get linktype() {
          return linktype;
        },
        snaplen: o.snaplen,
        ended,
        onWarning: (fn) => void warnings.push(fn),
        async stop(): Promise<EngineCounters> {
          stopping = true;
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGINT');
            const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
            await ended;
            clearTimeout(timer);
          } else await ended;
          const c = parseTcpdumpCounters(stderr);
          return { received: c.received, dropped: c.dropped, ifDropped: c.ifDropped };
        },
      };
    });
  },
};
