/**
 * The network interfaces a capture may name, seen from this process's network namespace
 * (/sys/class/net follows `ip netns exec`), plus libpcap's `any` pseudo-device.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { LiveCaptureError } from './errors.js';

export const ANY_INTERFACE = 'any';

export function listInterfaces(): string[] {
  let names: string[];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    names = Object.keys(networkInterfaces());
  }
  return [...new Set(names)].sort();
}

/** Throws a LiveCaptureError naming the existing interfaces when `name` is not one of them. */
export function checkInterface(name: string, extra: readonly string[] = []): void {
  if (name === ANY_INTERFACE) return;
  const known = listInterfaces();
  if (known.includes(name) || extra.includes(name)) return;
  const all = [...known, ANY_INTERFACE, ...extra.filter((e) => !known.includes(e) && e !== ANY_INTERFACE)];
  throw new LiveCaptureError('no-interface', `no interface named ${JSON.stringify(name)} in this network namespace; interfaces: ${all.join(', ')}`);
}

/**
 * The interface's own receive-drop counter (packets the NIC or driver dropped before any
 * capture could see them), or null when the kernel does not expose one (`any`).
 */
export function interfaceRxDropped(name: string): number | null {
  if (name === ANY_INTERFACE || name.includes('/')) return null;
  try {
    const n = Number(readFileSync(`/sys/class/net/${name}/statistics/rx_dropped`, 'utf8').trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}
