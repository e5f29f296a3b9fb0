import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseBirdProtocols, parseBirdRoutes } from '../../src/nodestate/parse.js';

// BIRD 2.0.12 outputs captured by fixtures/nodestate/generate.sh. node1 peers with node2
// (works), node3 (configured with another AS), 198.18.0.254 (nothing listens) and 198.18.0.9
// (no such host); node1 prints `timeformat ... iso long` dates.
const FIX = fileURLToPath(new URL('../../fixtures/nodestate/', import.meta.url));
const read = (p: string): string => readFileSync(FIX + p, 'utf8');

describe('birdc show protocols (BIRD 2)', () => {
  it('reads the state and the error of every BGP session', () => {
    const { protocols, problems } = parseBirdProtocols(read('node1/birdc-protocols.txt'), 'birdc-protocols.txt');
    expect(problems).toEqual([]);
    expect(protocols.map((p) => [p.name, p.proto, p.state, p.bgpState, p.message])).toEqual([
      ['device1', 'Device', 'up', null, null],
      ['direct1', 'Direct', 'up', null, null],
      ['static1', 'Static', 'up', null, null],
      ['kernel1', 'Kernel', 'up', null, null],
      ['node2', 'BGP', 'up', 'Established', null],
      ['node3', 'BGP', 'start', 'Idle', 'BGP Error: Bad peer AS'],
      ['upstream', 'BGP', 'start', 'Active', 'Socket: Connection refused'],
      ['ghost', 'BGP', 'start', 'Active', 'Socket: No route to host'],
    ]);
    expect(protocols[6]?.info).toBe('Active  Socket: Connection refused');
    expect(protocols[2]?.table).toBe('master4');
    expect(protocols[4]?.table).toBeNull();
    // `iso long`: the date and the time are two words of one column.
    expect(protocols[4]?.since).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it('reads the other side of the AS mismatch and the short time format', () => {
    const { protocols } = parseBirdProtocols(read('node3/birdc-protocols.txt'), 'p.txt');
    expect(protocols.at(-1)).toMatchObject({ name: 'node1', state: 'start', bgpState: 'Idle', message: 'Received: Bad peer AS' });
    expect(protocols.at(-1)?.since).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3}$/);
  });

  it('takes neighbour, AS numbers and last error from `show protocols all`', () => {
    const { protocols, problems } = parseBirdProtocols(read('node1/birdc-protocols-all.txt'), 'p.txt');
    expect(problems).toEqual([]);
    const bgp = protocols.filter((p) => p.proto === 'BGP');
    expect(bgp.map((p) => [p.name, p.neighbor, p.neighborAs, p.localAs, p.bgpState, p.message])).toEqual([
      ['node2', '198.18.0.2', 64512, 64512, 'Established', null],
      ['node3', '198.18.0.3', 64512, 64512, 'Idle', 'BGP Error: Bad peer AS'],
      ['upstream', '198.18.0.254', 64512, 64512, 'Active', 'Socket: Connection refused'],
      ['ghost', '198.18.0.9', 64512, 64512, 'Active', 'Socket: No route to host'],
    ]);
  });
});

// BIRD 1.x layout (Calico's birdcl): lower-case header, a `master` table, dates, long names
// that push the columns right.
const BIRD1_PROTOCOLS = `BIRD 1.6.8 ready.
name     proto    table    state  since       info
static1  Static   master   up     2024-05-01
kernel1  Kernel   master   up     2024-05-01
device1  Device   master   up     2024-05-01
direct1  Direct   master   up     2024-05-01
Mesh_192_168_100_101 BGP      master   up     2024-05-01  Established
Mesh_192_168_100_102 BGP      master   start  2024-05-01  Active        Socket: Connection refused
Mesh_192_168_100_103 BGP      master   start  09:14:02    Connect
Node_10_0_0_1 BGP      master   start  09:14:02    Passive
`;

const BIRD1_ROUTES = `BIRD 1.6.8 ready.
0.0.0.0/0          via 10.0.0.1 on eth0 [kernel1 2024-05-01] * (10)
10.244.1.0/26      via 10.0.0.2 on eth0 [Mesh_10_0_0_2 2024-05-01] * (100/0) [i]
                   via 10.0.0.3 on eth0 [Mesh_10_0_0_3 2024-05-01] (100/0) [i]
10.244.0.0/26      blackhole [static1 2024-05-01] * (200)
10.244.0.5/32      dev cali1234abcd [kernel1 2024-05-01] * (10)
10.99.0.0/16       multipath [static1 09:14:02] * (200)
	via 10.0.0.2 on eth0 weight 1
	via 10.0.0.3 on eth0 weight 2
10.245.0.0/26      via 10.0.0.9 on eth0 [rr1 2024-05-01 from 10.0.0.5] * (100/0) [AS64513i]
`;

