import { useInput, type Key } from 'ink';
import { useCallback, useRef } from 'react';
import { splitKeys, type KeyToken } from './key-chunks.js';

/**
 * useInput, one key at a time, each handled by the latest render's handler. Keys typed
 * faster than the UI redraws (or sent together by tmux, or pasted) arrive in one read or
 * back to back, and each must see what the one before it did: the first is handled at
 * once, each next one after the redraw the previous caused (a few turns at most, as some
 * keys change nothing). Call it on every render.
 */
export function useKeyQueue(handler: (input: string, key: Key) => void): void {
  const renders = useRef(0);
  renders.current++;
  const latest = useRef(handler);
  latest.current = handler;
  const queue = useRef<KeyToken[]>([]);
  const busy = useRef(false);
  const pump = useCallback(() => {
    const t = queue.current.shift();
    if (!t) {
      busy.current = false;
      return;
    }
    busy.current = true;
    const drawn = renders.current;
    latest.current(t.input, t.key);
    let turns = 0;
    const settle = () => (renders.current !== drawn || ++turns > 8 ? pump() : setTimeout(settle, 1));
    setImmediate(settle);
  }, []);
  useInput(
    useCallback(
      (input: string, key: Key) => {
        // ink strips the first ESC of a string it could not parse as one key.
        const several = input.length > 1 ? splitKeys(key.meta && /^[[O]/.test(input) ? '\u001b' + input : input) : [];
        queue.current.push(...(several.length > 1 ? several : [{ input, key }]));
        if (!busy.current) pump();
      },
      [pump],
    ),
  );
}
