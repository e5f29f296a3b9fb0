/** TCP segments (RFC 9293) with the common options (RFC 7323, RFC 2018). */
import { foldChecksum, pseudoHeaderSum, resolveChecksum, sum16, type ChecksumMode, type PseudoHeader } from './checksum.js';
import { IPPROTO } from './constants.js';

export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sack-permitted' }
  | { kind: 'sack'; blocks: Array<[left: number, right: number]> }
  | { kind: 'timestamps'; tsval: number; tsecr: number }
  | { kind: number; data: Buffer };

export const TCP_FLAG = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

export interface TcpOptions {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  /**
   * A bit mask, or tcpdump-style letters: S F R P U E W and '.' (A and C are
   * accepted for ACK and CWR).
   */
  flags: string | number;
  window?: number;
  urgent?: number;
  options?: TcpOption[];
  checksum?: ChecksumMode;
}

const FLAG_LETTERS: Record<string, number> = {
  F: TCP_FLAG.FIN,
  S: TCP_FLAG.SYN,
  R: TCP_FLAG.RST,
  P: TCP_FLAG.PSH,
  '.': TCP_FLAG.ACK,
  A: TCP_FLAG.ACK,
  U: TCP_FLAG.URG,
  E: TCP_FLAG.ECE,
  W: TCP_FLAG.CWR,
  C: TCP_FLAG.CWR,
};

export function tcpFlags(flags: string | number): number {
  if (typeof flags === 'number') return flags & 0xff;
  let f = 0;
  for (const ch of flags) {
    const bit = FLAG_LETTERS[ch];
    if (bit === undefined) throw new Error(`unknown TCP flag letter '${ch}' in '${flags}'`);
    f |= bit;
  }
  return f;
}

function encodeOption(o: TcpOption): Buffer {
  switch (o.kind) {
    case 'eol':
      return Buffer.from([0]);
    case 'nop':
      return Buffer.from([1]);
    case 'mss': {
      const b = Buffer.from([2, 4, 0, 0]);
      b.writeUInt16BE(o.value, 2);
      return b;
    }
    case 'wscale':
      return Buffer.from([3, 3, o.shift]);
    case 'sack-permitted':
      return Buffer.from([4, 2]);
    case 'sack': {
      const b = Buffer.alloc(2 + 8 * o.blocks.length);
      b[0] = 5;
      b[1] = b.length;
      o.blocks.forEach(([l, r], i) => {
        b.writeUInt32BE(l >>> 0, 2 + 8 * i);
        b.writeUInt32BE(r >>> 0, 6 + 8 * i);
      });
      return b;
    }
    case 'timestamps': {
      const b = Buffer.alloc(10);
      b[0] = 8;
      b[1] = 10;
      b.writeUInt32BE(o.tsval >>> 0, 2);
      b.writeUInt32BE(o.tsecr >>> 0, 6);
      return b;
    }
    default:
      return Buffer.concat([Buffer.from([o.kind, 2 + o.data.length]), o.data]);
  }
}

/** Options as they go on the wire, zero-padded (EOL) to a 4-byte boundary. */
export function encodeTcpOptions(opts: TcpOption[]): Buffer {
  const raw = Buffer.concat(opts.map(encodeOption));
  const len = (raw.length + 3) & ~3;
  if (len > 40) throw new Error(`TCP options too long: ${raw.length} bytes`);
  return Buffer.concat([raw, Buffer.alloc(len - raw.length)]);
}

export function tcp(o: TcpOptions, payload: Buffer, pseudo: PseudoHeader): Buffer {
  const opts = encodeTcpOptions(o.options ?? []);
  const hlen = 20 + opts.length;
  const b = Buffer.alloc(hlen + payload.length);
  b.writeUInt16BE(o.sport, 0);
  b.writeUInt16BE(o.dport, 2);
  b.writeUInt32BE(o.seq >>> 0, 4);
  b.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  b[12] = (hlen / 4) << 4;
  b[13] = tcpFlags(o.flags);
  b.writeUInt16BE(o.window ?? 65535, 14);
  b.writeUInt16BE(o.urgent ?? 0, 18);
  opts.copy(b, 20);
  payload.copy(b, hlen);
  b.writeUInt16BE(
    resolveChecksum(o.checksum, () => foldChecksum(sum16(b, 0, b.length, pseudoHeaderSum(pseudo, IPPROTO.TCP, b.length)))),
    16,
  );
  return b;
}
