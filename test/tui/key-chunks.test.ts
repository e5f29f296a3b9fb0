import { describe, expect, it } from 'vitest';
import { sgrMouse, splitKeys, x10Wheel } from '../../src/tui/key-chunks.js';

const names = (raw: string) =>
  splitKeys(raw).map(({ input, key, wheel }) => {
    if (wheel !== undefined) return wheel < 0 ? 'wheel-up' : 'wheel-down';
    const on = Object.entries(key)
      .filter(([, v]) => v === true)
      .map(([k]) => k)
      .filter((k) => k !== 'meta' && k !== 'shift');
    return input && !key.ctrl ? input : `${key.ctrl ? 'ctrl+' + input : ''}${on.filter((k) => k !== 'ctrl').join('+')}`;
  });

describe('splitKeys', () => {
  it('splits arrows, page keys, Enter, Tab and letters that arrived in one read', () => {
    expect(names('\u001b[B\u001b[B\r')).toEqual(['downArrow', 'downArrow', 'return']);
    expect(names('\u001b[5~\u001b[6~\tjk')).toEqual(['pageUp', 'pageDown', 'tab', 'j', 'k']);
    expect(names('\u001bOA\u001b[D\u001b[1;5C')).toEqual(['upArrow', 'leftArrow', 'rightArrow']);
  });

  it('keeps a filter typed after a slash as characters, with backspace and Ctrl-U as keys', () => {
    expect(names('/ip\u007f\u0015x\r')).toEqual(['/', 'i', 'p', 'backspace', 'ctrl+u', 'x', 'return']);
  });

  it('a lone Escape is Escape; an unknown sequence is dropped, not typed', () => {
    expect(names('\u001b')).toEqual(['escape']);
    expect(names('\u001b[200~q')).toEqual(['q']);
  });

  it('turns SGR (1006) wheel reports into wheel steps, with or without modifiers, among other keys', () => {
    // xterm: button 64 is wheel up, 65 wheel down; +4 Shift, +8 Meta, +16 Ctrl; column and row follow.
    expect(names('\u001b[<64;10;5M')).toEqual(['wheel-up']);
    expect(names('\u001b[<65;1;1M\u001b[<65;200;60M')).toEqual(['wheel-down', 'wheel-down']);
    expect(names('\u001b[<80;3;4M\u001b[<69;3;4M')).toEqual(['wheel-up', 'wheel-down']);
    expect(names('j\u001b[<65;10;5Mk\u001b[B')).toEqual(['j', 'wheel-down', 'k', 'downArrow']);
  });

  it('drops clicks, releases, drags and horizontal wheel reports without typing any of their characters', () => {
    // Left press and release, right press, a drag (motion bit), wheel left/right (66, 67).
    expect(names('\u001b[<0;10;5M\u001b[<0;10;5m\u001b[<2;1;1M\u001b[<32;4;4M\u001b[<66;1;1M\u001b[<67;1;1M')).toEqual([]);
    expect(names('/\u001b[<0;12;7Mx')).toEqual(['/', 'x']);
  });

  it('reads legacy (1000 without 1006) reports: ESC [ M and three bytes, none of them typed', () => {
    // Button byte = 32 + code: '`' (96) is wheel up, 'a' (97) wheel down, ' ' (32) a left press.
    expect(names('\u001b[M`!!')).toEqual(['wheel-up']);
    expect(names('\u001b[Ma#"q')).toEqual(['wheel-down', 'q']);
    expect(names('\u001b[M !!\u001b[M#!!')).toEqual([]);
  });

  it('recognizes a whole SGR report as ink hands it over, leading ESC stripped, and nothing else', () => {
    expect(sgrMouse('[<64;10;5M')).toBe(-1);
    expect(sgrMouse('\u001b[<65;10;5M')).toBe(1);
    expect(sgrMouse('[<0;10;5M')).toBe(0);
    expect(sgrMouse('[<65;10;5Mq')).toBeNull();
    expect(sgrMouse('[<65;10M')).toBeNull();
    expect(sgrMouse('[A')).toBeNull();
    expect(x10Wheel('`')).toBe(-1);
    expect(x10Wheel('a')).toBe(1);
    expect(x10Wheel('!')).toBe(0);
  });
});
