import type { Key } from 'ink';

/** One key of a chunk: what useInput would have given for it alone. */
export interface KeyToken {
  input: string;
  key: Key;
}

const NONE: Key = {
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
 * one string; each is given its own key here. Unknown escape sequences are dropped.
 */
export function splitKeys(raw: string): KeyToken[] {
  const out: KeyToken[] = [];
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === '\u001b') {
      const next = raw[i + 1];
      if (next === '[' || next === 'O') {
        let j = i + 2;
        while (j < raw.length && !/[@-~]/.test(raw[j]!)) j++;
        const body = raw.slice(i + 2, j + 1);
        const k = CSI[body] ?? CSI[body.replace(/^1;\d/, '')];
        if (k) out.push({ input: '', key: { ...NONE, ...k } });
        i = j + 1;
        continue;
      }
      out.push({ input: '', key: { ...NONE, escape: true, meta: true } });
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') out.push({ input: '', key: { ...NONE, return: true } });
    else if (c === '\t') out.push({ input: '', key: { ...NONE, tab: true } });
    else if (c === '\u007f' || c === '\b') out.push({ input: '', key: { ...NONE, backspace: true } });
    else if (c < ' ') out.push({ input: String.fromCharCode(c.charCodeAt(0) + 96), key: { ...NONE, ctrl: true } });
    else out.push({ input: c, key: { ...NONE, shift: /[A-Z]/.test(c) } });
    i++;
  }
  return out;
}
