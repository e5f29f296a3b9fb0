import { bgpKeepalive, bgpNotification, bgpOpen, ethernet, ETHERTYPE } from '../../src/craft/index.js';
import { TcpSession } from '../../src/craft/tcp-stream.js';
import type { Capture, Node } from './scenario.js';

/** How a crafted BGP session ends: still up, closed by a NOTIFICATION, reset, or never answered. */
export type SessionEnd = 'up' | { notification: { code: number; subcode?: number; from: 'client' | 'server' } } | { reset: 'client' | 'server' };

export interface SessionOptions {
  /** Client source port: one per TCP connection. */
  sport: number;
  /** Hold time each side offers in its OPEN. */
  hold?: number;
  serverHold?: number;
  /** Seconds between KEEPALIVEs of each side. */
  keepalive?: number;
  /** Seconds the session stays up before its end. */
  duration: number;
  /** After this many seconds the server stops sending KEEPALIVEs (a hung daemon). */
  serverSilentAfter?: number;
  end?: SessionEnd;
  asn?: number;
  /** UPDATE messages the server sends once the session is up. */
  serverUpdates?: Buffer[];
}

/** IP packets between two nodes' underlay addresses, framed as on the wire between them. */
function framed(c: Capture, from: Node, to: Node, t: number, ip: Buffer): void {
  c.add(t, ethernet({ src: from.mac, dst: to.mac, type: ETHERTYPE.IPV4 }, ip));
}

/**
 * A BGP session as BIRD runs it between two Calico nodes: TCP handshake from `client`,
 * OPENs both ways, KEEPALIVEs every `keepalive` seconds, then the chosen end. Returns
 * the time of the last packet.
 */
export function bgpSession(c: Capture, client: Node, server: Node, t0: number, o: SessionOptions): number {
  const s = new TcpSession({ ip: client.ip, port: o.sport, isn: 1000 + o.sport }, { ip: server.ip, port: 179, isn: 9000 + o.sport });
  const peer = (side: 'client' | 'server') => (side === 'client' ? [client, server] : [server, client]) as [Node, Node];
  let t = t0;
  const send = (side: 'client' | 'server', ip: Buffer) => {
    const [from, to] = peer(side);
    framed(c, from, to, (t += 0.001), ip);
  };
  const [syn, synAck, ack] = s.handshake();
  send('client', syn!);
  send('server', synAck!);
  send('client', ack!);
  const asn = o.asn ?? 64512;
  send('client', s.segment('client', bgpOpen({ asn, holdTime: o.hold ?? 90, bgpId: client.ip }), { flags: 'P.' }));
  send('server', s.segment('server', bgpOpen({ asn, holdTime: o.serverHold ?? o.hold ?? 90, bgpId: server.ip }), { flags: 'P.' }));
  send('client', s.segment('client', bgpKeepalive(), { flags: 'P.' }));
  send('server', s.segment('server', bgpKeepalive(), { flags: 'P.' }));
  for (const u of o.serverUpdates ?? []) send('server', s.segment('server', u, { flags: 'P.' }));
  const every = o.keepalive ?? 30;
  for (let k = every; k <= o.duration; k += every) {
    t = t0 + k;
    send('client', s.segment('client', bgpKeepalive(), { flags: 'P.' }));
    if (o.serverSilentAfter === undefined || k <= o.serverSilentAfter) send('server', s.segment('server', bgpKeepalive(), { flags: 'P.' }));
    else send('server', s.ack('server'));
  }
  t = Math.max(t, t0 + o.duration);
  const end = o.end ?? 'up';
  if (end === 'up') return t;
  if ('notification' in end) {
    const side = end.notification.from;
    send(side, s.segment(side, bgpNotification({ code: end.notification.code, subcode: end.notification.subcode ?? 0 }), { flags: 'P.' }));
    send(side, s.fin(side));
    const other = side === 'client' ? 'server' : 'client';
    send(other, s.fin(other));
    send(side, s.ack(side));
  } else {
    send(end.reset, s.rst(end.reset));
  }
  return t;
}

/** SYNs to port 179 retransmitted with the kernel's backoff; `reset` answers each with a RST. */
export function bgpConnectAttempts(c: Capture, client: Node, server: Node, t0: number, sport: number, tries: number, reset: boolean): void {
  for (let k = 0; k < tries; k++) {
    // A refused connect is retried by BIRD from a new port; an unanswered SYN is retransmitted on the same one.
    const s = new TcpSession({ ip: client.ip, port: reset ? sport + k : sport, isn: 77 }, { ip: server.ip, port: 179, isn: 88 });
    const [syn] = s.handshake();
    const t = t0 + (reset ? 5 * k : k === 0 ? 0 : 2 ** (k - 1));
    framed(c, client, server, t, syn!);
    if (reset) framed(c, server, client, t + 0.0005, s.rst('server'));
  }
}

/** Sessions crafted one after another overlap in time; a capture has them in time order. */
export function inTimeOrder(c: Capture): Capture {
  const out = new (c.constructor as new (name: string) => Capture)(c.name);
  for (const p of [...c.packets].sort((a, b) => a.t - b.t)) out.add(p.t, p.data);
  return out;
}
