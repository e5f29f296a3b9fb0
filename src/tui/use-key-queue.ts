import { useInput, type Key } from 'ink';
import { useCallback, useRef } from 'react';
import { NONE_KEY, sgrMouse, splitKeys, X10_MOUSE_PREFIX, X10_PAYLOAD, x10Wheel, type KeyToken } from './key-chunks.js';

/**
 * useInput, one key at a time, each handled by the latest render's handler. Keys typed
 * faster than the UI redraws (or sent together by tmux, or pasted) arrive in one read or
 * back to back, and each must see what the one before it did: the first is handled at
 * once, each next one after the redraw the previous caused (a few turns at most, as some
 * keys change nothing). Mouse wheel turns take the same queue, to `onWheel`; other mouse
 * reports are dropped. Call it on every render.
 */
export function useKeyQueue(handler: (input: string, key: Key) => void, onWheel?: (direction: -1 | 1) => void): void {
  const renders = useRef(0);
  renders.current++;
  const latest = useRef(handler);
  latest.current = handler;
  const latestWheel = useRef(onWheel);
  latestWheel.current = onWheel;
  const queue = useRef<KeyToken[]>([]);
  const busy = useRef(false);
  /** Bytes of a legacy mouse report still to come (its button byte first), which are not keys. */
  const x10 = useRef(0);
  const pump = useCallback(() => {
    const t = queue.current.shift();
    if (!t) {
      busy.current = false;
      return;
    }
    busy.current = true;
    const drawn = renders.current;
    if (t.wheel !== undefined) latestWheel.current?.(t.wheel);
    else latest.current(t.input, t.key);
    let turns = 0;
    const settle = () => (renders.current !== drawn || ++turns > 8 ? pump() : setTimeout(settle, 1));
    setImmediate(settle);
  }, []);
  useInput(
    useCallback(
      (raw: string, key: Key) => {
        let input = raw;
        if (x10.current > 0) {
          if (x10.current === X10_PAYLOAD && input.length > 0) {
            const wheel = x10Wheel(input);
            if (wheel !== 0) queue.current.push({ input: '', key: { ...NONE_KEY }, wheel });
          }
          const n = Math.min(x10.current, input.length);
          x10.current -= n;
          input = input.slice(n);
          if (input === '') {
            if (!busy.current) pump();
            return;
          }
        }
        // ink hands each escape sequence over alone, its ESC stripped.
        const mouse = sgrMouse(input);
        if (mouse !== null) {
          if (mouse !== 0) queue.current.push({ input: '', key: { ...NONE_KEY }, wheel: mouse });
        } else if (X10_MOUSE_PREFIX.test(input)) {
          x10.current = X10_PAYLOAD;
          return;
        } else {
          // ink strips the first ESC of a string it could not parse as one key.
          const several = input.length > 1 ? splitKeys(key.meta && /^[[O]/.test(input) ? '\u001b' + input : input) : [];
          queue.current.push(...(several.length > 1 ? several : [{ input, key }]));
        }
        if (!busy.current) pump();
      },
      [pump],
    ),
  );
}
