import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decoder } from '../../src/decode/decoder.js';
import { compileFilter, FilterError, validateFilter } from '../../src/filter/index.js';
import { decodeBytes } from '../helpers/decode.js';
import { LINKTYPE_TST, makeMatcher, tstPacket, tstRegistry, type TstLayer } from './tst-protocol.js';

const match = makeMatcher();

function errorOf(filter: string): FilterError {
  const e = validateFilter(tstRegistry(), filter);
  if (!e) throw new Error(`${filter} compiled`);
  return e;
}

/** Each case: filter, expected result on the packet. */
type Cases = Array<[string, boolean]>;

function table(name: string, layers: TstLayer[], cases: Cases): void {
  describe(name, () => {
    it.each(cases)('%s → %s', (filter, expected) => {
      expect(match(filter, ...layers)).toBe(expected);
    });
  });
}

/** Each case: filter, a caret under the column the error points at, and the message. */
function errors(name: string, cases: Array<[string, string, RegExp]>): void {
  describe(name, () => {
    it.each(cases)('%s', (filter, caret, message) => {
      const e = errorOf(filter);
      expect(e.message).toMatch(message);
      expect(e.column).toBe(caret.indexOf('^'));
    });
  });
}

table('presence of protocols and fields', [{ u8: 1 }], [
  ['tst', true],
  ['frame', true],
  ['other', false],
  ['not other', true],
  ['tst.u8', true],
  ['tst.str', false],
  ['tst.label', false],
  ['!tst.str && tst', true],
]);

table('presence of optional fields', [{ u16: 0xffff, str: 'x' }], [
  ['tst.str', true],
  ['tst.label', true],
]);

table('integer comparisons, every operator', [{ u16: 80 }], [
  ['tst.u16 == 80', true],
  ['tst.u16 eq 80', true],
  ['tst.u16 any_eq 80', true],
  ['tst.u16 == 81', false],
  ['tst.u16 != 80', false],
  ['tst.u16 ne 81', true],
  ['tst.u16 all_ne 81', true],
  ['tst.u16 < 80', false],
  ['tst.u16 lt 81', true],
  ['tst.u16 <= 80', true],
  ['tst.u16 le 79', false],
  ['tst.u16 > 79', true],
  ['tst.u16 gt 80', false],
  ['tst.u16 >= 80', true],
  ['tst.u16 ge 81', false],
  ['tst.u16 === 80', true],
  ['tst.u16 all_eq 80', true],
  ['tst.u16 !== 80', false],
  ['tst.u16 any_ne 80', false],
  ['tst.u16 ~= 81', true],
  ['tst.u16 == 0x50', true],
  ['tst.u16 == 0X50', true],
  ['tst.u16 == 0120', true],
  ['tst.u16 == 0b1010000', true],
  ["tst.u16 == 'P'", true],
  ["tst.u16 == '\\x50'", true],
  ['tst.u16 in {1, 80}', true],
  ['tst.u16 in {1 80}', true],
  ['tst.u16 in {1,2,3,4,5,6,7,80}', true],
  ['tst.u16 in {1,2,3,4,5,6,7,8}', false],
  ['tst.u16 in {70..90}', true],
  ['tst.u16 in { 80 .. 80 }', true],
  ['tst.u16 in {81..90, 1..79}', false],
  ['tst.u16 in {90..70}', false],
  ['tst.u16 not in {80}', false],
  ['tst.u16 not in {81}', true],
]);

table('signed integers', [{ i8: -5 }], [
  ['tst.i8 == -5', true],
  ['tst.i8 < 0', true],
  ['tst.i8 in {-10..-1}', true],
  ['tst.i8 >= -4', false],
  ['tst.i8 == -128 or tst.i8 == 127', false],
]);

table('value names', [{ u8: 17 }], [
  ['tst.u8 == UDP', true],
  ['tst.u8 == udp', true],
  ['tst.u8 == "Udp"', true],
  ['tst.u8 == One', false],
  ['tst.u8 in {One, UDP}', true],
  ['tst.u8 in {One..Two}', false],
]);

