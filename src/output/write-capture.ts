import { closeSync, openSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { CaptureRecord } from '../capture/record.js';
import { DEFAULT_SNAPLEN, NANOSECONDS, PcapngWriter, PcapWriter } from '../capture/writer.js';
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

/**
 * `-w OUT`: the packets that pass the filter, byte for byte with their timestamps.
 * Classic pcap (nanosecond timestamps, so nothing is rounded) when every packet shares one
 * link type, which every tool reads; otherwise pcapng with one interface per input
 * interface, keeping packet comments and flags.
 */
export class CaptureWriteSink implements PacketSink {
  private pcap: PcapWriter | null = null;
  private ng: PcapngWriter | null = null;
  private pcapLinktype = -1;
  /** pcapng interface id per "capture index/interface index". */
  private readonly ifIds = new Map<string, number>();
  private readonly fd: number | null;
  private readonly stream: Writable | null;
  private readonly name: string;
  private readonly warned = new Set<string>();
  private firstLinktype = -1;
  private wantDrain = false;
  /** Link types of the interfaces of the captures opened so far. */
  private readonly seen = new Set<number>();

  /** `target`: a path (opened now, so an unwritable path fails before any reading) or a stream (stdout for `-w -`). */
  constructor(
    target: string | Writable,
    private readonly o: WriteCaptureOptions,
  ) {
    if (typeof target === 'string') {
      this.fd = openSync(target, 'w');
      this.stream = null;
      this.name = target;
    } else {
      this.fd = null;
      this.stream = target;
      this.name = 'stdout';
    }
  }

  private target(): number | Writable {
    return this.fd !== null ? this.fd : this.stream!;
  }

  private open(linktype: number): void {
    const kinds = new Set([...(this.o.linktypes ?? []), ...this.seen]);
    kinds.add(linktype);
    const opts = { endStream: false };
    if (this.o.pcapng || kinds.size > 1) this.ng = new PcapngWriter(this.target(), { ...opts, section: { userAppl: 'netdiag' } });
    else {
      this.pcap = new PcapWriter(this.target(), { ...opts, linktype, nanosecond: true, snaplen: DEFAULT_SNAPLEN });
      this.pcapLinktype = linktype;
    }
  }

  captureStart(c: CaptureInfo): void {
    if (this.firstLinktype < 0 && c.linktypes.length) this.firstLinktype = c.linktypes[0]!;
    for (const l of c.linktypes) this.seen.add(l);
  }

  packet(_p: PacketView, rec: CaptureRecord, c: CaptureInfo): boolean {
    if (!this.pcap && !this.ng) this.open(rec.linktype);
    const ts = { sec: rec.tsSec, nsec: rec.tsNsec };
    let ok: boolean;
    if (this.pcap) {
      if (rec.linktype !== this.pcapLinktype) {
        if (!this.warned.has('linktype')) {
          this.warned.add('linktype');
          this.o.warn(
            `${this.name}: packet ${rec.number} of ${c.label} has link type ${rec.linktype}, but the pcap file holds link type ${this.pcapLinktype} only; such packets are left out (name the output *.pcapng to keep them all)`,
          );
        }
        return false;
      }
      try {
        ok = this.pcap.writePacket(ts, rec.buf, rec.off, rec.capLen, Math.max(rec.wireLen, rec.capLen));
      } catch (e) {
        return this.unwritable(rec, c, e);
      }
    } else {
      const ng = this.ng!;
      const key = `${c.index}/${rec.ifIndex}/${rec.linktype}`;
      let id = this.ifIds.get(key);
      if (id === undefined) {
        id = ng.addInterface({ linktype: rec.linktype, snaplen: 0, tsresol: NANOSECONDS, name: `${c.label}#${rec.ifIndex}` });
        this.ifIds.set(key, id);
      }
      const po: { comment?: string; flags?: number } = {};
      if (rec.comment !== null) po.comment = rec.comment;
      if (rec.flags) po.flags = rec.flags;
      try {
        ok = ng.writePacket(id, ts, rec.buf, rec.off, rec.capLen, Math.max(rec.wireLen, rec.capLen), po);
      } catch (e) {
        return this.unwritable(rec, c, e);
      }
    }
    if (!ok) this.wantDrain = true;
    return !ok;
  }

  /** A packet the format cannot hold (a timestamp before 1970, or past 2106 in pcap): reported, left out. */
  private unwritable(rec: CaptureRecord, c: CaptureInfo, e: unknown): false {
    const why = (e as Error).message;
    if (!this.warned.has(why)) this.warned.add(why);
    else return false;
    this.o.warn(`${this.name}: packet ${rec.number} of ${c.label} left out: ${why}`);
    return false;
  }

  async flush(): Promise<void> {
    if (!this.wantDrain) return;
    this.wantDrain = false;
    await (this.pcap ?? this.ng)?.drain();
  }

  async finish(): Promise<void> {
    // No packet passed: still a valid, empty capture.
    if (!this.pcap && !this.ng) this.open(this.firstLinktype >= 0 ? this.firstLinktype : 1);
    const w = this.pcap ?? this.ng!;
    await w.close();
    if (this.fd !== null) closeSync(this.fd);
  }
}
