/**
 * The records of an engine process's stdout (a classic pcap stream), handed to the
 * listener as they arrive: shared by the tcpdump engine and the cap engine's capture
 * process. Damage in the stream is reported as a warning with its offset; a stream that
 * is not pcap at all stops reading and is the capture's end reason.
 */
import type { Readable } from 'node:stream';
import { PcapStream } from './pcap-stream.js';
import { emptyLiveRecord, type LiveRecordListener } from './record.js';

export interface PcapPipe {
  /** Resolves once the stream has ended and every record in it has been delivered. */
  readonly ended: Promise<void>;
  /** Why the stream could not be read, or null. */
  readonly error: string | null;
  /** The link type the stream's header names (-1 before it arrived). */
  readonly linktype: number;
  /** Records delivered so far. */
  readonly records: number;
  onWarning(fn: (message: string) => void): void;
}

export function readPcapPipe(what: string, iface: string, ifIndex: number, out: Readable, onRecord: LiveRecordListener, onBroken: () => void): PcapPipe {
  const rec = emptyLiveRecord(ifIndex);
  const warnings: Array<(m: string) => void> = [];
  const warn = (m: string): void => {
    for (const fn of warnings) fn(m);
  };
  let error: string | null = null;
  let linktype = -1;
  let records = 0;
  let reported = 0;
  const stream = new PcapStream(
    `${what} -i ${iface}`,
    (lt) => {
      linktype = lt;
      rec.linktype = lt;
    },
    (buf, off, capLen, wireLen, sec, nsec) => {
      rec.buf = buf;
      rec.off = off;
      rec.capLen = capLen;
      rec.wireLen = wireLen;
      rec.tsSec = sec;
      rec.tsNsec = nsec;
      records++;
      onRecord(rec);
    },
  );
  const reportProblems = (): void => {
    const list = stream.log.list;
    for (; reported < list.length; reported++) {
      const pr = list[reported]!;
      warn(`${iface}: ${what} stream offset ${pr.offset}: ${pr.message}`);
    }
  };
  const fail = (e: unknown): void => {
    error ??= e instanceof Error ? e.message : String(e);
    onBroken();
  };
  out.on('data', (chunk: Buffer) => {
    if (error !== null) return;
    try {
      stream.push(chunk);
    } catch (e) {
      fail(e);
    }
    if (stream.log.list.length > reported) reportProblems();
  });
  const ended = new Promise<void>((resolve) =>
    out.once('close', () => {
      if (error === null) {
        try {
          stream.end();
        } catch (e) {
          fail(e);
        }
      }
      reportProblems();
      resolve();
    }),
  );
  return {
    ended,
    get error() {
      return error;
    },
    get linktype() {
      return linktype;
    },
    get records() {
      return records;
    },
    onWarning: (fn) => void warnings.push(fn),
  };
}