table('a protocol name that is also a value name compares as the value', [{ u8: 3 }], [['tst.u8 == other', true]]);

table('booleans', [{ flag: true }], [
  ['tst.flag', true],
  ['tst.flag == 1', true],
  ['tst.flag == True', true],
  ['tst.flag == TRUE', true],
  ['tst.flag == 2', true],
  ['tst.flag == False', false],
  ['tst.flag == 0', false],
  ['tst.flag != 0', true],
  ['tst.flag > 0', true],
]);

table('booleans, cleared', [{ flag: false }], [
  ['tst.flag', true],
  ['tst.flag == 0', true],
  ['tst.flag == false', true],
  ['tst.flag == 1', false],
]);

table('bitwise and', [{ u16: 0x8001, mac: '80:00:00:00:00:01' }], [
  ['tst.u16 & 0x8000', true],
  ['tst.u16 bitwise_and 0x8000', true],
  ['tst.u16 & 0x4000', false],
  ['not tst.u16 & 0x4000', true],
  ['tst.u16 & 0xff == 1', true],
  ['tst.u16 & 0xff00 == 0x8000', true],
  ['tst.u16 & 0xff > 1', false],
  ['tst.u16 & 0xf in {1, 2}', true],
  ['tst.u48 & 0x800000000000', true],
  ['tst.u48 & 0x400000000000', false],
  ['tst.u48 & 0x800000000001 == 0x800000000001', true],
]);

table('multiple occurrences: "any" for ==, "all" for !=', [{ v4: '10.0.0.1', bytes: '01020304' }, { v4: '10.0.0.2' }], [
  ['tst.v4 == 10.0.0.1', true],
  ['tst.v4 == 10.0.0.2', true],
  ['tst.v4 != 10.0.0.1', false],
  ['tst.v4 != 10.0.0.3', true],
  ['!(tst.v4 == 10.0.0.1)', false],
  ['tst.v4 !== 10.0.0.1', true],
  ['tst.v4 ~= 10.0.0.1', true],
  ['tst.v4 === 10.0.0.1', false],
  ['tst.v4 === 10.0.0.0/24', true],
  ['tst.v4 > 10.0.0.1', true],
  ['tst.v4 not in {10.0.0.1}', false],
  ['tst.each == 3', true],
  ['tst.each != 3', false],
  ['tst.each != 5', true],
  ['tst.each > 3', true],
  ['tst.each === 0', false],
  ['tst.each in {4..9}', true],
]);

table('an absent field fails every comparison, even !=', [{ u8: 1 }], [
  ['tst.str == "x"', false],
  ['tst.str != "x"', false],
  ['tst.str !== "x"', false],
  ['tst.str contains "x"', false],
  ['tst.str in {"x"}', false],
  ['not tst.str == "x"', true],
  ['tst.str not in {"x"}', true],
]);

table('IPv4 addresses and CIDR prefixes', [{ v4: '192.168.3.77' }], [
  ['tst.v4 == 192.168.3.77', true],
  ['tst.v4 == 192.168.3.77/32', true],
  ['tst.v4 == 192.168.3.76/32', false],
  ['tst.v4 == 192.168.3.0/24', true],
  ['tst.v4 == 192.168.3.200/24', true],
  ['tst.v4 == 192.168.4.0/24', false],
  ['tst.v4 == 192.168.3.76/31', true],
  ['tst.v4 == 192.168.3.78/31', false],
  ['tst.v4 == 0.0.0.0/1', false],
  ['tst.v4 == 192.0.0.0/1', true],
  ['tst.v4 == 128.0.0.0/1', true],
  ['tst.v4 == 0.0.0.0/0', true],
  ['tst.v4 == 1.2.3.4/0', true],
  ['tst.v4 != 192.168.3.0/24', false],
  ['tst.v4 != 10.0.0.0/8', true],
  ['tst.v4 in {10.0.0.0/8, 192.168.0.0/16}', true],
  ['tst.v4 in {10.0.0.0/8, 172.16.0.0/12}', false],
  ['tst.v4 in {192.168.3.70..192.168.3.80}', true],
  ['tst.v4 in {192.168.3.78..192.168.3.80}', false],
  ['tst.v4 > 192.168.3.76', true],
  ['tst.v4 <= 192.168.3.76', false],
  ['tst.v4 >= 9.255.255.255', true],
]);

