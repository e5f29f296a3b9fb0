import { describe, expect, it } from 'vitest';
import { linktypeOfCapName } from '../../../src/capture/live/cap-engine.js';
import { linktypeByName } from '../../../src/capture/linktypes.js';

describe('cap engine link types', () => {
  it('maps the names cap gives to the linktypes files carry', () => {
    expect(linktypeOfCapName('ETHERNET')).toBe(linktypeByName('EN10MB'));
    expect(linktypeOfCapName('LINKTYPE_LINUX_SLL')).toBe(linktypeByName('LINUX_SLL'));
    // Linux's DLT_RAW (12) is LINKTYPE_RAW (101) in a file.
    expect(linktypeOfCapName('RAW')).toBe(101);
    expect(linktypeOfCapName('Unknown linktype 12')).toBe(101);
    expect(linktypeOfCapName('Unknown linktype 276')).toBe(linktypeByName('LINUX_SLL2'));
    expect(linktypeOfCapName('something else')).toBeNull();
  });

});
