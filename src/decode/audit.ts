import { setAuditedReads } from './bytes.js';

let auditOn = false;

/**
 * Audit mode, for tests: every byte read is range-checked and decoder exceptions
 * propagate instead of becoming a `frame.decoder_error` anomaly.
 */
export function setAudit(on: boolean): void {
  auditOn = on;
  setAuditedReads(on);
}

export function audited(): boolean {
  return auditOn;
}
