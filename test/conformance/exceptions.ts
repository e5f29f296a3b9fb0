/**
 * Where netdiag's -T fields output is allowed to differ from tshark's, and why.
 *
 * Each entry covers one capture (its base name), one field and, where the difference is
 * confined to some packets, just those frames. Keep entries narrow: a new difference
 * anywhere else fails the conformance test.
 *
 * Settled on both sides rather than listed here:
 * - tshark runs with `-o ip.defragment:FALSE -o ipv6.defragment:FALSE`: netdiag does not
 *   reassemble IP fragments (it dissects the first fragment's headers only), and with
 *   reassembly on, tshark shows the upper layers in the last fragment instead.
 * - tshark gets `-d udp.port==8472,vxlan` (Linux/flannel VXLAN port; netdiag decodes it by
 *   default) and `-d udp.port==8285,ip` (flannel's UDP backend: raw IPv4 in UDP).
 */
export interface ConformanceException {
  /** Base name of the capture (fixture or corpus file). */
  file: string;
  field: string;
  /** Frame numbers covered; all frames of the file when absent. */
  frames?: readonly number[];
  /**
   * What may differ. `tshark-deeper`: tshark dissects on into a protocol netdiag stops at,
   * so netdiag's occurrences must be exactly tshark's first ones and only tshark's extra
   * (inner) occurrences are missing. `any`: the values may differ.
   */
  allow: 'tshark-deeper' | 'any';
  reason: string;
}

/** One entry per field, for a difference that touches several fields the same way. */
function each(file: string, fields: readonly string[], allow: ConformanceException['allow'], reason: string, frames?: readonly number[]): ConformanceException[] {
  return fields.map((field) => ({ file, field, allow, reason, ...(frames ? { frames } : {}) }));
}

/** Every field the comparison prints for the headers inside a tunnel. */
const INNER_IP = ['ip.src', 'ip.dst', 'ip.proto', 'ip.ttl', 'ip.id', 'ip.flags.df', 'ip.frag_offset', 'ip.len'];
const INNER_ICMP = ['icmp.type', 'icmp.code'];
const INNER_UDP = ['udp.srcport', 'udp.dstport', 'udp.length'];

const CISCO_METADATA =
  'GRE protocol 0x8909 (Cisco MetaData, here carrying GRE keepalives and pings): tshark dissects the packet inside; netdiag does not know the protocol and stops at GRE.';
const NSH =
  'NSH (Network Service Header, service function chaining) inside VXLAN-GPE: tshark dissects the IP packet inside NSH; netdiag names VXLAN-GPE and does not dissect NSH.';
const FIRST_FRAGMENT =
  'First fragments of fragmented UDP datagrams (MF set, offset 0). With IP reassembly off, tshark dissects the UDP header in the first fragment; with it on (its default) it shows UDP in the last fragment instead. netdiag dissects the transport layer of whole datagrams only, so neither placement is more right: the UDP fields are only in tshark\'s output.';

const CISCO_METADATA_FRAMES = [11, 16, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 41, 46, 64, 67, 70, 73, 87, 92];
const AFS_FIRST_FRAGMENTS = [
  125, 129, 134, 138, 143, 147, 152, 156, 161, 165, 170, 174, 179, 183, 188, 192, 197, 201, 206, 210, 215, 219, 226, 230, 235, 239, 244, 248, 253, 257, 262,
  266, 271, 275, 290, 294, 299, 303, 308, 312, 317, 321, 326, 330, 335, 339, 344, 348, 353, 357, 362,
];

const QUOTED_V6_FRAGMENT =
  'The ICMPv6 error quotes the first fragment of an IPv6 datagram. With reassembly off, tshark dissects past the quoted fragment header into the next header; netdiag treats a quoted fragment as it treats any fragment (headers up to the fragment header, nothing of the payload), so only tshark has the extra ipv6.nxt value.';

export const EXCEPTIONS: readonly ConformanceException[] = [
  ...each('icmpv6-rfc7112.pcap', ['ipv6.nxt'], 'tshark-deeper', QUOTED_V6_FRAGMENT),
  ...each('various_gre.pcap', [...INNER_IP, ...INNER_ICMP, 'gre.proto', 'gre.key'], 'tshark-deeper', CISCO_METADATA, CISCO_METADATA_FRAMES),
  ...each('nsh-over-vxlan-gpe.pcap', [...INNER_IP, ...INNER_UDP], 'tshark-deeper', NSH),
  ...each('afs.pcap', INNER_UDP, 'tshark-deeper', FIRST_FRAGMENT, AFS_FIRST_FRAGMENTS),
];

function isPrefix(ours: string, theirs: string): boolean {
  const a = ours === '' ? [] : ours.split(',');
  const b = theirs === '' ? [] : theirs.split(',');
  return a.length < b.length && a.every((v, k) => v === b[k]);
}

/** The exception that allows this difference, if any. */
export function excepted(file: string, field: string, frame: number, ours: string, theirs: string): ConformanceException | undefined {
  return EXCEPTIONS.find(
    (e) =>
      e.file === file &&
      e.field === field &&
      (e.frames === undefined || e.frames.includes(frame)) &&
      (e.allow === 'any' || isPrefix(ours, theirs)),
  );
}

/** Exceptions that allowed a difference in this run (an unused one should be removed). */
export const used = new Set<ConformanceException>();
