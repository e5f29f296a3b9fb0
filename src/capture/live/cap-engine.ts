/**
 * The `cap` engine: libpcap through the optional `cap` native binding, run in a capture
 * process of its own (cap-child.ts) per interface, whose pcap stream this side parses as
 * it arrives. The process keeps libpcap read while this one analyzes or draws, and it
 * takes the binding's abort when an interface disappears (a pod's veth deleted) with it:
 * the capture then ends here with the reason, every record received, and the file whole.
 *
 * cap hands over packet bytes and length but no timestamp, original length or pcap_stats,
 * so packets are stamped with the capture process's clock when libpcap delivers them
 * (libpcap's immediate mode keeps that within microseconds of the kernel's stamp), the
 * wire length is the captured length (cap's fixed 65535-byte snaplen covers any MTU), and
 * the drop counter is the interface's own.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CAP_INSTALL_HINT, CAP_SNAPLEN, loadCap } from './cap-binding.js';
import { MAX_QUEUED_BYTES, type CapChildArgs, type CapChildMessage, type CapParentMessage } from './cap-protocol.js';
import type { CaptureEngine, EngineCounters, EngineOpenOptions, EngineSession } from './engine.js';
import { LiveCaptureError } from './errors.js';
import { interfaceGone } from './interface-gone.js';
import { interfaceRxDropped } from './interfaces.js';
import { readPcapPipe } from './pcap-pipe.js';
import type { LiveRecordListener } from './record.js';

export { CAP_INSTALL_HINT, capDevices, linktypeOfCapName, loadCap } from './cap-binding.js';

/**
 * Kernel buffer for the packets that arrive while the capture process is not running (a
 * loaded node descheduling it). cap opens libpcap in immediate mode with a 65535-byte
 * snaplen, so the ring is TPACKET_V2 with one fixed slot of ~64 KiB per packet however
 * small the packet (tcpdump's default TPACKET_V3 blocks pack small packets tightly):
 * 64 MiB holds about 1000 packets, 50 ms at 20,000 packets/s, and the kernel reserves
 * about twice that while capturing (each slot rounded to a 128 KiB block).
 */
const KERNEL_BUFFER = 64 << 20;
/** How long the capture process gets to hand over the rest and exit after a stop. */
const STOP_GRACE_MS = 5000;
/** The capture process's stderr kept for the message when it dies (its last words matter most). */
const STDERR_KEEP = 8192;

/** How to start the capture process: the compiled entry under dist, or the source through tsx. */
function childCommand(): string[] {
  const entry = new URL('./cap-child.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return [fileURLToPath(entry)];
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsx, fileURLToPath(entry).replace(/\.js$/, '.ts')];
}

/** Why the capture process ended without being asked to. */
function deathReason(iface: string, code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
  if (interfaceGone(iface)) return `interface ${iface} went away`;
  const how = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
  const said = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/This may not actually work/.test(l))
    .slice(-3)
    .join('; ');
  return `the capture process for ${iface} ${how}${said ? `: ${said}` : ''}`;
}

export const capEngine: CaptureEngine = {
  name: 'cap',
  open(o: EngineOpenOptions, onRecord: LiveRecordListener): Promise<EngineSession> {
    const mod = loadCap();
    if (typeof mod === 'string') return Promise.reject(new LiveCaptureError('no-engine', `${mod}; ${CAP_INSTALL_HINT}`));
    const args: CapChildArgs = { iface: o.iface, filter: o.filter, snaplen: o.snaplen, kernelBuffer: KERNEL_BUFFER };
    // Its own process group: a Ctrl-C on the terminal reaches netdiag, which stops it in order.
    const child = spawn(process.execPath, [...childCommand(), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
    const killAtExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killAtExit);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (t: string) => {
      stderr = (stderr + t).slice(-STDERR_KEEP);
    });
    const pipe = readPcapPipe('cap', o.iface, o.ifIndex, child.stdout!, onRecord, () => child.kill('SIGKILL'));
    const snaplen = Math.min(o.snaplen, CAP_SNAPLEN);
    const dropsBefore = interfaceRxDropped(o.iface);
    let stopping = false;
    let final: Extract<CapChildMessage, { type: 'end' }> | null = null;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      // 'close', not 'exit': it comes after the IPC channel has delivered the last message.
      child.once('close', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });

    return new Promise<EngineSession>((resolve, reject) => {
      let linktype = -1;
      const warnings: Array<(m: string) => void> = [];
      pipe.onWarning((m) => warnings.forEach((fn) => fn(m)));
      child.on('message', (m: CapChildMessage) => {
        if (m.type === 'open') {
          linktype = m.linktype;
          resolve(session);
        } else if (m.type === 'refused') reject(new LiveCaptureError(m.kind, m.message));
        else if (m.type === 'end') final = m;
      });
      child.once('error', (e) => reject(new LiveCaptureError('engine', `cannot start the capture process: ${e.message}`)));
      const ended: Promise<string | null> = Promise.all([exited, pipe.ended]).then(([{ code, signal }]) => {
        process.off('exit', killAtExit);
        if (linktype === -1) {
          reject(new LiveCaptureError('engine', deathReason(o.iface, code, signal, stderr)));
          return 'the capture process did not start';
        }
        if (pipe.error !== null) return pipe.error;
        if (final !== null && final.shed > 0) warnings.forEach((fn) => fn(`${o.iface}: ${final!.shed} packets dropped: netdiag fell more than ${MAX_QUEUED_BYTES >> 20} MiB behind its capture process`));
        if (final?.reason === 'interface-gone') return `interface ${o.iface} went away`;
        if (stopping && final !== null) return null;
        return deathReason(o.iface, code, signal, stderr);
      });
      const session: EngineSession = {
        engine: 'cap',
        get linktype() {
          return linktype;
        },
        snaplen,
        ended,
        onWarning: (fn) => void warnings.push(fn),
        async stop(): Promise<EngineCounters> {
          const alive = child.exitCode === null && child.signalCode === null && child.connected;
          stopping = true;
          if (alive) {
            // Without the channel, SIGINT asks the same of it.
            child.send({ type: 'stop' } satisfies CapParentMessage, (e) => e && child.kill('SIGINT'));
            const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
            await ended;
            clearTimeout(timer);
          } else await ended;
          const dropsAfter = interfaceRxDropped(o.iface);
          return { received: null, dropped: null, ifDropped: dropsBefore !== null && dropsAfter !== null ? dropsAfter - dropsBefore : null };
        },
      };
    });
  },
};
