/**
 * The optional `cap` native binding to libpcap: loading it, and what its answers mean.
 * Kept apart from the engine so the capture child process loads only this much.
 */
import { createRequire } from 'node:module';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_NULL, LINKTYPE_RAW } from '../linktypes.js';

/** What netdiag uses of the binding. */
export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(event: 'packet'): void;
}
export interface CapModule {
  Cap: { new (): CapHandle; deviceList(): Array<{ name: string }> };
}

/** cap copies each packet into a buffer of this size; libpcap's snaplen is fixed at 65535 by the binding. */
export const CAP_SNAPLEN = 65535;

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