describe('birdc show protocols (BIRD 1)', () => {
  it('splits columns on whitespace and reads the session states', () => {
    const { protocols, problems } = parseBirdProtocols(BIRD1_PROTOCOLS, 'p.txt');
    expect(problems).toEqual([]);
    expect(protocols.map((p) => [p.name, p.table, p.since, p.bgpState, p.message])).toEqual([
      ['static1', 'master', '2024-05-01', null, null],
      ['kernel1', 'master', '2024-05-01', null, null],
      ['device1', 'master', '2024-05-01', null, null],
      ['direct1', 'master', '2024-05-01', null, null],
      ['Mesh_192_168_100_101', 'master', '2024-05-01', 'Established', null],
      ['Mesh_192_168_100_102', 'master', '2024-05-01', 'Active', 'Socket: Connection refused'],
      ['Mesh_192_168_100_103', 'master', '09:14:02', 'Connect', null],
      ['Node_10_0_0_1', 'master', '09:14:02', 'Passive', null],
    ]);
  });
});

describe('birdc show route', () => {
  it('reads BIRD 2 routes with next hops on their own lines', () => {
    for (const file of ['node1/birdc-route.txt', 'node1/birdc-route-all.txt']) {
      const { routes, problems } = parseBirdRoutes(read(file), 'r.txt');
      expect(problems).toEqual([]);
      expect(routes.map((r) => [r.prefix, r.type, r.gateway, r.dev, r.protocol, r.primary, r.preference, r.origin, r.table])).toEqual([
        ['100.97.2.0/26', 'unicast', '198.18.0.2', 'eth0', 'node2', true, 100, 'i', 'master4'],
        ['100.97.1.0/26', 'blackhole', null, null, 'static1', true, 200, null, 'master4'],
        ['198.18.0.0/24', 'unicast', null, 'eth0', 'direct1', true, 240, null, 'master4'],
      ]);
    }
  });

  it('reads BIRD 1 routes: inline next hops, alternatives, multipath, route reflector', () => {
    const { routes, problems } = parseBirdRoutes(BIRD1_ROUTES, 'r.txt');
    expect(problems).toEqual([]);
    expect(routes.map((r) => [r.prefix, r.type, r.gateway, r.dev, r.protocol, r.primary, r.preference, r.origin, r.from])).toEqual([
      ['0.0.0.0/0', 'unicast', '10.0.0.1', 'eth0', 'kernel1', true, 10, null, null],
      ['10.244.1.0/26', 'unicast', '10.0.0.2', 'eth0', 'Mesh_10_0_0_2', true, 100, 'i', null],
      ['10.244.1.0/26', 'unicast', '10.0.0.3', 'eth0', 'Mesh_10_0_0_3', false, 100, 'i', null],
      ['10.244.0.0/26', 'blackhole', null, null, 'static1', true, 200, null, null],
      ['10.244.0.5/32', 'unicast', null, 'cali1234abcd', 'kernel1', true, 10, null, null],
      ['10.99.0.0/16', 'unicast', '10.0.0.2', 'eth0', 'static1', true, 200, null, null],
      ['10.245.0.0/26', 'unicast', '10.0.0.9', 'eth0', 'rr1', true, 100, 'AS64513i', '10.0.0.5'],
    ]);
    expect(routes[5]?.nexthops).toEqual([
      { gateway: '10.0.0.2', dev: 'eth0', weight: 1 },
      { gateway: '10.0.0.3', dev: 'eth0', weight: 2 },
    ]);
  });

  it('reports lines that are not routes and keeps going', () => {
    const text = 'BIRD 2.0.12 ready.\nTable master4:\nnot a route at all\n10.0.0.0/8 unicast [static1 12:00:00.000] * (200)\n\tdev eth0\n';
    const { routes, problems } = parseBirdRoutes(text, 'r.txt');
    expect(problems).toEqual(['r.txt:3: not a birdc show route line: not a route at all']);
    expect(routes.map((r) => r.prefix)).toEqual(['10.0.0.0/8']);
  });

  it('reports protocol lines it cannot read', () => {
    const { protocols, problems } = parseBirdProtocols('BIRD 2.0.12 ready.\nName Proto Table State Since Info\nwho knows\n', 'p.txt');
    expect(protocols).toEqual([]);
    expect(problems).toEqual(['p.txt:3: not a birdc show protocols line: who knows']);
  });
});
