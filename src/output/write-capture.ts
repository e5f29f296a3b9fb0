import { closeSync, openSync, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { CaptureReader } from '../capture/reader.js';
import type { CaptureRecord } from '../capture/record.js';
import { DEFAULT_SNAPLEN, NANOSECONDS, PcapngWriter, PcapWriter, type Timestamp } from '../capture/writer.js';
import type { PacketView } from '../decode/packet-view.js';
import type { CaptureInfo, PacketSink } from './packet-source.js';

export interface WriteCaptureOptions {
  /** Link types of every input known before reading (decides pcap vs pcapng). */
  linktypes?: readonly number[];
  /** Force pcapng (e.g. the output is named *.pcapng). */
  pcapng?: boolean;
  /** Where to report packets that cannot be written. */
  warn(message: string): void;
}

interface Pending {
  key: string;
  name: string;
  linktype: number;
  ts: Timestamp;
  data: Buffer;
  wireLen: number;
  comment: string | null;
  flags: number;
}

/**
 * `-w OUT`: the packets that pass the filter, byte for byte with their timestamps.
 * Classic pcap (nanosecond timestamps, so nothing is rounded) when every packet shares one
 * link type, which every tool reads; otherwise pcapng with one interface per input
 * interface, keeping packet comments and flags.
 *
 * The choice is made from the link types known when the first packet is written. Should a
 * packet of another link type turn up later (a pcapng interface declared mid-file), a file
 * written so far as pcap is rewritten as pcapng and writing goes on; only on stdout, where
 * nothing can be taken back, are such packets left out (with a warning).
 */
export class CaptureWriteSink implements PacketSink {
  private pcap: PcapWriter | null = null;
  private ng: PcapngWriter | null = null;
  private pcapLinktype = -1;
  /** pcapng interface id per capture/interface/link type. */
  private readonly ifIds = new Map<string, number>();
  /** Keys of the packets written as pcap, to map onto one interface after a rewrite. */
  private readonly pcapKeys = new Set<string>();
  private fd: number | null;
  private readonly path: string | null;
  private readonly stream: Writable | null;
  private readonly name: string;
  private readonly warned = new Set<string>();
  private firstLinktype = -1;
  private wantDrain = false;
  /** Link types of the interfaces of the captures opened so far. */
  private readonly seen = new Set<number>();
  /** A packet waiting for the pcap → pcapng rewrite (done in flush, which may wait). */
  private pending: Pending | null = null;
  /** Temporary pcapng file being written after a rewrite, renamed over the output at the end. */
  private tmpPath: string | null = null;

  /** `target`: a path (opened now, so an unwritable path fails before any reading) or a stream (stdout for `-w -`). */
  constructor(
    target: string | Writable,
    private readonly o: WriteCaptureOptions,
  ) {
    if (typeof target === 'string') {
      this.fd = openSync(target, 'w');
      this.path = target;
      this.stream = null;
      this.name = target;
    } else {
      this.fd = null;
      this.path = null;
      this.stream = target;
      this.name = 'stdout';
      target.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') this.broken = true;
      });
    }
  }

  /** Whoever read the capture from stdout has gone (`netdiag read -w - | head -c 100`). */
  private broken = false;

  get stopped(): boolean {
    return this.broken;
  }

  /** Resolves when the stream takes more, or is gone. */
  private drained(): Promise<void> {
    const w = this.pcap ?? this.ng;
    if (!w) return Promise.resolve();
    const s = this.stream;
    if (s === null) return w.drain();
    return new Promise((resolve) => {
      const done = () => {
        s.off('close', done);
        s.off('error', done);
        resolve();
      };
      s.once('close', done);
      s.once('error', done);
      void w.drain().then(done);
    });
  }

  private target(): number | Writable {
    return this.fd !== null ? this.fd : this.stream!;
  }

  private open(linktype: number): void {
    const kinds = new Set([...(this.o.linktypes ?? []), ...this.seen]);
    kinds.add(linktype);
    if (this.o.pcapng || kinds.size > 1) this.openPcapng(this.target());
    else {
      this.pcap = new PcapWriter(this.target(), { endStream: false, linktype, nanosecond: true, snaplen: DEFAULT_SNAPLEN });
      this.pcapLinktype = linktype;
    }
  }

  private openPcapng(target: number | string | Writable): void {
    this.ng = new PcapngWriter(target, { endStream: false, section: { userAppl: 'netdiag' } });
  }

  private warnOnce(kind: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.o.warn(message);
  }

  captureStart(c: CaptureInfo): void {
    if (this.firstLinktype < 0 && c.linktypes.length) this.firstLinktype = c.linktypes[0]!;
    for (const l of c.linktypes) this.seen.add(l);
  }

  packet(_p: PacketView, rec: CaptureRecord, c: CaptureInfo): boolean {
    if (!this.pcap && !this.ng) this.open(rec.linktype);
    const key = `${c.index}/${rec.ifIndex}/${rec.linktype}`;
    const name = `${c.label}#${rec.ifIndex}`;
    const ts = { sec: rec.tsSec, nsec: rec.tsNsec };
    const wire = Math.max(rec.wireLen, rec.capLen);
    let ok: boolean;
    if (this.pcap) {
      if (rec.linktype !== this.pcapLinktype) {
        if (this.path === null) {
          this.warnOnce(
            'linktype',
            `${this.name}: packet ${rec.number} of ${c.label} has link type ${rec.linktype}, but the pcap output holds link type ${this.pcapLinktype} only; such packets are left out (write to a file to keep them all)`,
          );
          return false;
        }
        // Rewrite what was written as pcapng (in flush, which may wait), then this packet.
        const data = Buffer.from(rec.buf.subarray(rec.off, rec.off + rec.capLen));
        this.pending = { key, name, linktype: rec.linktype, ts, data, wireLen: wire, comment: rec.comment, flags: rec.flags };
        return true;
      }
      try {
        ok = this.pcap.writePacket(ts, rec.buf, rec.off, rec.capLen, wire);
      } catch (e) {
        return this.unwritable(rec, c, e);
      }
      this.pcapKeys.add(key);
    } else {
      try {
        ok = this.writeNg(key, name, rec.linktype, ts, rec.buf, rec.off, rec.capLen, wire, rec.comment, rec.flags);
      } catch (e) {
        return this.unwritable(rec, c, e);
      }
    }
    if (!ok) this.wantDrain = true;
    return !ok;
  }

  private writeNg(key: string, name: string, linktype: number, ts: Timestamp, buf: Buffer, off: number, len: number, wire: number, comment: string | null, flags: number): boolean {
    const ng = this.ng!;
    let id = this.ifIds.get(key);
    if (id === undefined) {
      id = ng.addInterface({ linktype, snaplen: 0, tsresol: NANOSECONDS, name });
      this.ifIds.set(key, id);
    }
    const po: { comment?: string; flags?: number } = {};
    if (comment !== null) po.comment = comment;
    if (flags) po.flags = flags;
    return ng.writePacket(id, ts, buf, off, len, wire, po);
  }

  /** A packet the format cannot hold (a timestamp before 1970, or past 2106 in pcap): reported, left out. */
  private unwritable(rec: CaptureRecord, c: CaptureInfo, e: unknown): false {
    const why = (e as Error).message;
    this.warnOnce(why, `${this.name}: packet ${rec.number} of ${c.label} left out: ${why}`);
    return false;
  }

  /** The pcap written so far becomes a pcapng (in a temporary file renamed over the output at the end). */
  private async rewriteAsPcapng(): Promise<void> {
    const path = this.path!;
    await this.pcap!.close();
    this.pcap = null;
    closeSync(this.fd!);
    this.fd = null;
    this.tmpPath = `${path}.netdiag-${process.pid}.tmp`;
    this.openPcapng(this.tmpPath);
    const ng = this.ng!;
    const id = ng.addInterface({ linktype: this.pcapLinktype, snaplen: 0, tsresol: NANOSECONDS, name: `link type ${this.pcapLinktype}` });
    for (const k of this.pcapKeys) this.ifIds.set(k, id);
    const r = await CaptureReader.open(path);
    try {
      for (;;) {
        while (r.next()) {
          const x = r.rec;
          ng.writePacket(id, { sec: x.tsSec, nsec: x.tsNsec }, x.buf, x.off, x.capLen, Math.max(x.wireLen, x.capLen));
        }
        if (!(await r.fill())) break;
      }
    } finally {
      await r.close();
    }
  }

  async flush(): Promise<void> {
    const p = this.pending;
    if (p !== null) {
      this.pending = null;
      await this.rewriteAsPcapng();
      this.writeNg(p.key, p.name, p.linktype, p.ts, p.data, 0, p.data.length, p.wireLen, p.comment, p.flags);
    }
    if (!this.wantDrain || this.broken) return;
    this.wantDrain = false;
    await this.drained();
  }

  async finish(): Promise<void> {
    if (this.pending !== null) await this.flush();
    // No packet passed: still a valid, empty capture.
    if (!this.pcap && !this.ng) this.open(this.firstLinktype >= 0 ? this.firstLinktype : 1);
    const w = this.pcap ?? this.ng!;
    if (this.broken) return;
    await w.close();
    if (this.fd !== null) closeSync(this.fd);
    if (this.tmpPath !== null) {
      try {
        renameSync(this.tmpPath, this.path!);
      } catch (e) {
        rmSync(this.tmpPath, { force: true });
        throw e;
      }
    }
  }
}
