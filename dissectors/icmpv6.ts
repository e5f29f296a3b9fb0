import type { ProtocolModule } from '../src/decode/dissector.js';
import { field, fixed, when } from '../src/decode/define.js';
import { foldChecksum, onesSum, u8, u16, u32, u48 } from '../src/decode/bytes.js';
import type { FieldSink } from '../src/decode/field-sink.js';
import { ipv6String, macFromBytes } from '../src/decode/format.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';
import { AUX_QUOTED } from './ipv4.js';
import { ipv6ChecksumDestination } from './ipv6.js';

/*
 * ICMPv6 (RFC 4443), Neighbor Discovery (RFC 4861), MLD (RFC 2710, RFC 3810)
 *  0                   1                   2                   3
 * |     Type      |     Code      |          Checksum             |
 * |                  Message body (by type) ...
 *   1, 3 unreachable / time exceeded: unused (4), invoking packet
 *   2 packet too big: MTU (4), invoking packet
 *   4 parameter problem: pointer (4), invoking packet
 *   128, 129 echo: identifier (2), sequence (2), data
 *   130-132 MLD: max response delay (2), reserved (2), multicast address (16)
 *   133 router solicitation: reserved (4), options
 *   134 router advertisement: hop limit, M|O|H|Prf|P flags, lifetime (2),
 *       reachable time (4), retransmission timer (4), options
 *   135 neighbor solicitation: reserved (4), target (16), options
 *   136 neighbor advertisement: R|S|O + reserved (4), target (16), options
 *   137 redirect: reserved (4), target (16), destination (16), options
 * ND options: | Type | Length (8-octet units) | data ... |
 *
 * Error messages quote the invoking packet, handed to IPv6 as a quoted layer
 * (AUX_QUOTED). The checksum covers an IPv6 pseudo-header; it is verified only for a
 * wholly captured message that is not itself quoted.
 */
const DST_UNREACH = 1;
const PACKET_TOO_BIG = 2;
const TIME_EXCEEDED = 3;
const PARAM_PROBLEM = 4;
const ECHO_REQUEST = 128;
const ECHO_REPLY = 129;
const MLD_QUERY = 130;
const MLD_REPORT = 131;
const MLD_DONE = 132;
const ROUTER_SOLICIT = 133;
const ROUTER_ADVERT = 134;
const NEIGHBOR_SOLICIT = 135;
const NEIGHBOR_ADVERT = 136;
const REDIRECT = 137;
const MLDV2_REPORT = 143;
/** Informational types up to here have Wireshark dissectors (many not reproduced by netdiag). */
const LAST_KNOWN_INFO = 162;

const OPT_SOURCE_LINKADDR = 1;
const OPT_TARGET_LINKADDR = 2;
const OPT_PREFIX = 3;
const OPT_MTU = 5;
const OPT_RDNSS = 25;
const OPT_ROUTE_INFO = 24;

/** Maximum options followed in one message (each is at least 8 bytes; this only bounds malformed input). */
const MAX_OPTIONS = 256;

let IPV6 = 0;
let A_CHECKSUM = 0;
let A_OPT_LEN = 0;

const isError = (t: number) => t >= DST_UNREACH && t <= PARAM_PROBLEM;

const typeOf = (p: PacketView, i: number) => u8(p.layerBuf[i]!, p.start[i]!);
const has = (p: PacketView, i: number, n: number) => p.end[i]! - p.start[i]! >= n;

/** A `when` predicate: the message type is one of `types` (built once per field). */
function isType(...types: number[]) {
  return (p: PacketView, i: number) => has(p, i, 1) && types.includes(typeOf(p, i));
}

/** Where the ND options start for this message type, or -1 for types without options. */
function optionsOffset(type: number): number {
  switch (type) {
    case ROUTER_SOLICIT:
      return 8;
    case ROUTER_ADVERT:
      return 16;
    case NEIGHBOR_SOLICIT:
    case NEIGHBOR_ADVERT:
      return 24;
    case REDIRECT:
      return 40;
    default:
      return -1;
  }
}

