import type { AnomalySeverity } from './dissector.js';

/**
 * Named anomalies (Wireshark's expert info, Zeek's weirds). Ids are stable strings such as
 * `ipv4.checksum_bad` or `tcp.truncated`; at run time each gets a small number so the hot
 * path records anomalies in a typed array.
 */
export interface AnomalyInfo {
  readonly id: string;
  readonly severity: AnomalySeverity;
  readonly description: string;
}

export class AnomalyTable {
  readonly list: AnomalyInfo[] = [{ id: 'none', severity: 'note', description: '' }];
  private readonly byId = new Map<string, number>();

  define(id: string, severity: AnomalySeverity, description: string): number {
    const known = this.byId.get(id);
    if (known !== undefined) return known;
    const n = this.list.length;
    this.list.push({ id, severity, description });
    this.byId.set(id, n);
    return n;
  }

  code(id: string): number {
    const n = this.byId.get(id);
    if (n === undefined) throw new Error(`unknown anomaly ${id}`);
    return n;
  }

  info(code: number): AnomalyInfo {
    return this.list[code] ?? this.list[0]!;
  }
}
