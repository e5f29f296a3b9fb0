/**
 * Capturing needs root or CAP_NET_RAW (CAP_NET_ADMIN for promiscuous mode on some
 * drivers); checked up front so the user gets the fix rather than libpcap's errno text.
 */
import { readFileSync } from 'node:fs';

const CAP_NET_RAW = 13;

/** How to get the right to capture, for the program that opens the packet socket. */
export function permissionHint(program: string): string {
  return (
    'capturing needs root or the CAP_NET_RAW capability: run netdiag with sudo, or grant it once with ' +
    `\`sudo setcap cap_net_raw,cap_net_admin=eip ${program}\``
  );
}

/** True when this process may open packet sockets; null when it cannot tell (not Linux). */
export function mayCapture(): boolean | null {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return true;
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return null;
  }
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return null;
  return (BigInt('0x' + m[1]) & (1n << BigInt(CAP_NET_RAW))) !== 0n;
}

/** Whether an engine's error text is a permission refusal. */
export function isPermissionMessage(text: string): boolean {
  return /permission|not permitted|EPERM|EACCES/i.test(text);
}

/**
 * Whether an engine's refusal is about the device (permission, missing, down) rather than
 * the filter: libpcap compiles the filter after opening the device, and its compiler's
 * messages (syntax error, unknown port, illegal token ...) have no common form.
 */
export function isDeviceMessage(text: string): boolean {
  return isPermissionMessage(text) || /no such device|doesn't exist|does not exist|not up|device|interface|socket|ioctl|buffer/i.test(text);
}
