import { join } from 'node:path';
import type { Lab, Proc } from './lab.js';

export type CapturePointKind = 'pod-eth0' | 'node-underlay' | 'node-any';

export interface CapturePoint {
  /** File name inside the scenario directory, e.g. `node1-underlay.pcap`. */
  file: string;
  /** Namespace role tcpdump runs in (a pod or a node). */
  role: string;
  iface: string;
  kind: CapturePointKind;
  /** The node the capture was taken on (for a pod: the node it runs on). */
  node: string;
  pod?: string;
}

export interface RunningCapture {
  point: CapturePoint;
  proc: Proc;
}

export async function startCaptures(lab: Lab, dir: string, points: CapturePoint[], ttlSeconds: number): Promise<RunningCapture[]> {
  const caps = points.map((point) => {
    // --immediate-mode: with TPACKET_V3, libpcap otherwise hands packets over
    // in blocks once a second, and the last block is lost when tcpdump stops.
    // -B: in immediate mode each packet takes a ring slot of the snaplen (256 KiB), so the
    // default 2 MiB ring holds 8 packets, and a burst (a BGP session opening) while tcpdump
    // waits for a loaded CPU is dropped by the kernel; 32 MiB holds 128.
    const argv = ['tcpdump', '-i', point.iface, '--immediate-mode', '-B', '32768', '-U', '-n', '-s', '0', '-Z', 'root', '-w', join(dir, point.file)];
    // libpcap 1.10 already picks LINUX_SLL2 for "any"; say so explicitly so an
    // older or newer default cannot silently change what the fixtures contain.
    if (point.iface === 'any') argv.push('-y', 'LINUX_SLL2');
    return { point, proc: lab.spawn(point.role, `tcpdump-${point.file}`, argv, { ttlSeconds, killSignal: 'SIGINT' }) };
  });
  await Promise.all(caps.map((c) => c.proc.waitForOutput(/listening on/, 10_000)));
  return caps;
}

/** SIGINT makes tcpdump flush and close the file; wait so every file is complete before anyone reads it. */
export async function stopCaptures(caps: RunningCapture[]): Promise<void> {
  await Promise.all(caps.map((c) => c.proc.stop('SIGINT', 5000)));
}