table('IPv4 at the top of the address space', [{ v4: '255.255.255.255' }], [
  ['tst.v4 == 255.255.255.255', true],
  ['tst.v4 == 255.255.255.0/24', true],
  ['tst.v4 == 255.255.255.254/31', true],
  ['tst.v4 > 255.255.255.254', true],
]);

table('IPv6 addresses and prefixes', [{ v6: 'fe80:0:0:0:b299:28ff:fec8:d66c' }], [
  ['tst.v6 == fe80::b299:28ff:fec8:d66c', true],
  ['tst.v6 == FE80::B299:28FF:FEC8:D66C', true],
  ['tst.v6 == fe80:0:0:0:b299:28ff:fec8:d66c', true],
  ['tst.v6 == fe80:0000:0000:0000:b299:28ff:fec8:d66c', true],
  ['tst.v6 == fe80::b299:28ff:fec8:d66d', false],
  ['tst.v6 == fe80::b299:28ff:fec8:d66c/128', true],
  ['tst.v6 == fe80::b299:28ff:fec8:d66d/127', true],
  ['tst.v6 == fe80::b299:28ff:fec8:d66e/127', false],
  ['tst.v6 == fe80::/10', true],
  ['tst.v6 == febf::/10', true],
  ['tst.v6 == fec0::/10', false],
  ['tst.v6 == fe80::/64', true],
  ['tst.v6 == fe81::/15', true],
  ['tst.v6 == fe82::/15', false],
  ['tst.v6 == ::/0', true],
  ['tst.v6 == ff02::/16', false],
  ['tst.v6 != ff02::/16', true],
  ['tst.v6 in {ff02::1, fe80::/10}', true],
  ['tst.v6 in {fe80::..fe80::ffff:ffff:ffff:ffff}', true],
  ['tst.v6 in {fe80::..fe80::1}', false],
  ['tst.v6 > fe7f::', true],
  ['tst.v6 < fe80::1', false],
  ['tst.v6 == fe80::b299:28ff:254.200.214.108', true],
]);

table('IPv4-mapped IPv6', [{ v6: '0:0:0:0:0:ffff:102:304' }], [
  ['tst.v6 == ::ffff:1.2.3.4', true],
  ['tst.v6 == ::ffff:0102:0304', true],
  ['tst.v6 == ::ffff:0.0.0.0/96', true],
]);

table('MAC addresses in every notation', [{ mac: '36:dc:85:1e:b3:40' }], [
  ['tst.mac == 36:dc:85:1e:b3:40', true],
  ['tst.mac == 36:DC:85:1E:B3:40', true],
  ['tst.mac == 36-dc-85-1e-b3-40', true],
  ['tst.mac == 36.dc.85.1e.b3.40', true],
  ['tst.mac == 36dc.851e.b340', true],
  ['tst.mac == 36dc851eb340', true],
  ['tst.mac == 36dc85-1eb340', true],
  ['tst.mac == 36:dc:85:1e:b3:41', false],
  ['tst.mac != 36:dc:85:1e:b3:41', true],
  ['tst.mac > 36:dc:85:1e:b3:3f', true],
  ['tst.mac < 36:dc:85:1e:b3:3f', false],
  ['tst.mac in {ff:ff:ff:ff:ff:ff, 36:dc:85:1e:b3:40}', true],
  ['tst.mac in {00:00:00:00:00:00..36:dc:85:1e:b3:40}', true],
  ['tst.mac contains 85:1e', true],
  ['tst.mac contains 36', true],
  ['tst.mac contains 36dc851eb340', true],
  ['tst.mac contains 1e:85', false],
  ['tst.mac contains b3:40:00', false],
]);

