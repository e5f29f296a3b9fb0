/** Why a live capture could not start; `kind` lets callers pick an exit code or a hint. */
export type LiveCaptureErrorKind = 'permission' | 'no-interface' | 'no-engine' | 'usage' | 'engine';

export class LiveCaptureError extends Error {
  constructor(
    readonly kind: LiveCaptureErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'LiveCaptureError';
  }
}
