import { CaptureOpenError, ProblemLog } from '../problems.js';
import { isPcapMagic, parsePcapHeader, PcapParser, PCAP_HEADER_LEN } from '../pcap.js';
import { emptyRecord } from '../record.js';
import { MAX_RECORD_BYTES, Window } from '../source.js';

/**
 * A classic pcap byte stream (tcpdump -w -, or the cap engine's capture process) parsed as
 * chunks arrive, by the record parser CaptureReader uses: chunks are appended to one
 * reused window, whole records handed out as offsets into it, the unconsumed tail moved to
 * the front when room runs out. Damage goes to `log` as CaptureReader reports it; a stream
 * that is not pcap at all throws CaptureOpenError.
 */
export class PcapStream {
  private readonly win = new Window(Buffer.allocUnsafe(4 * MAX_RECORD_BYTES));
  private readonly rec = emptyRecord();
  private parser: PcapParser | null = null;
  readonly log: ProblemLog;

  constructor(
    name: string,
    private readonly onHeader: (linktype: number) => void,
    private readonly deliver: (buf: Buffer, off: number, capLen: number, wireLen: number, sec: number, nsec: number) => void,
  ) {
    this.log = new ProblemLog(name);
    this.rec.buf = this.win.buf;
  }

  push(chunk: Buffer): void {
    // Pieces of at most a quarter window: after moving the unconsumed tail (less than one
    // record) to the front, a piece always fits.
    const piece = this.win.buf.length >> 2;
    for (let o = 0; o < chunk.length; o += piece) this.append(chunk, o, Math.min(chunk.length, o + piece));
    this.drain();
  }

  private append(chunk: Buffer, from: number, to: number): void {
    const w = this.win;
    const n = to - from;
    if (w.end + n > w.buf.length) {
      if (w.pos < w.end) w.buf.copy(w.buf, 0, w.pos, w.end);
      w.base += w.pos;
      w.end -= w.pos;
      w.pos = 0;
      if (w.end + n > w.buf.length) {
        // Only a parser stuck mid-resynchronization can leave this much unconsumed.
        this.log.add('error', w.offset(0), `${w.end} unconsumed bytes fill the read buffer; skipped`);
        w.base += w.end;
        w.end = 0;
      }
    }
    chunk.copy(w.buf, w.end, from, to);
    w.end += n;
    // Parse as we go so the window never holds more than one piece of unparsed records.
    this.drain();
  }

  end(): void {
    this.win.eof = true;
    this.drain();
  }

  private drain(): void {
    const w = this.win;
    if (this.parser === null) {
      const avail = w.end - w.pos;
      if (avail < PCAP_HEADER_LEN) {
        if (w.eof && avail > 0) this.log.add('error', 0, `stream ends inside the pcap file header (${avail} bytes)`);
        return;
      }
      if (!isPcapMagic(w.buf, w.pos)) throw new CaptureOpenError(this.log.file, 'the engine did not write a pcap stream');
      const h = parsePcapHeader(w.buf, w.pos, avail, this.log.file);
      w.pos += PCAP_HEADER_LEN;
      this.parser = new PcapParser(w, this.rec, this.log, h);
      this.onHeader(h.linktype);
    }
    const r = this.rec;
    while (this.parser.next()) this.deliver(r.buf, r.off, r.capLen, r.wireLen, r.tsSec, r.tsNsec);
  }
}