/** Length of the type's fixed part (before options, data or the invoking packet). */
function fixedLength(type: number): number {
  const opts = optionsOffset(type);
  if (opts > 0) return opts;
  if (type >= MLD_QUERY && type <= MLD_DONE) return 24;
  if (isError(type) || type === ECHO_REQUEST || type === ECHO_REPLY || type === MLDV2_REPORT) return 8;
  return 4;
}

/**
 * Reused cursor over the ND options: X.off is the current option, X.len its length in
 * bytes (type and length bytes included), X.limit the end of captured message bytes.
 */
const X = { b: Buffer.alloc(0) as Buffer, off: 0, end: 0, limit: 0, type: 0, len: 0, count: 0 };

function optFirst(p: PacketView, i: number): boolean {
  if (!has(p, i, 1)) return false;
  const at = optionsOffset(typeOf(p, i));
  if (at < 0) return false;
  X.b = p.layerBuf[i]!;
  X.off = p.start[i]! + at;
  X.end = p.end[i]!;
  X.limit = p.end[i]!;
  X.count = 0;
  return optMeasure();
}

function optMeasure(): boolean {
  // Type and length are read before anything of the option is shown.
  if (X.off >= X.end || X.off + 2 > X.limit || X.count >= MAX_OPTIONS) return false;
  X.type = u8(X.b, X.off);
  X.len = u8(X.b, X.off + 1) * 8;
  return true;
}

function optNext(): boolean {
  // A zero length would never advance: Wireshark stops there.
  if (X.len === 0) return false;
  X.off += X.len;
  X.count++;
  return optMeasure();
}

/** Emit something for each option (of `type`, when given) whose bytes [at, at + n) were captured. */
function optField(name: string, label: string, ftype: 'uint' | 'bytes' | 'ipv6' | 'ether' | 'none' | 'bool', emit: (out: FieldSink) => void, opts: { base?: 'hex'; bits?: number } = {}) {
  return field(
    name,
    label,
    ftype,
    (p, i, out) => {
      if (!optFirst(p, i)) return;
      do emit(out);
      while (optNext());
    },
    opts,
  );
}

const optHas = (at: number, n: number) => X.len >= at + n && X.off + at + n <= X.limit;

/**
 * A route information prefix is 0, 8 or 16 bytes, shown zero-extended to an address:
 * shorter ones are copied into one of a few scratch buffers (values of one getter call
 * are formatted before the ring comes round again).
 */
const SCRATCH = Array.from({ length: 8 }, () => Buffer.alloc(16));
let scratchNext = 0;
function pushRoutePrefix(out: FieldSink): void {
  const n = X.len - 8;
  if (n <= 0 || X.off + X.len > X.limit) return;
  if (n >= 16) {
    out.pushBytes(X.b, X.off + 8, 16);
    return;
  }
  const tmp = SCRATCH[scratchNext]!;
  scratchNext = (scratchNext + 1) % SCRATCH.length;
  tmp.fill(0);
  X.b.copy(tmp, 0, X.off + 8, X.off + 8 + n);
  out.pushBytes(tmp, 0, 16);
}

function pushLinkaddr(out: FieldSink, want: number): void {
  if (X.type !== OPT_SOURCE_LINKADDR && X.type !== OPT_TARGET_LINKADDR) return;
  if (want !== 0 && X.type !== want) return;
  if (X.len < 8) return;
  const n = X.len - 2;
  if (n === 6) {
    if (X.off + 8 <= X.limit) out.pushNum(u48(X.b, X.off + 2));
  } else if (X.off + 2 + n <= X.limit) {
    out.pushBytes(X.b, X.off + 2, n);
  }
}

/** The parent IPv6 layer (addresses for the pseudo-header, payload length), or -1. */
function parentIpv6(p: PacketView, i: number): number {
  const j = i - 1;
  return j >= 0 && p.proto[j] === IPV6 && p.hdrEnd[j]! - p.start[j]! >= 40 && p.layerBuf[j] === p.layerBuf[i] ? j : -1;
}

