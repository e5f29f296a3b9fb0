/**
 * What the cap engine and its capture process say to each other. Packets travel on the
 * child's stdout as a classic pcap stream (nanosecond timestamps, host byte order), which
 * PcapStream parses; these few messages travel on the IPC channel beside it.
 */
import type { LiveCaptureErrorKind } from './errors.js';

/** Output the parent has not read yet beyond which the child sheds new packets (and counts them). */
export const MAX_QUEUED_BYTES = 128 << 20;

/** The child's one command-line argument, as JSON. */
export interface CapChildArgs {
  iface: string;
  filter: string;
  snaplen: number;
  /** Kernel ring size asked of libpcap, in bytes. */
  kernelBuffer: number;
}

export type CapChildMessage =
  /** libpcap is capturing; the pcap stream's header is on its way. */
  | { type: 'open'; linktype: number }
  /** libpcap would not open the interface or compile the filter; the child exits. */
  | { type: 'refused'; kind: LiveCaptureErrorKind; message: string }
  /** Sent once the stream is complete, just before the child exits: asked to stop, or the interface is gone. */
  | { type: 'end'; reason: 'stopped' | 'interface-gone'; delivered: number; shed: number };

export type CapParentMessage = { type: 'stop' };
