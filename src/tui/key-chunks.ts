import type { Key } from 'ink';

/** One key of a chunk: what useInput would have given for it alone; or a turn of the mouse wheel. */
export interface KeyToken {
  input: string;
  key: Key;
  /** Mouse wheel: -1 up (towards the start), 1 down. */
  wheel?: -1 | 1;
}

/**
 * xterm mouse reporting: 1000 reports presses (the wheel is buttons 4 and 5), 1006 has
 * them sent as `ESC [ < button ; column ; row M|m` rather than as raw bytes that can pass
 * for text. Terminals without 1006 send `ESC [ M` and three bytes.
 */
export const MOUSE_ON = '\u001b[?1000h\u001b[?1006h';
export const MOUSE_OFF = '\u001b[?1006l\u001b[?1000l';

/** A mouse report, the leading ESC optional (ink strips it): `[<64;12;5M`. */
const SGR_MOUSE = /^\u001b?\[<(\d{1,4});\d{1,5};\d{1,5}[Mm]$/;
/** The start of a legacy report: three bytes (button, column, row, each + 32) follow. */
export const X10_MOUSE_PREFIX = /^\u001b?\[M$/;
export const X10_PAYLOAD = 3;

/** The wheel direction a mouse button code stands for; 0 for any other button, motion or release. */
function wheelOf(button: number, released: boolean): -1 | 0 | 1 {
  // Bit 6 is the wheel; bits 2-4 are Shift/Meta/Ctrl held, bit 5 motion, bit 7 the extra buttons.
  if (released || (button & 0b1110_0000) !== 0b0100_0000) return 0;
  const b = button & 3;
  return b === 0 ? -1 : b === 1 ? 1 : 0;
}

/**
 * A whole input event that is an SGR mouse report: its wheel direction (0 for clicks and
 * the like, which the UI ignores); null when the event is not a mouse report.
 */
export function sgrMouse(event: string): -1 | 0 | 1 | null {
  const m = SGR_MOUSE.exec(event);
  if (!m) return null;
  return wheelOf(Number(m[1]), event.endsWith('m'));
}

/** The wheel direction of a legacy report's first payload byte. */
export function x10Wheel(buttonByte: string): -1 | 0 | 1 {
  return wheelOf(buttonByte.charCodeAt(0) - 32, false);
}

/** A key with nothing held or pressed: the base of every token. */
export const NONE_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

const CSI: Record<string, Partial<Key>> = {
  A: { upArrow: true },
  B: { downArrow: true },
  C: { rightArrow: true },
  D: { leftArrow: true },
  H: { home: true },
  F: { end: true },
  '1~': { home: true },
  '4~': { end: true },
  '5~': { pageUp: true },
  '6~': { pageDown: true },
  '3~': { delete: true },
};

/**
 * Split a chunk of terminal input into keys. A terminal (or tmux, or a slow UI) can hand
 * over several keys in one read — `\x1b[B\x1b[B\r` for ↓↓Enter — which ink passes on as
 * one string; each is given its own key here. Mouse reports become wheel turns or nothing,
 * never characters. Unknown escape sequences are dropped.
 */
export function splitKeys(raw: string): KeyToken[] {
  const out: KeyToken[] = [];
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === '\u001b') {
      const next = raw[i + 1];
      if (next === '[' && raw[i + 2] === 'M') {
        const wheel = i + 3 < raw.length ? x10Wheel(raw[i + 3]!) : 0;
        if (wheel !== 0) out.push({ input: '', key: { ...NONE_KEY }, wheel });
        i += 3 + X10_PAYLOAD;
        continue;
      }
      if (next === '[' || next === 'O') {
        let j = i + 2;
        while (j < raw.length && !/[@-~]/.test(raw[j]!)) j++;
        const body = raw.slice(i + 2, j + 1);
        const mouse = next === '[' ? sgrMouse('[' + body) : null;
        if (mouse !== null) {
          if (mouse !== 0) out.push({ input: '', key: { ...NONE_KEY }, wheel: mouse });
          i = j + 1;
          continue;
        }
        const k = CSI[body] ?? CSI[body.replace(/^1;\d/, '')];
        if (k) out.push({ input: '', key: { ...NONE_KEY, ...k } });
        i = j + 1;
        continue;
      }
      out.push({ input: '', key: { ...NONE_KEY, escape: true, meta: true } });
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') out.push({ input: '', key: { ...NONE_KEY, return: true } });
    else if (c === '\t') out.push({ input: '', key: { ...NONE_KEY, tab: true } });
    else if (c === '\u007f' || c === '\b') out.push({ input: '', key: { ...NONE_KEY, backspace: true } });
    else if (c < ' ') out.push({ input: String.fromCharCode(c.charCodeAt(0) + 96), key: { ...NONE_KEY, ctrl: true } });
    else out.push({ input: c, key: { ...NONE_KEY, shift: /[A-Z]/.test(c) } });
    i++;
  }
  return out;
}
