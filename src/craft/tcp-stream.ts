/**
 * A TCP connection as a sequence of IP packets with consistent sequence and
 * acknowledgement numbers, for reassembly fixtures: a byte stream can be cut
 * at arbitrary boundaries so that application messages straddle segments or
 * share one.
 */
import { TCP_FLAG, tcpFlags, type TcpOption } from './tcp.js';
import { ipTcp } from './stack.js';

/** Cuts `data` at the given offsets (ascending, exclusive of 0 and data.length). */
export function splitAt(data: Buffer, cuts: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    if (c <= prev || c >= data.length) throw new Error(`bad cut ${c} (previous ${prev}, length ${data.length})`);
    out.push(data.subarray(prev, c));
    prev = c;
  }
  out.push(data.subarray(prev));
  return out;
}

export interface TcpEndpoint {
  ip: string;
  port: number;
  /** Initial sequence number. */
  isn: number;
  window?: number;
  /** First IPv4 id; incremented per packet sent by this side. */
  ipId?: number;
  ttl?: number;
}

export type TcpSide = 'client' | 'server';

export interface SegmentOptions {
  flags?: string | number;
  options?: TcpOption[];
  /** Sends at this sequence number without advancing the stream (retransmissions, out-of-order). */
  seq?: number;
  /** Acknowledges this instead of everything the peer sent (duplicate ACKs). */
  ack?: number;
  window?: number;
}

interface SideState {
  ep: TcpEndpoint;
  next: number;
  ipId: number;
}

export class TcpSession {
  private readonly sides: Record<TcpSide, SideState>;
  private readonly df: boolean;

  constructor(client: TcpEndpoint, server: TcpEndpoint, opts: { df?: boolean } = {}) {
    this.sides = {
      client: { ep: client, next: client.isn >>> 0, ipId: client.ipId ?? 0 },
      server: { ep: server, next: server.isn >>> 0, ipId: server.ipId ?? 0 },
    };
    // Linux sets DF on TCP (path MTU discovery), which is what makes
    // overlay MTU problems visible as ICMP frag-needed.
    this.df = opts.df ?? true;
  }

  port(side: TcpSide): number {
    return this.sides[side].ep.port;
  }

  /** Next sequence number `side` will send. */
  nextSeq(side: TcpSide): number {
    return this.sides[side].next;
  }

  private other(side: TcpSide): SideState {
    return this.sides[side === 'client' ? 'server' : 'client'];
  }

  /** One segment; advances `side`'s sequence by payload length (+1 for SYN/FIN) unless `seq` is given. */
  segment(side: TcpSide, payload: Buffer = Buffer.alloc(0), o: SegmentOptions = {}): Buffer {
    const me = this.sides[side];
    const peer = this.other(side);
    const flags = tcpFlags(o.flags ?? (payload.length > 0 ? 'P.' : '.'));
    const seq = o.seq ?? me.next;
    const pkt = ipTcp(
      {
        src: me.ep.ip,
        dst: peer.ep.ip,
        ttl: me.ep.ttl ?? 64,
        id: me.ipId,
        df: this.df,
        sport: me.ep.port,
        dport: peer.ep.port,
        seq,
        ack: flags & TCP_FLAG.ACK ? (o.ack ?? peer.next) : 0,
        flags,
        window: o.window ?? me.ep.window ?? 64240,
        options: o.options,
      },
      payload,
    );
    me.ipId = (me.ipId + 1) & 0xffff;
    if (o.seq === undefined) {
      // SYN and FIN each take one sequence number.
      const synFin = flags & (TCP_FLAG.SYN | TCP_FLAG.FIN) ? 1 : 0;
      me.next = (me.next + payload.length + synFin) >>> 0;
    }
    return pkt;
  }

  /** SYN, SYN-ACK, ACK. */
  handshake(o: { client?: TcpOption[]; server?: TcpOption[]; ack?: TcpOption[] } = {}): Buffer[] {
    return [
      this.segment('client', undefined, { flags: 'S', options: o.client }),
      this.segment('server', undefined, { flags: 'S.', options: o.server }),
      this.segment('client', undefined, { flags: '.', options: o.ack }),
    ];
  }

  /**
   * `data` as consecutive segments cut at `cuts`; PSH on the last one, as a
   * sender flushing one write does.
   */
  send(side: TcpSide, data: Buffer, o: { cuts?: readonly number[]; options?: TcpOption[] } = {}): Buffer[] {
    const parts = splitAt(data, o.cuts ?? []);
    return parts.map((p, i) => this.segment(side, p, { flags: i === parts.length - 1 ? 'P.' : '.', options: o.options }));
  }

  ack(side: TcpSide, options?: TcpOption[]): Buffer {
    return this.segment(side, undefined, { flags: '.', options });
  }

  fin(side: TcpSide, options?: TcpOption[]): Buffer {
    return this.segment(side, undefined, { flags: 'F.', options });
  }

  rst(side: TcpSide): Buffer {
    return this.segment(side, undefined, { flags: 'R.' });
  }
}
