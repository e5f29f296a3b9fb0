import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNodeState } from '../../src/nodestate/load.js';

const FIX = fileURLToPath(new URL('../../fixtures/nodestate/', import.meta.url));
const tmpRoot = mkdtempSync(join(tmpdir(), 'nodestate-load-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));
let n = 0;
function tmp(name = `d${n++}`): string {
  const d = join(tmpRoot, name);
  mkdirSync(d, { recursive: true });
  return d;
}

describe('the fixture cluster', () => {
  it('reads one node per folder and the combined file as its own node', async () => {
    const s = await loadNodeState(FIX);
    expect(s.nodes.map((x) => x.name)).toEqual(['node1', 'node2', 'node3', 'node4']);
    expect(s.problems).toEqual([
      'README.md: file not recognised as ip/bridge/birdc output; ignored',
      'generate.sh: file not recognised as ip/bridge/birdc output; ignored',
    ]);
    const [n1, n2, n3, n4] = s.nodes;
    expect(n1?.problems).toEqual([]);
    expect(n1?.links.find((l) => l.ifname === 'flannel.1')?.vxlan).toMatchObject({ id: 1, port: 8472, local: '198.18.0.1' });
    expect(n2?.links.find((l) => l.ifname === 'flannel.1')?.vxlan).toMatchObject({ id: 1, port: 8472, local: '198.18.0.2' });
    expect(n2?.fdb.filter((f) => f.dev === 'flannel.1').map((f) => [f.mac, f.dst])).toEqual([['0a:6e:1c:00:00:01', '198.18.0.1']]);
    expect(n2?.routes.find((r) => r.dst === '100.96.1.0/24')).toMatchObject({ gateway: '100.96.1.0', dev: 'flannel.1', onlink: true });
    expect(n3?.hostname).toBe('node3');
    expect(n4?.hostname).toBe('node4');
    expect(n4?.problems.every((p) => p.includes('BIRD is not reachable'))).toBe(true);
    expect(n4?.routes.find((r) => r.dst === '100.96.5.0/24')).toMatchObject({ gateway: '198.18.0.5', dev: 'eth0' });
  });

  it('uses JSON over text of the same command and says so', async () => {
    const s = await loadNodeState(join(FIX, 'node1'));
    const node = s.nodes[0];
    expect(node?.name).toBe('node1');
    const route = node?.files?.filter((f) => f.command === 'route');
    expect(route).toEqual([
      { file: 'ip-route.json', command: 'route', format: 'json', used: true, entries: route?.[0]?.entries },
      { file: 'ip-route.txt', command: 'route', format: 'text', used: false, entries: route?.[0]?.entries, note: 'superseded by ip-route.json' },
    ]);
    // Entries are not counted twice.
    const text = readFileSync(join(FIX, 'node1/ip-route.txt'), 'utf8');
    expect(node?.routes.length).toBe(text.split('\n').filter((l) => /^\S/.test(l)).length);
  });

  it('keeps BGP sessions and the prefixes BIRD learned over BGP', async () => {
    const node = (await loadNodeState(join(FIX, 'node1'))).nodes[0];
    expect(node?.bgp.map((p) => [p.name, p.bgpState, p.neighbor])).toEqual([
      ['node2', 'Established', '198.18.0.2'],
      ['node3', 'Idle', '198.18.0.3'],
      ['upstream', 'Active', '198.18.0.254'],
      ['ghost', 'Active', '198.18.0.9'],
    ]);
    expect(node?.birdProtocols?.map((p) => p.proto)).toEqual(['Device', 'Direct', 'Static', 'Kernel', 'BGP', 'BGP', 'BGP', 'BGP']);
    expect(node?.bgpRoutes).toEqual(['100.97.2.0/26']);
    expect(node?.birdRoutes).toHaveLength(3);
  });
});

describe('layouts and names', () => {
  it('names a node after its hostname file when given its files directly', async () => {
    const d = tmp('collected');
    cpSync(join(FIX, 'node3'), d, { recursive: true });
    const s = await loadNodeState(d);
    expect(s.nodes.map((x) => x.name)).toEqual(['node3']);
  });

  it('names a node after its directory when nothing says otherwise', async () => {
    const d = tmp('worker-7');
    cpSync(join(FIX, 'node1/ip-route.txt'), join(d, 'routes.txt'));
    const s = await loadNodeState(d);
    expect(s.nodes.map((x) => [x.name, x.routes.length > 0])).toEqual([['worker-7', true]]);
    expect(s.nodes[0]?.sources).toEqual(['routes.txt']);
  });

  it('accepts a single file instead of a directory', async () => {
    const s = await loadNodeState(join(FIX, 'node4.txt'));
    expect(s.nodes.map((x) => x.name)).toEqual(['node4']);
    const d = tmp();
    writeFileSync(join(d, 'routes.txt'), 'default via 198.18.0.254 dev eth0\n');
    expect((await loadNodeState(join(d, 'routes.txt'))).nodes.map((x) => [x.name, x.routes.length])).toEqual([['routes', 1]]);
  });

  it('falls back to text when the JSON of a command is unreadable', async () => {
    const d = tmp();
    cpSync(join(FIX, 'node1/ip-neigh.txt'), join(d, 'neigh.txt'));
    writeFileSync(join(d, 'neigh.json'), readFileSync(join(FIX, 'node1/ip-neigh.json'), 'utf8').slice(0, 100));
    const node = (await loadNodeState(d)).nodes[0];
    expect(node?.neighbors.find((x) => x.dst === '100.96.2.0')?.state).toEqual(['PERMANENT']);
    expect(node?.problems).toEqual(['neigh.json:1: unterminated JSON (file cut short?)']);
    expect(node?.files?.map((f) => [f.file, f.used])).toEqual([['neigh.json', false], ['neigh.txt', true]]);
  });

  it('reports an empty directory, nested folders and duplicate names', async () => {
    const empty = tmp('empty');
    expect(await loadNodeState(empty)).toEqual({
      nodes: [expect.objectContaining({ name: 'empty', problems: ['empty: no node-state output found'] })],
      problems: [],
    });
    const d = tmp('dup');
    mkdirSync(join(d, 'node4/old'), { recursive: true });
    cpSync(join(FIX, 'node1/ip-route.txt'), join(d, 'node4/ip-route.txt'));
    cpSync(join(FIX, 'node4.txt'), join(d, 'node4.txt'));
    const s = await loadNodeState(d);
    expect(s.nodes.map((x) => x.name)).toEqual(['node4', 'node4']);
    expect(s.nodes[0]?.problems).toEqual(['node4/old: nested folder ignored']);
    expect(s.problems).toEqual(['2 sources are named node4; they are kept as separate nodes']);
  });

  it('throws only when the directory does not exist', async () => {
    await expect(loadNodeState(join(tmpRoot, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});

describe('hostile directories', () => {
  it('skips FIFOs, devices and binary files without blocking', async () => {
    const d = tmp('hostile');
    cpSync(join(FIX, 'node1/ip-route.json'), join(d, 'ip-route.json'));
    execFileSync('mkfifo', [join(d, 'fifo')]);
    symlinkSync('/dev/zero', join(d, 'zero'));
    writeFileSync(join(d, 'capture.pcap'), Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0]));
    writeFileSync(join(d, '.hidden'), 'ignored');
    const node = (await loadNodeState(d)).nodes[0];
    expect(node?.problems).toEqual(['capture.pcap: binary file; ignored', 'fifo: not a regular file; ignored', 'zero: not a regular file; ignored']);
    expect(node?.routes.length).toBeGreaterThan(0);
    expect(node?.sources).toEqual(['capture.pcap', 'fifo', 'ip-route.json', 'zero']);
  });

  it('reads at most maxBytes of a file and says so', async () => {
    const d = tmp();
    const text = readFileSync(join(FIX, 'node1/ip-route.txt'), 'utf8');
    writeFileSync(join(d, 'ip-route.txt'), text);
    const cut = text.indexOf('\n', 200) + 1;
    const node = (await loadNodeState(d, { maxBytes: cut })).nodes[0];
    expect(node?.problems).toEqual([`ip-route.txt: ${Buffer.byteLength(text)} bytes; only the first ${cut} read`]);
    expect(node?.routes.map((r) => r.raw)).toEqual(
      text.slice(0, cut).split('\n').filter((l) => l.trim() !== '').map((l) => l.trim()),
    );
  });

  it('keeps control characters of interface names and aliases', async () => {
    const node = (await loadNodeState(join(FIX, 'node3'))).nodes[0];
    expect(node?.links.map((l) => l.ifname)).toContain('v\x1b[1mx');
    expect(node?.links.find((l) => l.ifname === 'eth0')?.alias).toBe('uplink\x1b[31m red\ttab');
    expect(node?.fdb.filter((f) => f.dev === 'v\x1b[1mx')).toHaveLength(2);
    expect(node?.problems).toEqual([]);
  });
});
