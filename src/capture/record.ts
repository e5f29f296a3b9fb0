/**
 * One captured packet as a reader hands it out: a view into the reader's chunk buffer,
 * valid until the reader is advanced or refilled. The reader mutates a single instance.
 */
export interface CaptureRecord {
  buf: Buffer;
  /** Offset of the packet's first byte in buf. */
  off: number;
  capLen: number;
  wireLen: number;
  tsSec: number;
  tsNsec: number;
  linktype: number;
  /** Interface index within the file (pcapng: across all sections, as tshark numbers them). */
  ifIndex: number;
  /** 1-based frame number. */
  number: number;
  /** Byte offset of the record's header in the (decompressed) file, for random access. */
  fileOffset: number;
  comment: string | null;
  /** Every comment of the record when it has any (pcapng opt_comment may repeat); comment is the first. */
  comments?: string[] | null;
  /** pcapng epb_flags (direction, reception type, FCS length); 0 when absent. */
  flags: number;
}

export function emptyRecord(): CaptureRecord {
  return {
    buf: Buffer.alloc(0),
    off: 0,
    capLen: 0,
    wireLen: 0,
    tsSec: 0,
    tsNsec: 0,
    linktype: 0,
    ifIndex: 0,
    number: 0,
    fileOffset: 0,
    comment: null,
    comments: null,
    flags: 0,
  };
}
