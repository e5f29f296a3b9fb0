/** tcpdump's closing counters, as it prints them on stderr when it exits. */
export interface TcpdumpCounters {
  captured: number | null;
  received: number | null;
  dropped: number | null;
  ifDropped: number | null;
}

function count(text: string, what: RegExp): number | null {
  const m = what.exec(text);
  return m ? Number(m[1]) : null;
}

/** Reads "N packets captured / received by filter / dropped by kernel / dropped by interface". */
export function parseTcpdumpCounters(stderr: string): TcpdumpCounters {
  return {
    captured: count(stderr, /^(\d+) packets? captured$/m),
    received: count(stderr, /^(\d+) packets? received by filter$/m),
    dropped: count(stderr, /^(\d+) packets? dropped by kernel$/m),
    ifDropped: count(stderr, /^(\d+) packets? dropped by interface$/m),
  };
}

/** tcpdump's stderr without its banner and counters: what is left is worth showing. */
export function tcpdumpMessages(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.replace(/^tcpdump: /, '').trim())
    .filter((l) => l !== '' && !/^listening on /.test(l) && !/^\d+ packets? (captured|received by filter|dropped by (kernel|interface))$/.test(l));
}