table('MAC addresses use all 48 bits', [{ mac: 'ff:ff:ff:ff:ff:fe' }], [
  ['tst.mac == ff:ff:ff:ff:ff:fe', true],
  ['tst.mac == ff:ff:ff:ff:ff:ff', false],
  ['tst.mac < ff:ff:ff:ff:ff:ff', true],
  ['tst.mac contains ff:fe', true],
]);

table('byte strings', [{ bytes: 'deadbeef' }], [
  ['tst.bytes == de:ad:be:ef', true],
  ['tst.bytes == deadbeef', true],
  ['tst.bytes == de-ad-be-ef', true],
  ['tst.bytes == dead.beef', true],
  ['tst.bytes == de:ad:be', false],
  ['tst.bytes == de:ad:be:ef:00', false],
  ['tst.bytes > de:ad', true],
  ['tst.bytes < de:ae', true],
  ['tst.bytes contains ad:be', true],
  ['tst.bytes contains be:ad', false],
  ['tst.bytes contains "\\xad\\xbe"', true],
  ["tst.bytes contains '\\xef'", true],
  ['tst.bytes matches "^\\xde\\xad"', true],
  ['tst.bytes in {00:00, de:ad:be:ef}', true],
]);

table('strings', [{ str: 'Hello, "World"\n' }], [
  ['tst.str == "Hello, \\"World\\"\\n"', true],
  ['tst.str == "Hello, \\x22World\\042\\n"', true],
  ['tst.str == "hello, \\"world\\"\\n"', false],
  ['tst.str != "x"', true],
  ['tst.str contains "World"', true],
  ['tst.str contains "world"', false],
  ['tst.str contains ","', true],
  ['tst.str matches "world"', true],
  ['tst.str matches "(?-i)world"', false],
  ['tst.str matches "(?-i)World"', true],
  ['tst.str matches "^hello, \\"w"', true],
  ['tst.str matches r"^hello, \\"w"', true],
  ['tst.str matches r"\\w+, \\"\\w+\\"\\s$"', true],
  ['tst.str ~ "W.rld"', true],
  ['tst.str matches "^World"', false],
  ['tst.str matches "World..$"', false],
  ['tst.str matches "(?s)World..$"', true],
  ['tst.str > "Hello"', true],
  ['tst.str < "I"', true],
  ['tst.str in {"a", "Hello, \\"World\\"\\n"}', true],
  ['frame contains "World"', true],
  ['frame contains "world"', false],
  ['frame matches "hello, \\"world"', true],
]);

table('strings are UTF-8: typed characters and byte escapes agree', [{ str: 'café ☕' }], [
  ['tst.str == "café ☕"', true],
  ['tst.str == "caf\\xc3\\xa9 \\xe2\\x98\\x95"', true],
  ['tst.str contains "é"', true],
  ['tst.str matches "^CAFÉ"', true],
  ['tst.str matches "^caf. "', true],
  ['frame contains "é"', true],
  ['frame contains c3:a9', true],
  ['frame matches "caf\\xc3\\xa9"', true],
  ['frame matches "caf.."', true],
]);

table('unquoted words compare as strings with text fields', [{ str: 'abc' }], [
  ['tst.str == abc', true],
  ['tst.str contains b', true],
]);

table('relative times, exact to the nanosecond', [{ sec: 1, nsec: 500_000_000 }], [
  ['tst.time == 1.5', true],
  ['tst.time == 1.500000000', true],
  ['tst.time == 1.500000001', false],
  ['tst.time > 1.499999999', true],
  ['tst.time >= 1.5', true],
  ['tst.time < 1.5', false],
  ['tst.time == 1', false],
  ['tst.time > -1', true],
  ['tst.time > -.5', true],
  ['tst.time in {1..2}', true],
  ['tst.time in {0..1.4}', false],
]);

table('floats', [{ u8: 5 }], [
  ['tst.f == 5', true],
  ['tst.f == 5.0', true],
  ['tst.f < 5.5', true],
  ['tst.f > 5e0', false],
]);

