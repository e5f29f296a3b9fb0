import { existsSync } from 'node:fs';
import { ANY_INTERFACE } from './interfaces.js';

/**
 * Whether a named interface no longer exists in this network namespace: when an engine
 * stops by itself, that is the reason to give (a pod's veth is deleted with the pod).
 */
export function interfaceGone(name: string): boolean {
  return name !== ANY_INTERFACE && !name.includes('/') && !existsSync(`/sys/class/net/${name}`);
}
