/**
 * The cap engine's capture process: libpcap (through the cap binding) on one interface,
 * every packet written to stdout as a pcap record. It runs apart from netdiag's main
 * process so that reading libpcap never waits behind the analysis or the terminal UI, and
 * so that the binding's hard abort when an interface vanishes ends this process only: the
 * parent still holds every record written before it and finishes the capture itself.
 *
 * What the parent has not read yet waits in this process's memory (up to MAX_QUEUED_BYTES,
 * beyond which packets are shed and counted) rather than in the kernel ring, which in
 * immediate mode holds one 64 KiB slot per packet however small it is.
 */
import { readFileSync } from 'node:fs';
import { CAP_INSTALL_HINT, CAP_SNAPLEN, linktypeOfCapName, loadCap } from './cap-binding.js';
import { MAX_QUEUED_BYTES, type CapChildArgs, type CapChildMessage, type CapParentMessage } from './cap-protocol.js';
import { isDeviceMessage, isPermissionMessage, permissionHint } from './privilege.js';

const PCAP_NSEC_MAGIC = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;
/** Bytes gathered before a write when packets arrive faster than the loop turns. */
const BATCH_BYTES = 256 << 10;
/**
 * Least time between writes: at low rates every packet goes out at once, at high rates
 * a few milliseconds of them go in one write, so the parent reads a few hundred large
 * chunks a second rather than one per packet.
 */
const FLUSH_GAP_MS = 2;
/** After a stop, how long libpcap gets to hand over what is already in the ring. */
const DRAIN_MS = 30;
/**
 * How often the interface is looked for. When it is deleted libpcap either reports an
 * error (and the binding aborts this process) or simply falls silent; the look ends the
 * second case, which would otherwise wait for packets forever.
 */
const PRESENCE_CHECK_MS = 500;

const send = (m: CapChildMessage): void => void process.send?.(m);

/** The interface's index, which changes if it is deleted and another takes its name; null once gone. */
function ifindexOf(iface: string): string | null {
  try {
    return readFileSync(`/sys/class/net/${iface}/ifindex`, 'utf8').trim();
  } catch {
    return null;
  }
}

function refuse(kind: 'permission' | 'usage' | 'engine' | 'no-engine', message: string): void {
  send({ type: 'refused', kind, message });
  process.disconnect?.();
}

function main(): void {
  const a = JSON.parse(process.argv[2] ?? '{}') as CapChildArgs;
  const mod = loadCap();
  if (typeof mod === 'string') return refuse('no-engine', `${mod}; ${CAP_INSTALL_HINT}`);
  const c = new mod.Cap();
  const packet = Buffer.allocUnsafe(CAP_SNAPLEN);
  let ltName: string;
  try {
    ltName = c.open(a.iface, a.filter, a.kernelBuffer, packet);
  } catch (e) {
    const msg = (e as Error).message;
    if (isPermissionMessage(msg)) return refuse('permission', `${a.iface}: ${msg}; ${permissionHint(process.execPath)}`);
    if (a.filter && !isDeviceMessage(msg)) return refuse('usage', `-f ${JSON.stringify(a.filter)}: ${msg}`);
    return refuse('engine', `${a.iface}: ${msg}`);
  }
  const linktype = linktypeOfCapName(ltName);
  if (linktype === null) {
    c.close();
    return refuse('engine', `${a.iface}: link type ${ltName} is not one netdiag can write`);
  }
  const snaplen = Math.min(a.snaplen, CAP_SNAPLEN);
  const out = process.stdout;
  let delivered = 0;
  let shed = 0;
  const batch = Buffer.allocUnsafe(BATCH_BYTES);
  let used = 0;
  let flushQueued = false;
  let lastFlush = 0;

  const flush = (): void => {
    flushQueued = false;
    if (used === 0) return;
    lastFlush = performance.now();
    // The stream keeps what it is given until the pipe takes it: a copy of the size written
    // (small ones from Node's pool), so the batch is reused and nothing larger is allocated.
    const chunk = Buffer.allocUnsafe(used);
    batch.copy(chunk, 0, 0, used);
    out.write(chunk);
    used = 0;
  };

  batch.writeUInt32LE(PCAP_NSEC_MAGIC, 0);
  batch.writeUInt16LE(2, 4);
  batch.writeUInt16LE(4, 6);
  batch.writeUInt32LE(0, 8);
  batch.writeUInt32LE(0, 12);
  batch.writeUInt32LE(snaplen, 16);
  batch.writeUInt32LE(linktype, 20);
  used = FILE_HEADER;
  flush();

  // Wall clock = origin + monotonic offset, split so the sum keeps sub-microsecond precision.
  const originSec = Math.floor(performance.timeOrigin / 1000);
  const originMs = performance.timeOrigin - originSec * 1000;
  let capturing = true;
  c.on('packet', (nbytes: number) => {
    if (!capturing) return;
    const capLen = nbytes < snaplen ? nbytes : snaplen;
    if (out.writableLength > MAX_QUEUED_BYTES) {
      shed++;
      return;
    }
    if (used + RECORD_HEADER + capLen > BATCH_BYTES) flush();
    const ms = originMs + performance.now();
    const whole = Math.floor(ms / 1000);
    batch.writeUInt32LE(originSec + whole, used);
    batch.writeUInt32LE(Math.min(999_999_999, Math.round((ms - whole * 1000) * 1e6)), used + 4);
    batch.writeUInt32LE(capLen, used + 8);
    batch.writeUInt32LE(nbytes, used + 12);
    packet.copy(batch, used + RECORD_HEADER, 0, capLen);
    used += RECORD_HEADER + capLen;
    delivered++;
    if (!flushQueued) {
      flushQueued = true;
      const wait = lastFlush + FLUSH_GAP_MS - performance.now();
      if (wait <= 0) setImmediate(flush);
      else setTimeout(flush, wait);
    }
  });
  send({ type: 'open', linktype });

  let stopping = false;
  let reason: 'stopped' | 'interface-gone' = 'stopped';
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(presence);
    setTimeout(() => {
      capturing = false;
      c.close();
      c.removeAllListeners('packet');
      flush();
      out.end(() => {
        send({ type: 'end', reason, delivered, shed });
        process.disconnect?.();
      });
    }, DRAIN_MS);
  };
  const ifindex = a.iface === 'any' ? null : ifindexOf(a.iface);
  const presence = setInterval(() => {
    if (ifindex === null || ifindexOf(a.iface) === ifindex) return;
    reason = 'interface-gone';
    stop();
  }, PRESENCE_CHECK_MS);
  process.on('message', (m: CapParentMessage) => {
    if (m.type === 'stop') stop();
  });
  // The parent decides when to stop; a parent that is gone cannot read any more.
  process.on('disconnect', () => {
    if (!stopping) process.exit(0);
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  out.on('error', () => process.exit(0));
}

main();
