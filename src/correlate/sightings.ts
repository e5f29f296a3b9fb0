import type { PacketView } from '../decode/packet-view.js';
import type { PacketFacts } from '../analysis/facts.js';
import { ADDRESS_WORDS, foldAddr, hashWords, identityWords, innerIcmp, innerPorts, payloadHash, SEED_HI, SEED_LO, SEED_NAT } from './identity.js';

/**
 * Every IP packet of one capture as a row of typed arrays: its identity, where and when
 * it was seen and how it was wrapped. Structured-cloneable, so a worker hands it back
 * whole; nothing per packet is an object.
 */
export interface SightingTable {
  capture: string;
  count: number;
  /** Sightings stopped at `limit`: later packets of the capture are not followed. */
  truncated: boolean;
  limit: number;
  /** Header identity (64 bits), the address- and port-free NAT key, payload prefix hash (0 unknown). */
  keyHi: Uint32Array;
  keyLo: Uint32Array;
  nat: Uint32Array;
  payload: Uint32Array;
  time: Float64Array;
  frame: Uint32Array;
  iface: Uint32Array;
  /** Inner addresses (IPv4; IPv6 folded to one word and flagged in `flags`). */
  src: Uint32Array;
  dst: Uint32Array;
  /** sport << 16 | dport. */
  ports: Uint32Array;
  proto: Uint8Array;
  /** Inner IP total length. */
  size: Uint16Array;
  /** bits 0-1 direction (1 in, 2 out), bit 2 inner IPv6, bit 3 outer IPv6. */
  flags: Uint8Array;
  /** Tunnel kind (facts' TUNNEL_* numbering), outer addresses, VNI/key (-1 none). */
  tunnel: Uint8Array;
  outerSrc: Uint32Array;
  outerDst: Uint32Array;
  vni: Int32Array;
  /** For labels: TCP seq or ICMP id << 16 | seq; TCP ack or ICMP type << 8 | code; TCP flags. */
  aux1: Uint32Array;
  aux2: Uint32Array;
  tcpFlags: Uint16Array;
}

/** Default bound on sightings kept per capture (about 90 bytes each). */
export const DEFAULT_SIGHTING_LIMIT = 4_000_000;

const FLAG_V6 = 4;
const FLAG_OUTER_V6 = 8;

type Columns = Omit<SightingTable, 'capture' | 'count' | 'truncated' | 'limit'>;

function allocate(n: number): Columns {
  return {
    keyHi: new Uint32Array(n),
    keyLo: new Uint32Array(n),
    nat: new Uint32Array(n),
    payload: new Uint32Array(n),
    time: new Float64Array(n),
    frame: new Uint32Array(n),
    iface: new Uint32Array(n),
    src: new Uint32Array(n),
    dst: new Uint32Array(n),
    ports: new Uint32Array(n),
    proto: new Uint8Array(n),
    size: new Uint16Array(n),
    flags: new Uint8Array(n),
    tunnel: new Uint8Array(n),
    outerSrc: new Uint32Array(n),
    outerDst: new Uint32Array(n),
    vni: new Int32Array(n),
    aux1: new Uint32Array(n),
    aux2: new Uint32Array(n),
    tcpFlags: new Uint16Array(n),
  };
}

const COLUMN_NAMES = Object.keys(allocate(0)) as Array<keyof Columns>;

/** Copy the first `n` rows of every column into columns of size `size`. */
function resize(c: Columns, n: number, size: number): Columns {
  const out = allocate(size);
  for (const k of COLUMN_NAMES) (out[k] as Uint32Array).set((c[k] as Uint32Array).subarray(0, n));
  return out;
}

/** Collects sightings during a capture's pass; allocation-free per packet except when growing. */
export class SightingCollector {
  private cols: Columns;
  private cap: number;
  private n = 0;
  private truncated = false;
  private readonly words = new Uint32Array(16);

  constructor(
    readonly capture: string,
    readonly limit = DEFAULT_SIGHTING_LIMIT,
  ) {
    this.cap = Math.min(4096, Math.max(1, limit));
    this.cols = allocate(this.cap);
  }

  add(f: PacketFacts, p: PacketView, time: number): void {
    if (f.innerIp < 0) return;
    if (this.n === this.cap) {
      if (this.cap >= this.limit) {
        this.truncated = true;
        return;
      }
      const next = Math.min(this.limit, this.cap * 2);
      this.cols = resize(this.cols, this.n, next);
      this.cap = next;
    }
    const c = this.cols;
    const i = this.n++;
    const w = this.words;
    const n = identityWords(f, w);
    const icmp = innerIcmp(f);
    c.keyHi[i] = hashWords(w, 0, n, SEED_HI);
    c.keyLo[i] = hashWords(w, 0, n, SEED_LO);
    // NAT rewrites addresses, ports and ICMP echo ids; the rest of the header stays.
    c.nat[i] = hashWords(w, ADDRESS_WORDS + 1, icmp ? n - 1 : n, SEED_NAT);
    c.payload[i] = payloadHash(p, f);
    c.time[i] = time;
    c.frame[i] = p.number;
    c.iface[i] = f.iface;
    c.src[i] = foldAddr(f.addr, 8);
    c.dst[i] = foldAddr(f.addr, 12);
    c.ports[i] = innerPorts(f);
    c.proto[i] = f.innerProto & 0xff;
    c.size[i] = f.innerIpLen;
    c.flags[i] = (f.direction & 3) | (f.innerV4 ? 0 : FLAG_V6) | (f.outerV4 ? 0 : FLAG_OUTER_V6);
    c.tunnel[i] = f.tunnelKind;
    if (f.tunnelKind !== 0) {
      c.outerSrc[i] = foldAddr(f.addr, 0);
      c.outerDst[i] = foldAddr(f.addr, 4);
    }
    c.vni[i] = f.tunnelId;
    if (icmp) {
      c.aux1[i] = ((f.icmpId << 16) | f.icmpSeq) >>> 0;
      c.aux2[i] = ((f.icmpType & 0xff) << 8) | (f.icmpCode & 0xff);
    } else {
      c.aux1[i] = f.tcpSeq;
      c.aux2[i] = f.tcpAck;
      c.tcpFlags[i] = f.tcpFlags;
    }
  }

  finish(): SightingTable {
    const cols = this.n === this.cap ? this.cols : resize(this.cols, this.n, this.n);
    return { capture: this.capture, count: this.n, truncated: this.truncated, limit: this.limit, ...cols };
  }
}

/** The ArrayBuffers of a table, for a worker's transfer list. */
export function sightingBuffers(t: SightingTable): ArrayBuffer[] {
  return COLUMN_NAMES.map((k) => (t[k] as Uint32Array).buffer as ArrayBuffer);
}

export const SIGHTING_FLAG_V6 = FLAG_V6;
export const SIGHTING_FLAG_OUTER_V6 = FLAG_OUTER_V6;

/** The sighting buffers among a pass's analyzer results (none when the path analyzer did not run). */
export function transferables(results: Record<string, unknown>): ArrayBuffer[] {
  const t = results['path'] as SightingTable | undefined;
  return t && t.keyHi instanceof Uint32Array ? sightingBuffers(t) : [];
}
