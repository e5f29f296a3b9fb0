import type { Severity } from '../analysis/finding.js';
import type { RowTone } from './capture-store.js';

/** Colours by meaning, so every view paints the same thing the same way. */
export const TONE_COLOR: Record<RowTone, string | undefined> = {
  error: 'red',
  warning: 'yellow',
  tunnel: 'cyan',
  tcp: 'green',
  udp: 'blueBright',
  icmp: 'magenta',
  arp: 'yellowBright',
  routing: 'greenBright',
  other: undefined,
};

export const SEVERITY_COLOR: Record<Severity, string> = { error: 'red', warning: 'yellow', info: 'gray' };

export const SEVERITY_LABEL: Record<Severity, string> = { error: 'ERROR', warning: 'WARN', info: 'INFO' };
