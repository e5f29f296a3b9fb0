/**
 * Link-layer header types as they appear in capture files (the LINKTYPE_ values of
 * https://www.tcpdump.org/linktypes.html), named as libpcap names them
 * (pcap_datalink_val_to_name without the DLT_ prefix) so messages read like tcpdump's.
 */

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** [name, description] by linktype number, as libpcap 1.10 (tcpdump's "link-type" line) has them. */
const TABLE: ReadonlyMap<number, readonly [string, string]> = new Map<number, readonly [string, string]>([
  [0, ['NULL', 'BSD loopback']],
  [1, ['EN10MB', 'Ethernet']],
  [6, ['IEEE802', 'Token ring']],
  [7, ['ARCNET', 'BSD ARCNET']],
  [8, ['SLIP', 'SLIP']],
  [9, ['PPP', 'PPP']],
  [10, ['FDDI', 'FDDI']],
  // Some BSDs wrote their DLT_RAW value (12, or 14 on OpenBSD) into files; Wireshark reads
  // both as raw IP (libpcap on Linux names only 12).
  [12, ['RAW', 'Raw IP']],
  [14, ['RAW', 'Raw IP']],
  [50, ['PPP_SERIAL', 'PPP over serial']],
  [51, ['PPP_ETHER', 'PPPoE']],
  [100, ['ATM_RFC1483', 'RFC 1483 LLC-encapsulated ATM']],
  [101, ['RAW', 'Raw IP']],
  [104, ['C_HDLC', 'Cisco HDLC']],
  [105, ['IEEE802_11', '802.11']],
  [107, ['FRELAY', 'Frame Relay']],
  [108, ['LOOP', 'OpenBSD loopback']],
  [113, ['LINUX_SLL', 'Linux cooked v1']],
  [114, ['LTALK', 'Localtalk']],
  [117, ['PFLOG', 'OpenBSD pflog file']],
  [119, ['PRISM_HEADER', '802.11 plus Prism header']],
  [122, ['IP_OVER_FC', 'RFC 2625 IP-over-Fibre Channel']],
  [127, ['IEEE802_11_RADIO', '802.11 plus radiotap header']],
  [138, ['APPLE_IP_OVER_IEEE1394', 'Apple IP-over-IEEE 1394']],
  [143, ['DOCSIS', 'DOCSIS']],
  [144, ['LINUX_IRDA', 'Linux IrDA']],
  [163, ['IEEE802_11_RADIO_AVS', '802.11 plus AVS radio information header']],
  [166, ['PPP_PPPD', 'PPP for pppd, with direction flag']],
  [169, ['GPRS_LLC', 'GPRS LLC']],
  [177, ['LINUX_LAPD', 'Linux vISDN LAPD']],
  [187, ['BLUETOOTH_HCI_H4', 'Bluetooth HCI UART transport layer']],
  [189, ['USB_LINUX', 'USB with Linux header']],
  [192, ['PPI', 'Per-Packet Information']],
  [195, ['IEEE802_15_4', 'IEEE 802.15.4 with FCS']],
  [197, ['ERF', 'Endace ERF header']],
  [201, ['BLUETOOTH_HCI_H4_WITH_PHDR', 'Bluetooth HCI UART transport layer plus pseudo-header']],
  [215, ['IEEE802_15_4_NONASK_PHY', 'IEEE 802.15.4 with non-ASK PHY data']],
  [220, ['USB_LINUX_MMAPPED', 'USB with padded Linux header']],
  [226, ['IPNET', 'Solaris ipnet']],
  [227, ['CAN_SOCKETCAN', 'CAN-bus with SocketCAN headers']],
  [228, ['IPV4', 'Raw IPv4']],
  [229, ['IPV6', 'Raw IPv6']],
  [230, ['IEEE802_15_4_NOFCS', 'IEEE 802.15.4 without FCS']],
  [231, ['DBUS', 'D-Bus']],
  [239, ['NFLOG', 'Linux netfilter log messages']],
  [240, ['NETANALYZER', 'Ethernet with Hilscher netANALYZER pseudo-header']],
  [241, ['NETANALYZER_TRANSPARENT', 'Ethernet with Hilscher netANALYZER pseudo-header and with preamble and SFD']],
  [242, ['IPOIB', 'RFC 4391 IP-over-Infiniband']],
  [243, ['MPEG_2_TS', 'MPEG-2 transport stream']],
  [247, ['INFINIBAND', 'InfiniBand']],
  [248, ['SCTP', 'SCTP']],
  [249, ['USBPCAP', 'USB with USBPcap header']],
  [251, ['BLUETOOTH_LE_LL', 'Bluetooth Low Energy air interface']],
  [253, ['NETLINK', 'Linux netlink']],
  [254, ['BLUETOOTH_LINUX_MONITOR', 'Bluetooth Linux Monitor']],
  [256, ['BLUETOOTH_LE_LL_WITH_PHDR', 'Bluetooth Low Energy air interface with pseudo-header']],
  [258, ['PKTAP', 'Apple DLT_PKTAP']],
  [259, ['EPON', 'Ethernet with 802.3 Clause 65 EPON preamble']],
  [263, ['WATTSTOPPER_DLM', 'WattStopper Digital Lighting Management (DLM) and Legrand Nitoo Open protocol']],
  [264, ['ISO_14443', 'ISO 14443 messages']],
  [266, ['USB_DARWIN', 'USB with Darwin header']],
  [268, ['SDLC', 'IBM SDLC frames']],
  [271, ['VSOCK', 'Linux vsock']],
  [272, ['NORDIC_BLE', 'Nordic Semiconductor Bluetooth LE sniffer frames']],
  [274, ['ETHERNET_MPACKET', '802.3br mPackets']],
  [275, ['DISPLAYPORT_AUX', 'DisplayPort AUX channel monitoring data']],
  [276, ['LINUX_SLL2', 'Linux cooked v2']],
  [278, ['OPENVIZSLA', 'OpenVizsla USB']],
  [279, ['EBHSCR', 'Elektrobit High Speed Capture and Replay (EBHSCR)']],
  [280, ['VPP_DISPATCH', 'VPP graph dispatch tracer']],
  [281, ['DSA_TAG_BRCM', 'Broadcom tag']],
  [282, ['DSA_TAG_BRCM_PREPEND', 'Broadcom tag (prepended)']],
  [283, ['IEEE802_15_4_TAP', 'IEEE 802.15.4 with pseudo-header']],
  [284, ['DSA_TAG_DSA', 'Marvell DSA']],
  [285, ['DSA_TAG_EDSA', 'Marvell EDSA']],
  [286, ['ELEE', 'ELEE lawful intercept packets']],
  [287, ['Z_WAVE_SERIAL', 'Z-Wave serial frames between host and chip']],
  [288, ['USB_2_0', 'USB 2.0/1.1/1.0 as transmitted over the cable']],
  [289, ['ATSC_ALP', 'ATSC Link-Layer Protocol packets']],
]);

/** The linktypes netdiag's dissectors start from; the decoder reports the others as unknown. */
export const DECODED_LINKTYPES: readonly number[] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

/** libpcap's name for a linktype, e.g. EN10MB, LINUX_SLL2; `LINKTYPE_<n>` when unknown. */
export function linktypeName(linktype: number): string {
  return TABLE.get(linktype)?.[0] ?? `LINKTYPE_${linktype}`;
}

/** Human description, e.g. "Linux cooked v1"; `unknown linktype <n>` when unknown. */
export function linktypeDescription(linktype: number): string {
  return TABLE.get(linktype)?.[1] ?? `unknown linktype ${linktype}`;
}

export function isKnownLinktype(linktype: number): boolean {
  return TABLE.has(linktype);
}

/** Linktype number for a libpcap name (case-insensitive, with or without DLT_/LINKTYPE_). */
export function linktypeByName(name: string): number | undefined {
  const n = name.toUpperCase().replace(/^(DLT_|LINKTYPE_)/, '');
  if (/^\d+$/.test(n)) return Number(n);
  for (const [k, v] of TABLE) if (v[0] === n && k !== 12 && k !== 14) return k;
  return undefined;
}
