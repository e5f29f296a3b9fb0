import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  commandFromMarker,
  commandFromName,
  parseBridgeFdb,
  parseIpAddr,
  parseIpLink,
  parseIpNeigh,
  parseIpRoute,
  parseNodeFile,
} from '../../src/nodestate/parse.js';

// Real outputs captured by fixtures/nodestate/generate.sh; the expected facts below are the ones
// that script configured in its namespaces (it is the oracle, not the parsers).
const FIX = fileURLToPath(new URL('../../fixtures/nodestate/', import.meta.url));
const read = (p: string): string => readFileSync(FIX + p, 'utf8');

/** Same entries whatever the key order. */
function canon(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

const COMMANDS = [
  ['ip-addr', parseIpAddr],
  ['ip-d-link', parseIpLink],
  ['ip-route', parseIpRoute],
  ['ip-neigh', parseIpNeigh],
  ['bridge-fdb', parseBridgeFdb],
] as const;

describe('text and -j JSON of the same namespace agree', () => {
  for (const node of ['node1', 'node2', 'node3']) {
    for (const [file, parse] of COMMANDS) {
      it(`${node} ${file}`, () => {
        const text = parse(read(`${node}/${file}.txt`), `${file}.txt`);
        const json = parse(read(`${node}/${file}.json`), `${file}.json`);
        expect(text.problems).toEqual([]);
        expect(json.problems).toEqual([]);
        const { problems: _a, ...t } = text;
        const { problems: _b, ...j } = json;
        expect(canon(t)).toEqual(canon(j));
        expect(Object.values(t).flat().length).toBeGreaterThan(0);
      });
    }
  }
});

describe('ip -d link', () => {
  for (const ext of ['txt', 'json']) {
    it(`finds flannel's VTEP and its settings (${ext})`, () => {
      const { links } = parseIpLink(read(`node1/ip-d-link.${ext}`), `ip-d-link.${ext}`);
      const vtep = links.find((l) => l.ifname === 'flannel.1');
      expect(vtep).toMatchObject({ kind: 'vxlan', mtu: 1450, mac: '0a:6e:1c:00:00:01', state: 'UNKNOWN' });
      expect(vtep?.vxlan).toMatchObject({ id: 1, port: 8472, local: '198.18.0.1', dev: 'eth0', learning: false });
      const byName = new Map(links.map((l) => [l.ifname, l]));
      expect(byName.get('cni0')).toMatchObject({ kind: 'bridge', mtu: 1450, mac: '02:42:64:60:01:01' });
      expect(byName.get('veth1')).toMatchObject({ kind: 'veth', master: 'cni0', mtu: 1450 });
      expect(byName.get('eth0')).toMatchObject({ kind: 'veth', mac: '02:42:c6:12:00:01', mtu: 1500, state: 'UP' });
      expect(byName.get('macvlan0')).toMatchObject({ kind: 'macvlan', link: 'eth0', state: 'DOWN' });
      expect(byName.get('macvtap0')).toMatchObject({ kind: 'macvtap', link: 'eth0' });
      expect(byName.get('tun0')).toMatchObject({ kind: 'tun', mac: null });
      expect(byName.get('lo')).toMatchObject({ kind: null, mtu: 65536 });
      expect(byName.get('flannel.1')?.vxlan).toBeDefined();
      expect(byName.get('cni0')?.vxlan).toBeUndefined();
    });
  }

  it('keeps control characters, `@` in names and multi-line aliases as data (text and JSON)', () => {
    for (const ext of ['txt', 'json']) {
      const { links, problems } = parseIpLink(read(`node3/ip-d-link.${ext}`), `ip-d-link.${ext}`);
      expect(problems).toEqual([]);
      const names = links.map((l) => l.ifname);
      expect(names).toEqual(['lo', 'eth0', 'a@b', 'v\x1b[1mx']);
      expect(links[2]).toMatchObject({ link: 'v\x1b[1mx', alias: 'two\nlines', kind: 'veth' });
      expect(links[3]).toMatchObject({ link: 'a@b', alias: null });
      expect(links[1]?.alias).toBe('uplink\x1b[31m red\ttab');
    }
  });
});

describe('ip addr', () => {
  for (const ext of ['txt', 'json']) {
    it(`lists addresses per interface (${ext})`, () => {
      const { addresses, links } = parseIpAddr(read(`node1/ip-addr.${ext}`), `ip-addr.${ext}`);
      const has = (ifname: string, address: string, prefixlen: number, family: string): void =>
        expect(addresses).toContainEqual(expect.objectContaining({ ifname, address, prefixlen, family }));
      has('eth0', '198.18.0.1', 24, 'inet');
      has('eth0', 'fd00:198:18::1', 64, 'inet6');
      has('flannel.1', '100.96.1.0', 32, 'inet');
      has('cni0', '100.96.1.1', 24, 'inet');
      has('lo', '127.0.0.1', 8, 'inet');
      has('lo', '::1', 128, 'inet6');
      expect(addresses.filter((a) => a.ifname === 'veth1').map((a) => a.family)).toEqual(['inet6']);
      expect(links.find((l) => l.ifname === 'veth1')).toMatchObject({ master: 'cni0', mtu: 1450, kind: null });
    });
  }
});

describe('ip route', () => {
  for (const ext of ['txt', 'json']) {
    it(`reads flannel, BIRD, multipath, typed and other-table routes (${ext})`, () => {
      const { routes } = parseIpRoute(read(`node1/ip-route.${ext}`), `ip-route.${ext}`);
      const find = (dst: string, table: string | null = null) => routes.filter((r) => r.dst === dst && r.table === table);
      expect(find('100.96.2.0/24')).toEqual([
        expect.objectContaining({ gateway: '100.96.2.0', dev: 'flannel.1', onlink: true, type: 'unicast', protocol: null, raw: '100.96.2.0/24 via 100.96.2.0 dev flannel.1 onlink' }),
      ]);
      expect(find('default')).toEqual([expect.objectContaining({ gateway: '198.18.0.254', dev: 'eth0', onlink: false })]);
      expect(find('100.97.1.0/26')).toEqual([expect.objectContaining({ type: 'blackhole', protocol: 'bird', dev: null, gateway: null, metric: 32 })]);
      expect(find('100.97.2.0/26')).toEqual([expect.objectContaining({ gateway: '198.18.0.2', dev: 'eth0', protocol: 'bird' })]);
      expect(find('192.0.2.0/24', '100')).toEqual([expect.objectContaining({ gateway: '198.18.0.2' })]);
      expect(find('192.0.2.0/24')).toEqual([]);
      expect(find('192.0.3.0/24')).toEqual([expect.objectContaining({ type: 'unreachable' })]);
      const ecmp = find('203.0.113.0/24')[0];
      expect(ecmp?.nexthops).toEqual([
        { gateway: '198.18.0.2', dev: 'eth0', weight: 1, onlink: false },
        { gateway: '198.18.0.3', dev: 'eth0', weight: 2, onlink: false },
      ]);
      expect(ecmp?.gateway).toBe('198.18.0.2');
      expect(find('fd00:96:2::/64')).toEqual([expect.objectContaining({ gateway: 'fd00:198:18::2', metric: 1024 })]);
      // Host routes of the local table come out as /32 and /128.
      expect(find('198.18.0.1/32', 'local')).toEqual([expect.objectContaining({ type: 'local', dev: 'eth0', protocol: 'kernel', scope: 'host' })]);
      expect(find('::1/128', 'local')).toHaveLength(1);
      expect(routes.find((r) => r.type === 'multicast')?.dst).toBe('ff00::/8');
    });
  }

  it('reads host-gw next hops (node4, stdout variant)', () => {
    const f = parseNodeFile(read('node4.txt'), 'node4.txt');
    for (const format of ['text', 'json']) {
      const s = f.sections.find((x) => x.command === 'route' && x.format === format);
      expect(s?.data.routes?.find((r) => r.dst === '100.96.1.0/24')).toMatchObject({ gateway: '198.18.0.1', dev: 'eth0', onlink: false });
    }
  });

  it('reads route MTUs, `mtu lock`, IPv6 gateways of IPv4 routes and leaves unknown words in raw', () => {
    const text = [
      '192.0.2.0/24 via 198.18.0.2 dev eth0 mtu 1400 ',
      '192.0.3.0/24 via 198.18.0.2 dev eth0 mtu lock 1300 advmss 1200 ',
      '192.0.5.0/24 via inet6 fd00::2 dev eth0 ',
      '10.0.0.2 dev eth0 proto kernel scope link src 10.0.0.1 ',
      '10.1.0.0/16 encap mpls 100 via 198.18.0.9 dev eth0 ',
    ].join('\n');
    const { routes, problems } = parseIpRoute(text, 'r.txt');
    expect(problems).toEqual([]);
    expect(routes.map((r) => r.mtu)).toEqual([1400, 1300, null, null, null]);
    expect(routes[2]).toMatchObject({ gateway: 'fd00::2', dev: 'eth0' });
    expect(routes[3]).toMatchObject({ dst: '10.0.0.2/32', prefsrc: '10.0.0.1', scope: 'link' });
    expect(routes[4]).toMatchObject({ gateway: '198.18.0.9', raw: '10.1.0.0/16 encap mpls 100 via 198.18.0.9 dev eth0' });
  });
});

describe('ip neigh', () => {
  for (const ext of ['txt', 'json']) {
    it(`reads flannel's permanent VTEP entry and every state (${ext})`, () => {
      const { neighbors } = parseIpNeigh(read(`node1/ip-neigh.${ext}`), `ip-neigh.${ext}`);
      const get = (dst: string) => neighbors.find((n) => n.dst === dst);
      expect(get('100.96.2.0')).toEqual({ dst: '100.96.2.0', dev: 'flannel.1', lladdr: '0a:6e:1c:00:00:02', state: ['PERMANENT'], flags: [] });
      expect(get('198.18.0.50')).toMatchObject({ lladdr: '02:00:00:00:00:50', state: ['STALE'] });
      // Nothing answers for .9: no link-layer address, INCOMPLETE or FAILED.
      expect(get('198.18.0.9')).toMatchObject({ lladdr: null, dev: 'eth0' });
      expect(['INCOMPLETE', 'FAILED']).toContain(get('198.18.0.9')?.state[0]);
      expect(get('fd00:198:18::2')).toMatchObject({ lladdr: '02:42:c6:12:00:02', flags: ['router'] });
      expect(get('100.96.1.2')).toMatchObject({ dev: 'cni0', lladdr: '0a:58:64:60:01:02' });
    });
  }

  it('reads NOARP entries of `ip neigh show nud all` (node2)', () => {
    const { neighbors, problems } = parseIpNeigh(read('node2/ip-neigh.txt'), 'ip-neigh.txt');
    expect(problems).toEqual([]);
    expect(neighbors.find((n) => n.dst === '224.0.0.22')).toMatchObject({ dev: 'cni0', lladdr: '01:00:5e:00:00:16', state: ['NOARP'] });
    expect(neighbors.find((n) => n.dst === '100.96.1.0')).toMatchObject({ dev: 'flannel.1', lladdr: '0a:6e:1c:00:00:01', state: ['PERMANENT'] });
  });

  it('reads entries without state (nud none) and proxy entries', () => {
    const { neighbors, problems } = parseIpNeigh('198.18.0.52 dev eth0 \n198.18.0.57 dev eth0 proxy\n', 'n.txt');
    expect(problems).toEqual([]);
    expect(neighbors).toEqual([
      { dst: '198.18.0.52', dev: 'eth0', lladdr: null, state: [], flags: [] },
      { dst: '198.18.0.57', dev: 'eth0', lladdr: null, state: [], flags: ['proxy'] },
    ]);
  });
});

describe('bridge fdb', () => {
  for (const ext of ['txt', 'json']) {
    it(`reads the VTEP entry and learned pod MACs (${ext})`, () => {
      const { fdb } = parseBridgeFdb(read(`node1/bridge-fdb.${ext}`), `bridge-fdb.${ext}`);
      expect(fdb.filter((e) => e.dev === 'flannel.1')).toEqual([
        expect.objectContaining({ mac: '0a:6e:1c:00:00:02', dst: '198.18.0.2', flags: ['self'], state: 'permanent', master: null }),
      ]);
      expect(fdb.find((e) => e.mac === '0a:58:64:60:01:02')).toMatchObject({ dev: 'veth1', master: 'cni0', state: null, flags: [] });
      expect(fdb.find((e) => e.mac === '02:42:64:60:01:01')).toMatchObject({ dev: 'cni0', master: 'cni0', state: 'permanent' });
    });
  }
});

describe('recognition by content, whatever the name', () => {
  const cases: [string, string][] = [
    ['node1/ip-addr.txt', 'addr'],
    ['node1/ip-addr.json', 'addr'],
    ['node1/ip-d-link.txt', 'link'],
    ['node1/ip-d-link.json', 'link'],
    ['node1/ip-route.txt', 'route'],
    ['node1/ip-route.json', 'route'],
    ['node1/ip-neigh.txt', 'neigh'],
    ['node1/ip-neigh.json', 'neigh'],
    ['node2/ip-neigh.txt', 'neigh'],
    ['node1/bridge-fdb.txt', 'fdb'],
    ['node1/bridge-fdb.json', 'fdb'],
    ['node1/birdc-protocols.txt', 'bird-protocols'],
    ['node1/birdc-protocols-all.txt', 'bird-protocols'],
    ['node1/birdc-route.txt', 'bird-routes'],
    ['node1/birdc-route-all.txt', 'bird-routes'],
  ];
  for (const [path, command] of cases) {
    it(`${path} is ${command} even when called data.out`, () => {
      const f = parseNodeFile(read(path), 'data.out');
      expect(f.sections.map((s) => s.command)).toEqual([command]);
      expect(f.sections[0]?.format).toBe(path.endsWith('.json') ? 'json' : 'text');
      expect(f.problems).toEqual([]);
    });
  }

  it('says when the content contradicts the name', () => {
    const f = parseNodeFile(read('node1/ip-neigh.txt'), 'ip-route.txt');
    expect(f.sections[0]).toMatchObject({ command: 'neigh', note: 'content is neigh, name suggested route' });
  });

  it('maps the usual file names', () => {
    const names: [string, string | null][] = [
      ['ip-addr.txt', 'addr'], ['ip-addr.json', 'addr'], ['ip_addr', 'addr'], ['addr.json', 'addr'], ['ip-d-link.txt', 'link'],
      ['bridge-fdb.txt', 'fdb'], ['fdb.json', 'fdb'], ['neigh.txt', 'neigh'], ['arp.txt', 'neigh'], ['routes.txt', 'route'],
      ['birdc-protocols.txt', 'bird-protocols'], ['birdc-route.txt', 'bird-routes'], ['hostname', 'hostname'], ['notes.md', null],
    ];
    for (const [name, cmd] of names) expect([name, commandFromName(name)]).toEqual([name, cmd]);
  });

  it('reads commands from markers, abbreviations and prompts included', () => {
    const m: [string, ReturnType<typeof commandFromMarker>][] = [
      ['ip -j addr show', { command: 'addr', format: 'json' }],
      ['ip a', { command: 'addr', format: null }],
      ['ip -d -j link show', { command: 'link', format: 'json' }],
      ['ip -dj l', { command: 'link', format: 'json' }],
      ['sudo ip -4 r show table all', { command: 'route', format: null }],
      ['ip -n ndns-x neighbour', { command: 'neigh', format: null }],
      ['/sbin/bridge -j fdb show', { command: 'fdb', format: 'json' }],
      ['birdc -s /run/bird.ctl sh p', { command: 'bird-protocols', format: 'text' }],
      ['kubectl exec -n kube-system calico-node-x -- birdcl show route', { command: 'bird-routes', format: 'text' }],
      ['uname -n', { command: 'hostname', format: 'text' }],
      ['ip rule', null],
      ['ls -l', null],
    ];
    for (const [text, want] of m) expect([text, commandFromMarker(text)]).toEqual([text, want]);
  });
});

describe('combined files', () => {
  it('splits the README stdout variant into its sections (node4.txt)', () => {
    const f = parseNodeFile(read('node4.txt'), 'node4.txt');
    expect(f.combined).toBe(true);
    expect(f.hostname).toBe('node4');
    expect(f.sections.map((s) => `${s.command}/${s.format}`)).toEqual([
      'hostname/text', 'addr/text', 'addr/json', 'route/text', 'route/json', 'neigh/text', 'neigh/json',
      'link/text', 'link/json', 'fdb/text', 'fdb/json', 'bird-protocols/null', 'bird-routes/null',
    ]);
    // BIRD not running on that node is worth saying, with the line it was said on.
    const lines = read('node4.txt').split('\n');
    const at = lines.findIndex((l) => l.startsWith('Unable to connect')) + 1;
    expect(f.problems[0]).toBe(`node4.txt:${at}: BIRD is not reachable: ${lines[at - 1]}`);
    const neigh = f.sections.find((s) => s.command === 'neigh' && s.format === 'text');
    expect(neigh?.data.neighbors?.find((n) => n.dst === '198.18.0.5')).toMatchObject({ lladdr: null });
  });

  it('accepts a pasted terminal session and numbers problems by line of the whole file', () => {
    const text = [
      'root@node9:~# ip -j neigh',
      '[{"dst":"198.18.0.2","dev":"eth0","lladdr":"02:42:c6:12:00:02","state":["REACHABLE"]}]',
      'root@node9:~# ip route',
      'default via 198.18.0.254 dev eth0 ',
      'this is not a route',
      '$ bridge fdb show',
      '0a:6e:1c:00:00:02 dev flannel.1 dst 198.18.0.2 self permanent',
    ].join('\n');
    const f = parseNodeFile(text, 'paste.txt');
    expect(f.sections.map((s) => s.command)).toEqual(['neigh', 'route', 'fdb']);
    expect(f.sections[2]?.data.fdb?.[0]).toMatchObject({ dst: '198.18.0.2' });
    expect(f.problems).toEqual(['paste.txt:5: not a route: this is not a route']);
  });
});

describe('bad input', () => {
  it('reports malformed lines with file and line number and keeps the good ones', () => {
    const lines = read('node1/ip-route.txt').split('\n');
    lines.splice(3, 0, 'garbage here', '\x00\x01binary');
    const { routes, problems } = parseIpRoute(lines.join('\n'), 'ip-route.txt');
    expect(problems).toEqual(['ip-route.txt:4: not a route: garbage here', 'ip-route.txt:5: not a route: \x00\x01binary']);
    expect(routes.length).toBe(parseIpRoute(read('node1/ip-route.txt'), 'x').routes.length);
  });

  it('reports FDB and neighbour lines that are not entries', () => {
    expect(parseBridgeFdb('zz:zz dev x\n0a:6e:1c:00:00:02 dev flannel.1 bogusword\n', 'f.txt').problems).toEqual([
      'f.txt:1: not an FDB entry: zz:zz dev x',
      'f.txt:2: unrecognised FDB word bogusword',
    ]);
    expect(parseIpNeigh('nonsense dev eth0 REACHABLE\n', 'n.txt').problems).toEqual(['n.txt:1: not a neighbour entry: nonsense dev eth0 REACHABLE']);
  });

  it('reports bad ip addr lines', () => {
    const text = '2: eth0: <UP> mtu 1500 state UP\n    inet 300.1.1.1/24 scope global eth0\nstray line\n';
    const r = parseIpAddr(text, 'a.txt');
    expect(r.problems).toEqual(['a.txt:2: bad inet address: inet 300.1.1.1/24 scope global eth0', 'a.txt:3: not ip addr/link output: stray line']);
    expect(r.links).toHaveLength(1);
  });

  it('reports broken JSON with its line and keeps entries of a later-failing file', () => {
    expect(parseIpNeigh('[{"dst":"198.18.0.2","dev":"eth0","state":["STALE"]},', 'n.json')).toEqual({
      neighbors: [],
      problems: ['n.json:1: unterminated JSON (file cut short?)'],
    });
    const two = '[{"dst":"198.18.0.2","dev":"eth0","state":["STALE"]}]\n[{"dst": }]\n';
    const r = parseIpNeigh(two, 'n.json');
    expect(r.neighbors.map((n) => n.dst)).toEqual(['198.18.0.2']);
    expect(r.problems[0]).toMatch(/^n\.json:2: invalid JSON/);
  });

  it('reports JSON entries of the wrong shape without throwing', () => {
    const r = parseIpRoute('[1, null, {"dst": 5}, {"dst":"default","gateway":7,"dev":"eth0","flags":"x"}]', 'r.json');
    expect(r.problems).toEqual(['r.json:1: entry 0: not an object', 'r.json:1: entry 1: not an object', 'r.json:1: entry 2: route without dst']);
    expect(r.routes).toEqual([expect.objectContaining({ dst: 'default', gateway: null, dev: 'eth0', onlink: false })]);
  });

  it('handles empty input', () => {
    expect(parseIpRoute('', 'r.txt')).toEqual({ routes: [], problems: [] });
    expect(parseIpNeigh('[]', 'n.json')).toEqual({ neighbors: [], problems: [] });
    expect(parseNodeFile('', 'ip-route.txt').problems).toEqual(['ip-route.txt: file is empty (ip route printed nothing?)']);
    expect(parseNodeFile('\n\n', 'neigh.txt').problems).toEqual([]);
    expect(parseNodeFile('', 'x').problems).toEqual(['x: file is empty']);
  });

  it('reports unknown files once', () => {
    const f = parseNodeFile('# notes\nthe cluster broke on tuesday\n', 'notes.md');
    expect(f.sections[0]?.command).toBeNull();
    expect(f.problems).toEqual(['notes.md: file not recognised as ip/bridge/birdc output; ignored']);
  });

  it('reports a failed command instead of parsing its error', () => {
    const f = parseNodeFile('Option "-j" is unknown, try "ip -help".\n', 'ip-addr.json');
    expect(f.sections[0]).toMatchObject({ command: 'addr', ok: false, note: 'command failed' });
    expect(f.problems).toEqual(['ip-addr.json:1: command failed: Option "-j" is unknown, try "ip -help".']);
  });

  it('caps the problems of a garbage file', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `junk ${i}`).join('\n');
    const r = parseIpRoute(text, 'r.txt');
    expect(r.problems).toHaveLength(51);
    expect(r.problems.at(-1)).toBe('r.txt: 950 more problem(s) not listed');
  });

  it('stops at 200k lines by default and says how many were left', () => {
    const route = 'default via 198.18.0.254 dev eth0';
    const lines = [route, ...Array.from({ length: 199_999 }, () => ''), '10.9.0.0/16 via 198.18.0.2 dev eth0', '10.8.0.0/16 via 198.18.0.2 dev eth0'];
    const r = parseIpRoute(lines.join('\n'), 'big.txt');
    expect(r.routes.map((x) => x.dst)).toEqual(['default']);
    expect(r.problems).toEqual(['big.txt: 2 lines beyond the first 200000 not read']);
  });

  it('keeps every route up to the cap', () => {
    const lines: string[] = [];
    for (let i = 0; i < 1500; i++) lines.push(`10.0.${i >> 8}.${i & 255} via 198.18.0.2 dev eth0 `);
    const r = parseIpRoute(lines.join('\n') + '\n', 'big.txt', { maxLines: 1000 });
    expect(r.routes).toHaveLength(1000);
    expect(r.routes.at(-1)?.dst).toBe('10.0.3.231/32');
    expect(r.problems).toEqual(['big.txt: 500 lines beyond the first 1000 not read']);
  });

  it('caps JSON entries too', () => {
    const entries = Array.from({ length: 30 }, (_, i) => `{"dst":"10.0.0.${i}","dev":"eth0","state":["STALE"]}`);
    const r = parseIpNeigh(`[${entries.join(',')}]`, 'n.json', { maxLines: 20 });
    expect(r.neighbors).toHaveLength(20);
    expect(r.problems).toEqual(['n.json: 10 JSON entries beyond the first 20 not read']);
  });
});