/** Bytes of the message as sent: the IPv6 payload after the extension headers, bounded by the frame. */
function reportedLength(p: PacketView, i: number): number {
  const s = p.start[i]!;
  const e = p.end[i]!;
  const onRecord = p.layerBuf[i] === p.buf;
  let rep = onRecord && e === p.base + p.capLen ? p.base + p.wireLen - s : e - s;
  const j = parentIpv6(p, i);
  if (j >= 0) {
    const plen = u16(p.layerBuf[j]!, p.start[j]! + 4);
    const end = p.start[j]! + 40 + plen;
    if (plen !== 0 && end - s < rep) rep = end - s;
  }
  return rep;
}

function verifyChecksum(p: PacketView, i: number, j: number): number {
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  const e = p.end[i]!;
  const ip = p.start[j]!;
  // Pseudo-header: source, final destination, upper-layer length, next header 58.
  const dst = ipv6ChecksumDestination(p, j);
  let sum = onesSum(p.layerBuf[j]!, ip + 8, ip + 24);
  sum = onesSum(p.layerBuf[j]!, dst, dst + 16, sum);
  const len = e - s;
  sum += Math.floor(len / 65536) + (len & 0xffff) + 58;
  sum = onesSum(b, s, e, sum);
  return foldChecksum(sum) === 0xffff ? 1 : 0;
}

/** 1 good, 0 bad, 2 not verified (quoted inside an error, cut short, or no IPv6 parent). */
function checksumStatus(p: PacketView, i: number): number {
  if ((p.aux[i]! & AUX_QUOTED) !== 0) return 2;
  const j = parentIpv6(p, i);
  if (j < 0) return 2;
  if (p.end[i]! - p.start[i]! < reportedLength(p, i)) return 2;
  return verifyChecksum(p, i, j);
}

/** An MLD query of 28 bytes or more is MLDv2 (RFC 3810 8.1). */
const isMldv2Query = (p: PacketView, i: number) => has(p, i, 1) && typeOf(p, i) === MLD_QUERY && reportedLength(p, i) >= 28;

const NA_FLAGS = (p: PacketView, i: number) => has(p, i, 8) && typeOf(p, i) === NEIGHBOR_ADVERT;

