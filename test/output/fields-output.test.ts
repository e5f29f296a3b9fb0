import { describe, expect, it } from 'vitest';
import { closeFieldNames, parseFieldsOptions, unknownFields } from '../../src/output/fields-output.js';
import { createRegistry } from '../../src/decode/protocols.js';
import { readInProcess, tshark, udpPacket, vxlanSyn, writePcap } from '../commands/harness.js';

const VXLAN = ['-d', 'udp.port==8472,vxlan'];

describe('-T fields', () => {
  const path = () =>
    writePcap([
      { data: vxlanSyn({ vni: 1 }) },
      { data: udpPacket(Buffer.from('plain'), { src: '10.0.0.1', dst: '10.0.0.2' }) },
      { data: vxlanSyn({ vni: 2 }) },
    ]);

  const cases: Array<[string, string[]]> = [
    ['default: tab separator, all occurrences joined by commas', []],
    ['a header line', ['header=y']],
    ['a separator', ['separator=,']],
    ['/s as the separator', ['separator=/s']],
    ['the first occurrence', ['occurrence=f']],
    ['the last occurrence', ['occurrence=l']],
    ['an aggregator', ['aggregator=;']],
    ['double quotes (empty values stay bare)', ['quote=d']],
    ['single quotes with a header', ['quote=s', 'header=y', 'separator=,']],
    ['no quotes', ['quote=n']],
  ];
  for (const [what, opts] of cases) {
    it(`prints as tshark does with ${what}`, async () => {
      const f = path();
      const fields = ['frame.number', 'ip.src', 'ip.dst', 'udp.dstport', 'vxlan.vni', 'eth.src'];
      const ours = await readInProcess({ files: [f], T: 'fields', e: fields, E: opts, d: ['udp.port==8472,vxlan'] });
      const theirs = tshark(['-r', f, ...VXLAN, '-T', 'fields', ...fields.flatMap((x) => ['-e', x]), ...opts.flatMap((o) => ['-E', o])]);
      expect(ours.stderr).toBe('');
      expect(ours.exitCode).toBe(0);
      expect(ours.stdout).toBe(theirs);
    });
  }

  it("prints tshark's column fields", async () => {
    const f = path();
    const cols = ['_ws.col.Source', '_ws.col.Destination', '_ws.col.Protocol', '_ws.col.Length'];
    const ours = await readInProcess({ files: [f], T: 'fields', e: cols });
    expect(ours.stdout).toBe(tshark(['-n', '-r', f, ...VXLAN, '-T', 'fields', ...cols.flatMap((x) => ['-e', x])]));
  });

  it('rejects a field it does not know, naming close matches, with exit code 2', async () => {
    const r = await readInProcess({ files: [path()], T: 'fields', e: ['ip.scr'] });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown field ip\.scr \(did you mean: .*ip\.src/);
    expect(r.stdout).toBe('');
  });
});

describe('-E options', () => {
  it('reads tshark spellings', () => {
    expect(parseFieldsOptions(['separator=/t', 'aggregator=/s', 'occurrence=l', 'quote=d', 'header=y'])).toEqual({
      separator: '\t',
      aggregator: ' ',
      occurrence: 'l',
      quote: '"',
      header: true,
    });
  });

  it.each([['header=maybe'], ['occurrence=2'], ['quote=x'], ['colour=y'], ['separator']])('rejects %s', (spec) => {
    expect(typeof parseFieldsOptions([spec])).toBe('string');
  });
});

describe('close field names', () => {
  it('suggests fields of the same protocol and near spellings', () => {
    const reg = createRegistry();
    expect(closeFieldNames(reg, 'vxlan.vnid')).toContain('vxlan.vni');
    expect(closeFieldNames(reg, 'ip.dest')).toContain('ip.dst');
    expect(unknownFields(reg, ['ip.src', 'frame.number'])).toEqual([]);
  });
});
