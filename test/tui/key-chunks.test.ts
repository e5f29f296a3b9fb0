import { describe, expect, it } from 'vitest';
import { splitKeys } from '../../src/tui/key-chunks.js';

const names = (raw: string) =>
  splitKeys(raw).map(({ input, key }) => {
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
});
