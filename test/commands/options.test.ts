import { describe, expect, it } from 'vitest';
import { protectStdinArgs, STDIN_TOKEN } from '../../src/commands/options.js';

describe('a lone - on the command line', () => {
  it('is kept as stdin where it is a capture file', () => {
    expect(protectStdinArgs(['read', '-', 'b.pcap'])).toEqual(['read', STDIN_TOKEN, 'b.pcap']);
    expect(protectStdinArgs(['read', '--list', '-'])).toEqual(['read', '--list', STDIN_TOKEN]);
    expect(protectStdinArgs(['read', '--', '-'])).toEqual(['read', '--', STDIN_TOKEN]);
  });

  it('stays the value of an option that takes one', () => {
    expect(protectStdinArgs(['read', 'a.pcap', '-w', '-'])).toEqual(['read', 'a.pcap', '-w', '-']);
    expect(protectStdinArgs(['read', '-', '--write', '-'])).toEqual(['read', STDIN_TOKEN, '--write', '-']);
  });
});