table('field against field: any pair for ==, all pairs for !=', [{ u8: 3, u16: 3, bytes: '01020304', v4: '1.2.3.4' }, { v4: '1.2.3.5' }], [
  ['tst.u8 == tst.u16', true],
  ['tst.u8 != tst.u16', false],
  ['tst.u16 >= tst.u8', true],
  ['tst.each == tst.u8', true],
  ['tst.each != tst.u8', false],
  ['tst.each !== tst.u8', true],
  ['tst.each === tst.u16', false],
  ['tst.v4 == tst.v4', true],
  ['tst.v4 != tst.v4', false],
  ['tst.v4 < tst.v4', true],
  ['tst.str == tst.str', false],
]);

table('logic and short-circuit', [{ u8: 1, u16: 2 }], [
  ['tst.u8 == 1 and tst.u16 == 2', true],
  ['tst.u8 == 1 && tst.u16 == 3', false],
  ['tst.u8 == 2 or tst.u16 == 2', true],
  ['tst.u8 == 2 || tst.u16 == 3', false],
  ['not tst.u8 == 1 and tst.u16 == 2 or tst.u16 == 2', true],
  ['not tst.u8 == 1 and (tst.u16 == 2 or tst.u16 == 2)', false],
  ['not (tst.u8 == 2 or other)', true],
  ['tst.u8 == 1 and tst.u16 == 2 and tst and frame', true],
  ['other or other or tst.u8 == 9 or tst', true],
  ['!!tst', true],
]);

errors('type errors', [
  ['tst.v4 == 36:dc:85:1e:b3:40', '          ^', /cannot compare tst.v4 \(an IPv4 address\) with a MAC address/],
  ['tst.mac == 10.0.0.1', '           ^', /cannot compare tst.mac \(a MAC address\) with an IPv4 address/],
  ['tst.v6 == 10.0.0.1', '          ^', /cannot compare tst.v6 \(an IPv6 address\) with an IPv4 address/],
  ['tst.u16 == 10.0.0.1', '           ^', /cannot compare tst.u16 \(an unsigned 16-bit integer\) with an IPv4 address/],
  ['tst.v4 == tst.mac', '          ^', /cannot compare tst.v4 \(an IPv4 address\) with tst.mac \(a MAC address\)/],
  ['tst.v4 == "10.0.0.1"', '          ^', /without quotes/],
  ['tst.u16 == "80"', '           ^', /without quotes/],
  ['tst.v4 contains 10', '^', /cannot be searched with contains/],
  ['tst.u16 matches "x"', '^', /cannot be searched with matches/],
  ['tst.str matches x', '                ^', /must be quoted/],
  ['tst.str matches "("', '                ^', /invalid regular expression/],
  ['tst.str matches "(?x)a"', '                ^', /\(\?x\) is not supported/],
  ['tst == 1', '^', /tst is a protocol/],
  ['other contains 00', '^', /only frame can be searched/],
  ['tst.label == 1', '^', /label without a value/],
  ['tst.v4 & 1', '^', /"&" needs an integer field/],
  ['1 == tst.u8', '^', /left side of "==" must be a field/],
  ['tst.u16 in {1, tst.u8}', '               ^', /a set holds values, not fields like tst.u8/],
  ['10.0.0.1', '^', /expected a protocol or a field/],
  ['tst.u16 == other', '           ^', /cannot compare tst.u16 with the protocol other/],
]);

