import type { LiveRecordListener } from './record.js';

export type EngineName = 'cap' | 'tcpdump';

export interface EngineOpenOptions {
  iface: string;
  /** BPF filter ('' for none). */
  filter: string;
  snaplen: number;
  ifIndex: number;
}

/** Kernel-side counters of one interface's capture; null where the engine cannot tell. */
export interface EngineCounters {
  /** Packets the kernel passed the filter (pcap_stats ps_recv). */
  received: number | null;
  /** Packets the kernel dropped for lack of buffer space (ps_drop). */
  dropped: number | null;
  /** Packets the interface itself dropped (ps_ifdrop, or the interface's rx_dropped delta). */
  ifDropped: number | null;
}

/** One interface being captured by one engine. */
export interface EngineSession {
  readonly engine: EngineName;
  readonly linktype: number;
  readonly snaplen: number;
  /**
   * Stop capturing. Resolves once every packet the engine delivered has been handed to the
   * listener and the final counters are known.
   */
  stop(): Promise<EngineCounters>;
  /**
   * Resolves when the engine's process has ended and everything it wrote has been handed
   * to the listener: null after stop(), else why it ended by itself (the interface went
   * away, tcpdump exited, the capture process died).
   */
  readonly ended: Promise<string | null>;
  /** Damage or warnings seen in the engine's output, as they happen. */
  onWarning(fn: (message: string) => void): void;
}

export interface CaptureEngine {
  readonly name: EngineName;
  open(o: EngineOpenOptions, onRecord: LiveRecordListener): Promise<EngineSession>;
}
