/**
 * The `cap` engine: libpcap through the optional `cap` native binding, in this process.
 * cap hands over packet bytes and length but no timestamp, original length or pcap_stats,
 * so packets are stamped with this process's clock when libpcap delivers them (libpcap's
 * immediate mode keeps that within microseconds of the kernel's stamp), the wire length is
 * the captured length (cap's fixed 65535-byte snaplen covers any MTU), and the drop counter
 * is the interface's own.
 */
import { createRequire } from 'node:module';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_NULL, LINKTYPE_RAW } from '../linktypes.js';
import type { CaptureEngine, EngineCounters, EngineOpenOptions, EngineSession } from './engine.js';
import { LiveCaptureError } from './errors.js';
import { interfaceRxDropped } from './interfaces.js';
import { isDeviceMessage, isPermissionMessage, permissionHint } from './privilege.js';
import { emptyLiveRecord, type LiveRecordListener } from './record.js';

/** What netdiag uses of the binding. */
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(event: 'packet'): void;
}
interface CapModule {
  Cap: { new (): CapHandle; deviceList(): Array<{ name: string }> };
}

/** cap copies each packet into this buffer; libpcap's snaplen is fixed at 65535 by the binding. */
const CAP_SNAPLEN = 65535;
/**
 * Kernel buffer for the packets that arrive while this process is not running (the event
 * loop busy, or the process descheduled on a loaded node). cap opens libpcap in immediate
 * mode with a 65535-byte snaplen, so the ring is TPACKET_V2 with one fixed slot of ~64 KiB
 * per packet however small the packet (tcpdump's default TPACKET_V3 blocks pack small
 * packets tightly): 64 MiB holds about 1000 packets, 50 ms at 20,000 packets/s, and the
 * kernel reserves about twice that while capturing (each slot rounded to a 128 KiB block).
 * Half of it (25 ms) lost packets whenever a loaded 2-core machine descheduled the capture.
 */
const KERNEL_BUFFER = 64 << 20;

export const CAP_INSTALL_HINT = 'the cap engine needs libpcap: `apt-get install libpcap-dev && npm rebuild cap` (or `dnf install libpcap-devel`)';

let loaded: CapModule | string | null = null;

/** The binding, or why it cannot be loaded. */
export function loadCap(): CapModule | string {
  if (loaded !== null) return loaded;
  try {
    loaded = createRequire(import.meta.url)('cap') as CapModule;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0] ?? String(e);
    loaded = /Cannot find module 'cap'/.test(msg) ? 'the cap package is not installed' : `the cap binding does not load (${msg})`;
  }
  return loaded;
}

/** Device names libpcap offers (includes pseudo-devices such as nflog), or [] without cap. */
export function capDevices(): string[] {
  const m = loadCap();
  if (typeof m === 'string') return [];
  try {
    return m.Cap.deviceList().map((d) => d.name);
  } catch {
    return [];
  }
}

const LINKTYPE_BY_CAP_NAME: Record<string, number> = {
  NULL: LINKTYPE_NULL,
  ETHERNET: LINKTYPE_ETHERNET,
  IEEE802_11_RADIO: 127,
  LINKTYPE_LINUX_SLL: LINKTYPE_LINUX_SLL,
  // DLT_RAW (12 on Linux) is written to files as LINKTYPE_RAW.
  RAW: LINKTYPE_RAW,
};

/** cap names the common link types and reports the rest as "Unknown linktype N" (a DLT). */
export function linktypeOfCapName(name: string): number | null {
  const known = LINKTYPE_BY_CAP_NAME[name];
  if (known !== undefined) return known;
  const m = /^Unknown linktype (\d+)$/.exec(name);
  if (!m) return null;
  const dlt = Number(m[1]);
  return dlt === 12 || dlt === 14 ? LINKTYPE_RAW : dlt;
}

export const capEngine: CaptureEngine = {
  name: 'cap',
  async open(o: EngineOpenOptions, onRecord: LiveRecordListener): Promise<EngineSession> {
    const mod = loadCap();
    if (typeof mod === 'string') throw new LiveCaptureError('no-engine', `${mod}; ${CAP_INSTALL_HINT}`);
    const c = new mod.Cap();
    const buffer = Buffer.allocUnsafe(CAP_SNAPLEN);
    let ltName: string;
    try {
      ltName = c.open(o.iface, o.filter, KERNEL_BUFFER, buffer);
    } catch (e) {
      const msg = (e as Error).message;
      if (isPermissionMessage(msg)) throw new LiveCaptureError('permission', `${o.iface}: ${msg}; ${permissionHint(process.execPath)}`);
      if (o.filter && !isDeviceMessage(msg)) throw new LiveCaptureError('usage', `-f ${JSON.stringify(o.filter)}: ${msg}`);
      throw new LiveCaptureError('engine', `${o.iface}: ${msg}`);
    }
    const linktype = linktypeOfCapName(ltName);
    if (linktype === null) {
      c.close();
      throw new LiveCaptureError('engine', `${o.iface}: link type ${ltName} is not one netdiag can write`);
    }
    const rec = emptyLiveRecord(o.ifIndex);
    rec.buf = buffer;
    rec.linktype = linktype;
    const snaplen = Math.min(o.snaplen, CAP_SNAPLEN);
    // Wall clock = origin + monotonic offset, split so the sum keeps sub-microsecond precision.
    const originSec = Math.floor(performance.timeOrigin / 1000);
    const originMs = performance.timeOrigin - originSec * 1000;
    const dropsBefore = interfaceRxDropped(o.iface);
    let open = true;
    c.on('packet', (nbytes: number) => {
      if (!open) return;
      const ms = originMs + performance.now();
      const whole = Math.floor(ms / 1000);
      rec.tsSec = originSec + whole;
      rec.tsNsec = Math.min(999_999_999, Math.round((ms - whole * 1000) * 1e6));
      rec.capLen = nbytes < snaplen ? nbytes : snaplen;
      rec.wireLen = nbytes;
      onRecord(rec);
    });
    let resolveEnded!: (v: string | null) => void;
    const ended = new Promise<string | null>((r) => (resolveEnded = r));
    return {
      engine: 'cap',
      linktype,
      snaplen,
      ended,
      onWarning: () => undefined,
      async stop(): Promise<EngineCounters> {
        if (open) {
          // Let libpcap hand over what is already readable before the handle closes.
          await new Promise((r) => setTimeout(r, 30));
          open = false;
          c.close();
          c.removeAllListeners('packet');
          resolveEnded(null);
        }
        const dropsAfter = interfaceRxDropped(o.iface);
        return { received: null, dropped: null, ifDropped: dropsBefore !== null && dropsAfter !== null ? dropsAfter - dropsBefore : null };
      },
    };
  },
};