errors('literal errors', [
  ['tst.v4 == 10.0.0.0/33', '          ^', /prefix length 33 is longer than 32 bits/],
  ['tst.v4 == 10.0.0.0/', '          ^', /not a valid prefix length/],
  ['tst.v4 == 10.0.0.0/x', '          ^', /not a valid prefix length/],
  ['tst.v4 == 10.0.0', '          ^', /not a valid IPv4 address/],
  ['tst.v4 == 10.0.0.256', '          ^', /not a valid IPv4 address/],
  ['tst.v4 == 10.0.0.01', '          ^', /not a valid IPv4 address/],
  ['tst.v4 == example', '          ^', /host names are not resolved/],
  ['tst.v4 < 10.0.0.0/8', '         ^', /prefix can only be used with/],
  ['tst.v6 == ff02::/129', '          ^', /prefix length 129 is longer than 128 bits/],
  ['tst.v6 == 1::2::3', '          ^', /not a valid IPv6 address/],
  ['tst.v6 == fe80:::1', '          ^', /not a valid IPv6 address/],
  ['tst.v6 == 1:2:3:4:5:6:7:8:9', '          ^', /not a valid IPv6 address/],
  ['tst.v6 == ::12345', '          ^', /not a valid IPv6 address/],
  ['tst.v6 in {fe80::/10..fe80::1}', '           ^', /range bound cannot have a prefix/],
  ['tst.mac == 36:dc:85', '           ^', /has 3 bytes: a MAC address has 6/],
  ['tst.mac == 36:dc:85:1e:b3:40:00', '           ^', /has 7 bytes/],
  ['tst.mac == 36:dc:85:1e:b3:4g', '           ^', /not a valid MAC address/],
  ['tst.u8 == 256', '          ^', /too big for tst.u8: the maximum is 255/],
  ['tst.u16 == 65536', '           ^', /maximum is 65535/],
  ['tst.u16 in {1..65536}', '               ^', /maximum is 65535/],
  ['tst.u16 == -1', '           ^', /negative/],
  ['tst.i8 == -129', '          ^', /out of range for tst.i8: -128 to 127/],
  ['tst.i8 == 128', '          ^', /out of range/],
  ['tst.u48 == 0x1000000000000', '           ^', /maximum is 281474976710655/],
  ['tst.u16 & 0x10000', '          ^', /maximum is 65535/],
  ['tst.u16 == 08', '           ^', /leading 0 means octal/],
  ['tst.u16 == 0x', '           ^', /not a valid number/],
  ['tst.u16 == 1_000', '           ^', /not a valid number/],
  ['tst.u16 == 99999999999999999999', '           ^', /too large/],
  ['tst.u8 == Three', '          ^', /neither a number nor a value name of tst.u8 \(One, Two, Other, UDP\)/],
  ['tst.flag == yes', '            ^', /not a valid number/],
  ['tst.time == 1.0000000001', '            ^', /more than nine decimals/],
  ['tst.time == "1"', '            ^', /without quotes/],
  ['tst.f == 1.2.3', '         ^', /./],
]);

