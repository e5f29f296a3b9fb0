/**
 * Ring file names, as tcpdump's -C/-W make them: the base name with the file number
 * appended, zero-padded to the width of the largest number (capture.pcap0 ... capture.pcap9,
 * capture.pcap00 ... capture.pcap15). Numbers cycle: after the last file the first is
 * overwritten, so exactly N files exist once the ring has gone round; the newest is the
 * most recently modified.
 */

export interface RingOptions {
  /** Files kept; Infinity numbers them without end. */
  files: number;
  /** A file is closed before it would grow past this many bytes (tcpdump's -C unit is 1,000,000 bytes). */
  bytes: number;
}

export function ringFileName(base: string, index: number, files: number): string {
  const width = Number.isFinite(files) ? String(files - 1).length : 1;
  return base + String(index).padStart(width, '0');
}