export const icmpv6: ProtocolModule = {
  dispatch: [['ip.proto', 58]],
  anomalies: {
    checksum_bad: ['warning', 'ICMPv6 checksum is wrong'],
    option_len_zero: ['error', 'ICMPv6 option with length 0'],
  },
  dissector: {
    name: 'icmpv6',
    label: 'ICMPv6',
    fields: [
      fixed('icmpv6.type', 'Type', 'uint', 0, 1, { within: 'layer' }),
      fixed('icmpv6.code', 'Code', 'uint', 1, 1, { within: 'layer' }),
      fixed('icmpv6.checksum', 'Checksum', 'uint', 2, 2, { base: 'hex', within: 'layer' }),
      field('icmpv6.checksum.status', 'Checksum Status', 'uint', (p, i, out) => {
        if (has(p, i, 4)) out.pushNum(checksumStatus(p, i));
      }, { names: { 0: 'Bad', 1: 'Good', 2: 'Unverified' } }),
      field('icmpv6.reserved', 'Reserved', 'bytes', (p, i, out) => {
        if (!has(p, i, 1)) return;
        const t = typeOf(p, i);
        const b = p.layerBuf[i]!;
        const s = p.start[i]!;
        if (t === DST_UNREACH || t === TIME_EXCEEDED || t === ROUTER_SOLICIT || t === NEIGHBOR_SOLICIT || t === REDIRECT) {
          if (has(p, i, 8)) out.pushBytes(b, s + 4, 4);
        } else if (t === MLD_QUERY || t === MLD_REPORT || t === MLD_DONE) {
          if (has(p, i, 8)) out.pushBytes(b, s + 6, 2);
        } else if (t === MLDV2_REPORT) {
          if (has(p, i, 6)) out.pushBytes(b, s + 4, 2);
        }
      }),
      when(isType(PACKET_TOO_BIG), fixed('icmpv6.mtu', 'MTU', 'uint', 4, 4, { within: 'layer' })),
      when(isType(PARAM_PROBLEM), fixed('icmpv6.pointer', 'Pointer', 'uint', 4, 4, { within: 'layer' })),
      when(isType(ECHO_REQUEST, ECHO_REPLY), fixed('icmpv6.echo.identifier', 'Identifier', 'uint', 4, 2, { base: 'hex', within: 'layer' })),
      when(isType(ECHO_REQUEST, ECHO_REPLY), fixed('icmpv6.echo.sequence_number', 'Sequence', 'uint', 6, 2, { within: 'layer' })),
      when((p, i) => isType(MLD_QUERY, MLD_REPORT, MLD_DONE)(p, i) && !isMldv2Query(p, i), fixed('icmpv6.mld.maximum_response_delay', 'Maximum Response Delay [ms]', 'uint', 4, 2, { within: 'layer' })),
      when(isMldv2Query, fixed('icmpv6.mld.maximum_response_code', 'Maximum Response Code', 'uint', 4, 2, { within: 'layer' })),
      when(isType(MLD_QUERY, MLD_REPORT, MLD_DONE), fixed('icmpv6.mld.multicast_address', 'Multicast Address', 'ipv6', 8, 16, { within: 'layer' })),
      when(isType(MLDV2_REPORT), fixed('icmpv6.mldr.nb_mcast_records', 'Number of Multicast Address Records', 'uint', 6, 2, { within: 'layer' })),
      when(isType(ROUTER_ADVERT), fixed('icmpv6.nd.ra.cur_hop_limit', 'Cur hop limit', 'uint', 4, 1, { within: 'layer' })),
      when(isType(ROUTER_ADVERT), fixed('icmpv6.nd.ra.flag', 'Flags', 'uint', 5, 1, { base: 'hex', within: 'layer' })),
      when(isType(ROUTER_ADVERT), fixed('icmpv6.nd.ra.flag.m', 'Managed address configuration', 'bool', 5, 1, { mask: 0x80, within: 'layer' })),
      when(isType(ROUTER_ADVERT), fixed('icmpv6.nd.ra.flag.o', 'Other configuration', 'bool', 5, 1, { mask: 0x40, within: 'layer' })),
      when(isType(ROUTER_ADVERT), fixed('icmpv6.nd.ra.flag.h', 'Home Agent', 'bool', 5, 1, { mask: 0x20, within: 'layer' })),
      when(isType(ROUTER_ADVERT), fixed('icmpv6.nd.ra.flag.prf', 'Prf (Default Router Preference)', 'uint', 5, 1, { mask: 0x18, within: 'layer' })),
      when(isType(ROUTER_ADVERT), fixed('icmpv6.nd.ra.flag.p', 'ND Proxy', 'bool', 5, 1, { mask: 0x04, within: 'layer' })),
      when(isType(ROUTER_ADVERT), fixed('icmpv6.nd.ra.flag.rsv', 'Reserved', 'uint', 5, 1, { mask: 0x03, within: 'layer' })),
      when(isType(ROUTER_ADVERT), fixed('icmpv6.nd.ra.router_lifetime', 'Router lifetime (s)', 'uint', 6, 2, { within: 'layer' })),
      when(isType(ROUTER_ADVERT), fixed('icmpv6.nd.ra.reachable_time', 'Reachable time (ms)', 'uint', 8, 4, { within: 'layer' })),
      when(isType(ROUTER_ADVERT), fixed('icmpv6.nd.ra.retrans_timer', 'Retrans timer (ms)', 'uint', 12, 4, { within: 'layer' })),
      when(isType(NEIGHBOR_SOLICIT), fixed('icmpv6.nd.ns.target_address', 'Target Address', 'ipv6', 8, 16, { within: 'layer' })),
      when(NA_FLAGS, fixed('icmpv6.nd.na.flag', 'Flags', 'uint', 4, 4, { base: 'hex', within: 'layer' })),
      when(NA_FLAGS, fixed('icmpv6.nd.na.flag.r', 'Router', 'bool', 4, 4, { mask: 0x80000000, within: 'layer' })),
      when(NA_FLAGS, fixed('icmpv6.nd.na.flag.s', 'Solicited', 'bool', 4, 4, { mask: 0x40000000, within: 'layer' })),
      when(NA_FLAGS, fixed('icmpv6.nd.na.flag.o', 'Override', 'bool', 4, 4, { mask: 0x20000000, within: 'layer' })),
      when(NA_FLAGS, fixed('icmpv6.nd.na.flag.rsv', 'Reserved', 'uint', 4, 4, { mask: 0x1fffffff, within: 'layer' })),
      when(isType(NEIGHBOR_ADVERT), fixed('icmpv6.nd.na.target_address', 'Target Address', 'ipv6', 8, 16, { within: 'layer' })),
      when(isType(REDIRECT), fixed('icmpv6.nd.rd.target_address', 'Target Address', 'ipv6', 8, 16, { within: 'layer' })),
      when(isType(REDIRECT), fixed('icmpv6.rd.na.destination_address', 'Destination Address', 'ipv6', 24, 16, { within: 'layer' })),
      field('icmpv6.data', 'Data', 'bytes', (p, i, out) => {
        if (!has(p, i, 5)) return;
        const t = typeOf(p, i);
        // Types Wireshark has no dissector for show everything after the checksum as data.
        if (isError(t) || (t >= ECHO_REQUEST && t <= LAST_KNOWN_INFO)) return;
        out.pushBytes(p.layerBuf[i]!, p.start[i]! + 4, p.end[i]! - p.start[i]! - 4);
      }),

      optField('icmpv6.opt', 'ICMPv6 Option', 'none', (out) => out.pushNum(1)),
      optField('icmpv6.opt.type', 'Type', 'uint', (out) => out.pushNum(X.type)),
      optField('icmpv6.opt.length', 'Length', 'uint', (out) => out.pushNum(X.len / 8)),
      optField('icmpv6.opt.linkaddr', 'Link-layer address', 'ether', (out) => pushLinkaddr(out, 0)),
      optField('icmpv6.opt.src_linkaddr', 'Source Link-layer address', 'ether', (out) => pushLinkaddr(out, OPT_SOURCE_LINKADDR)),
      optField('icmpv6.opt.target_linkaddr', 'Target Link-layer address', 'ether', (out) => pushLinkaddr(out, OPT_TARGET_LINKADDR)),
      optField('icmpv6.opt.mtu', 'MTU', 'uint', (out) => {
        if (X.type === OPT_MTU && optHas(4, 4)) out.pushNum(u32(X.b, X.off + 4));
      }),
      optField('icmpv6.opt.prefix.length', 'Prefix Length', 'uint', (out) => {
        if ((X.type === OPT_PREFIX || X.type === OPT_ROUTE_INFO) && optHas(2, 1)) out.pushNum(u8(X.b, X.off + 2));
      }),
      optField('icmpv6.opt.prefix.flag', 'Flag', 'uint', (out) => {
        if (X.type === OPT_PREFIX && optHas(3, 1)) out.pushNum(u8(X.b, X.off + 3));
      }, { base: 'hex', bits: 8 }),
      optField('icmpv6.opt.prefix.flag.l', 'On-link flag(L)', 'bool', (out) => {
        if (X.type === OPT_PREFIX && optHas(3, 1)) out.pushNum(u8(X.b, X.off + 3) & 0x80 ? 1 : 0);
      }),
      optField('icmpv6.opt.prefix.flag.a', 'Autonomous address-configuration flag(A)', 'bool', (out) => {
        if (X.type === OPT_PREFIX && optHas(3, 1)) out.pushNum(u8(X.b, X.off + 3) & 0x40 ? 1 : 0);
      }),
      optField('icmpv6.opt.prefix.valid_lifetime', 'Valid Lifetime', 'uint', (out) => {
        if (X.type === OPT_PREFIX && optHas(4, 4)) out.pushNum(u32(X.b, X.off + 4));
      }),
      optField('icmpv6.opt.prefix.preferred_lifetime', 'Preferred Lifetime', 'uint', (out) => {
        if (X.type === OPT_PREFIX && optHas(8, 4)) out.pushNum(u32(X.b, X.off + 8));
      }),
      optField('icmpv6.opt.prefix', 'Prefix', 'ipv6', (out) => {
        if (X.type === OPT_PREFIX && optHas(16, 16)) out.pushBytes(X.b, X.off + 16, 16);
        if (X.type === OPT_ROUTE_INFO) pushRoutePrefix(out);
      }),
      optField('icmpv6.opt.route_info.flag.route_preference', 'Route Preference', 'uint', (out) => {
        if (X.type === OPT_ROUTE_INFO && optHas(3, 1)) out.pushNum((u8(X.b, X.off + 3) >> 3) & 3);
      }),
      optField('icmpv6.opt.route_lifetime', 'Route Lifetime', 'uint', (out) => {
        if (X.type === OPT_ROUTE_INFO && optHas(4, 4)) out.pushNum(u32(X.b, X.off + 4));
      }),
      optField('icmpv6.opt.rdnss.lifetime', 'Lifetime', 'uint', (out) => {
        if (X.type === OPT_RDNSS && optHas(4, 4)) out.pushNum(u32(X.b, X.off + 4));
      }),
      optField('icmpv6.opt.rdnss', 'Recursive DNS Servers', 'ipv6', (out) => {
        if (X.type !== OPT_RDNSS) return;
        for (let at = 8; optHas(at, 16); at += 16) out.pushBytes(X.b, X.off + at, 16);
      }),
    ],
    init(reg: Registry) {
      IPV6 = reg.id('ipv6');
      A_CHECKSUM = reg.anomaly('icmpv6.checksum_bad');
      A_OPT_LEN = reg.anomaly('icmpv6.option_len_zero');
    },
    decode(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (e - s < 1) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      const type = u8(b, s);
      const fixedLen = fixedLength(type);
      p.hdrEnd[i] = s + fixedLen <= e ? s + fixedLen : e;
      if (e - s < fixedLen) {
        p.truncated(i);
        return;
      }
      if ((p.aux[i]! & AUX_QUOTED) === 0 && checksumStatus(p, i) === 0) p.anomaly(i, A_CHECKSUM);
      if (optFirst(p, i)) {
        do {
          if (X.len === 0) {
            p.anomaly(i, A_OPT_LEN);
            break;
          }
        } while (optNext());
      }
      if (!isError(type)) return;
      p.nextAux = p.aux[i]! | AUX_QUOTED;
      p.setNext(IPV6, s + 8, e);
    },
    summary(p, i) {
      if (!has(p, i, 4)) return 'ICMPv6 (truncated)';
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const t = typeOf(p, i);
      const enough = (n: number) => has(p, i, n);
      switch (t) {
        case ECHO_REQUEST:
        case ECHO_REPLY:
          return enough(8) ? `ICMPv6 echo ${t === ECHO_REQUEST ? 'request' : 'reply'} id=0x${u16(b, s + 4).toString(16).padStart(4, '0')} seq=${u16(b, s + 6)}` : 'ICMPv6 echo';
        case PACKET_TOO_BIG:
          return enough(8) ? `ICMPv6 packet too big, MTU ${u32(b, s + 4)}` : 'ICMPv6 packet too big';
        case NEIGHBOR_SOLICIT:
          return enough(24) ? `ICMPv6 neighbor solicitation for ${ipv6String(b, s + 8)}` : 'ICMPv6 neighbor solicitation';
        case NEIGHBOR_ADVERT: {
          if (!enough(24)) return 'ICMPv6 neighbor advertisement';
          let mac = '';
          if (optFirst(p, i)) {
            do if (X.type === OPT_TARGET_LINKADDR && X.len === 8 && X.off + 8 <= X.limit) mac = ` is at ${macFromBytes(X.b, X.off + 2)}`;
            while (optNext());
          }
          return `ICMPv6 neighbor advertisement ${ipv6String(b, s + 8)}${mac}`;
        }
        case ROUTER_SOLICIT:
          return 'ICMPv6 router solicitation';
        case ROUTER_ADVERT:
          return 'ICMPv6 router advertisement';
        default:
          return `ICMPv6 type ${t} code ${u8(b, s + 1)}`;
      }
    },
  },
};