errors('unknown names', [
  ['tst.nope', '^', /"tst.nope" is neither a protocol nor a field netdiag knows/],
  ['tst.u17 == 1', '^', /did you mean tst.u16/],
  ['nope or tst', '^', /"nope" is neither a protocol nor a field/],
  ['tst and tst.v4 == 1.1.1.1 and tcp.port == 80', '                              ^', /"tcp.port" is neither/],
  ['tst.u16 == tst.u17', '           ^', /neither a number nor a field netdiag knows \(did you mean tst.u16/],
  ['tst.v4 == tst.u17', '          ^', /nor a field netdiag knows/],
]);

describe('protocols', () => {
  it('lists the protocols whose layers the filter reads', () => {
    const reg = tstRegistry();
    expect(compileFilter(reg, 'tst.u8 == 1 or not other').protocols).toEqual(new Set(['tst', 'other']));
    expect(compileFilter(reg, 'frame contains 00').protocols).toEqual(new Set(['frame']));
    expect(compileFilter(reg, 'tst.u8 == other').protocols).toEqual(new Set(['tst']));
    expect(compileFilter(reg, 'other and tst.u8 == other').protocols).toEqual(new Set(['tst', 'other']));
    expect(compileFilter(reg, 'frame.number == other.u8').protocols).toEqual(new Set(['frame', 'other']));
    expect(compileFilter(reg, '').protocols.size).toBe(0);
  });

  it('keeps the filter text', () => {
    expect(compileFilter(tstRegistry(), 'tst').text).toBe('tst');
  });
});

describe('evaluation', () => {
  it('evaluates a 5000-term or-chain without recursion', () => {
    const reg = tstRegistry();
    const dec = new Decoder(reg);
    const chain = Array.from({ length: 5000 }, (_, k) => `tst.u16 == ${k + 1}`).join(' or ');
    const f = compileFilter(reg, chain);
    expect(f.matches(decodeBytes(dec, tstPacket({ u16: 5000 }), LINKTYPE_TST))).toBe(true);
    expect(f.matches(decodeBytes(dec, tstPacket({ u16: 5001 }), LINKTYPE_TST))).toBe(false);
  });

  it('gives the same answer when one compiled filter is reused across packets', () => {
    const reg = tstRegistry();
    const dec = new Decoder(reg);
    const f = compileFilter(reg, 'tst.v4 == 10.0.0.0/8 and tst.u16 in {80, 443}');
    const seen: boolean[] = [];
    for (const [v4, u16] of [
      ['10.1.1.1', 80],
      ['11.1.1.1', 80],
      ['10.1.1.1', 443],
      ['10.1.1.1', 8080],
    ] as const) {
      seen.push(f.matches(decodeBytes(dec, tstPacket({ v4, u16 }), LINKTYPE_TST)));
    }
    expect(seen).toEqual([true, false, true, false]);
  });

  it('does not read a truncated layer past its end', () => {
    const reg = tstRegistry();
    const dec = new Decoder(reg);
    const p = decodeBytes(dec, tstPacket({ u16: 80 }).subarray(0, 10), LINKTYPE_TST);
    expect(compileFilter(reg, 'tst.u16 == 80').matches(p)).toBe(true);
    expect(compileFilter(reg, 'tst.v6 == ::/0').matches(p)).toBe(false);
    expect(compileFilter(reg, 'tst.v6 != ::1').matches(p)).toBe(false);
  });
});

describe('robustness', () => {
  const reg = tstRegistry();
  const pieces = [
    'tst', 'tst.u8', 'tst.v4', 'tst.v6', 'tst.mac', 'tst.str', 'tst.bytes', 'tst.time', 'frame', 'other', 'nope.x',
    '==', '!=', '===', '!==', '~=', '<', '>=', 'eq', 'gt', 'and', 'or', 'not', '!', '&&', '||', '&', 'in', 'contains', 'matches', '~',
    '(', ')', '{', '}', ',', '..', '1', '0x1f', '-3', '08', '10.0.0.0/8', '/33', 'fe80::/10', 'aa:bb:cc:dd:ee:ff', 'aa:bb',
    '"x"', '"\\x41"', 'r"\\d"', "'a'", '"(?i)a"', '"("', 'True', 'UDP', '[', '=', '|', '$', '"', "'", '\\', '\u00e9', '\t',
  ];
  const filterArb = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((xs) => xs.join(' '));

  it('rejects bad filters only with a FilterError that points inside the filter', () => {
    fc.assert(
      fc.property(fc.oneof(filterArb, fc.string({ maxLength: 40 })), (text) => {
        try {
          compileFilter(reg, text);
        } catch (err) {
          if (!(err instanceof FilterError)) throw err;
          expect(err.column).toBeGreaterThanOrEqual(0);
          expect(err.column).toBeLessThanOrEqual(text.length);
          expect(err.column + err.length).toBeLessThanOrEqual(text.length);
          expect(err.pointer().split('\n')).toHaveLength(2);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('evaluates whatever compiles without throwing', () => {
    const dec = new Decoder(reg);
    const packets = [
      tstPacket({ u8: 1, str: 'abc' }),
      tstPacket({ u16: 0xffff }, { v4: '10.0.0.1' }),
      tstPacket({}).subarray(0, 7),
      Buffer.alloc(0),
    ];
    fc.assert(
      fc.property(filterArb, (text) => {
        let f;
        try {
          f = compileFilter(reg, text);
        } catch (err) {
          if (err instanceof FilterError) return;
          throw err;
        }
        for (const b of packets) f.matches(decodeBytes(dec, b, LINKTYPE_TST));
      }),
      { numRuns: 2000 },
    );
  });
});
