/**
 * The `tcpdump` engine: `tcpdump -U -w -` per interface, its pcap stream parsed as it
 * arrives by the same record parser CaptureReader uses (so damage is reported the same
 * way), its closing counters read from stderr. tcpdump runs in its own process group:
 * a Ctrl-C on the terminal reaches netdiag only, which then stops tcpdump and reads its
 * output to the end, so nothing tcpdump delivered is lost.
 *
 * tcpdump runs in libpcap's default buffered mode, not immediate mode. Immediate mode
 * gives each packet a ring slot as large as the snapshot length (256 KiB by default on
 * an interface with offloads, so a 32 MiB ring held 128 packets), and whenever netdiag
 * was slow to read the pipe tcpdump blocked writing and the ring overflowed within
 * milliseconds: 12-15% lost at 50,000 packets/s with nothing else running. Buffered
 * mode packs packets into 256 KiB blocks the kernel hands over when full or a second
 * after their first packet, so the same ring holds about 250,000 small packets; the
 * price is up to a second before a packet reaches netdiag, and a stop that waits for
 * the last block before it signals tcpdump.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { linktypeByName } from '../linktypes.js';
import type { CaptureEngine, EngineCounters, EngineOpenOptions, EngineSession } from './engine.js';
import { LiveCaptureError } from './errors.js';
import { interfaceGone } from './interface-gone.js';
import { readPcapPipe } from './pcap-pipe.js';
import { isDeviceMessage, isPermissionMessage, permissionHint } from './privilege.js';
import type { LiveRecordListener } from './record.js';
import { parseTcpdumpCounters, tcpdumpMessages } from './tcpdump-stats.js';

export const TCPDUMP_INSTALL_HINT = 'the tcpdump engine needs tcpdump: `apt-get install tcpdump` (or `dnf install tcpdump`)';

/** How long tcpdump gets to flush and print its counters after SIGINT before it is killed. */
const STOP_GRACE_MS = 5000;
/**
 * libpcap hands a partly filled block over once tcpdump's 1000 ms read timeout has passed
 * since the block's first packet; SIGINT before that loses the block.
 */
const LAST_BLOCK_MS = 1250;

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
  // -U: each packet is written as libpcap hands it over, not when tcpdump's stdio buffer fills.
  // -B: a 32 MiB kernel buffer, for the time netdiag or tcpdump waits for the CPU.
  const args = ['-U', '-B', '32768', '-w', '-', '-i', o.iface, '-s', String(o.snaplen), '-n', '--time-stamp-precision', 'nano'];
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
    let stderr = '';
    let linktype = -1;
    const warnings: Array<(m: string) => void> = [];
    const pipe = readPcapPipe('tcpdump', o.iface, o.ifIndex, child.stdout!, onRecord, () => child.kill('SIGINT'));
    pipe.onWarning((m) => warnings.forEach((fn) => fn(m)));
    let announced = false;
    const checkLinktype = (): void => {
      if (announced || pipe.linktype === -1 || linktype === -1) return;
      announced = true;
      if (pipe.linktype !== linktype) warnings.forEach((fn) => fn(`${o.iface}: tcpdump announced link type ${linktype} but writes ${pipe.linktype}; its records are kept as ${pipe.linktype}`));
    };
    child.stdout!.on('data', checkLinktype);
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
      const ended: Promise<string | null> = Promise.all([exited, pipe.ended]).then(([code]) => {
        process.off('exit', killAtExit);
        if (!started) {
          reject(refusal(o, bin, stderr));
          return 'tcpdump did not start';
        }
        if (pipe.error !== null) return pipe.error;
        if (stopping) return null;
        if (interfaceGone(o.iface)) return `interface ${o.iface} went away`;
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
            let wait: NodeJS.Timeout | undefined;
            await Promise.race([ended, new Promise((r) => (wait = setTimeout(r, LAST_BLOCK_MS)))]);
            clearTimeout(wait);
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
