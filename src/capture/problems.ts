/**
 * What went wrong while reading a capture. Damage inside a file is a CaptureProblem (the
 * records around it are still delivered); a file that cannot be read at all is a
 * CaptureOpenError thrown by CaptureReader.open.
 */

export interface CaptureProblem {
  file: string;
  /** Byte offset in the (decompressed) stream where the damage starts. */
  offset: number;
  /** Frame number the problem concerns, when it concerns one. */
  packet?: number;
  severity: 'error' | 'warning';
  message: string;
}

/** The input is not a capture we can read: missing, unreadable, unknown format or version. */
export class CaptureOpenError extends Error {
  readonly file: string;
  constructor(file: string, what: string) {
    super(`${file}: ${what}`);
    this.name = 'CaptureOpenError';
    this.file = file;
  }
}

/** Problems listed one by one before the rest are only counted. */
export const MAX_LISTED_PROBLEMS = 100;

/**
 * The reader's problem list. It only ever grows (consumers report new entries by index as
 * they appear), and a hostile file cannot make it grow without bound: after
 * MAX_LISTED_PROBLEMS entries one summary entry is appended and updated in place.
 */
export class ProblemLog {
  readonly list: CaptureProblem[] = [];
  private readonly onceKeys = new Set<string>();
  private summary: CaptureProblem | null = null;
  private unlisted = 0;

  constructor(readonly file: string) {}

  get count(): number {
    return Math.min(this.list.length, MAX_LISTED_PROBLEMS) + this.unlisted;
  }

  /** The most recent problem's message, listed or not. */
  lastMessage = '';

  add(severity: 'error' | 'warning', offset: number, message: string, packet?: number): void {
    this.lastMessage = message;
    if (this.list.length < MAX_LISTED_PROBLEMS) {
      const p: CaptureProblem = { file: this.file, offset, severity, message };
      if (packet !== undefined) p.packet = packet;
      this.list.push(p);
      return;
    }
    this.unlisted++;
    if (this.summary === null) {
      this.summary = { file: this.file, offset, severity, message: '' };
      this.list.push(this.summary);
    }
    if (severity === 'error') this.summary.severity = 'error';
    this.summary.message = `${this.unlisted} more problem${this.unlisted === 1 ? '' : 's'} not listed (first at offset ${this.summary.offset}, last at offset ${offset})`;
  }

  /** Report a kind of problem only the first time it is seen (e.g. invalid timestamp fractions). */
  once(key: string, severity: 'error' | 'warning', offset: number, message: string, packet?: number): void {
    if (this.onceKeys.has(key)) return;
    this.onceKeys.add(key);
    this.add(severity, offset, message, packet);
  }
}
