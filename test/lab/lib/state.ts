import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BirdDaemon } from './bird.js';
import { birdc } from './bird.js';
import type { ClusterSpec } from './cluster.js';
import type { Lab } from './lab.js';

/** What an SRE would collect on each node with `kubectl debug node/...` or ssh, text and JSON. */
const COMMANDS: [file: string, argv: string[]][] = [
  ['ip-addr.txt', ['ip', 'addr']],
  ['ip-addr.json', ['ip', '-j', 'addr']],
  ['ip-route.txt', ['ip', 'route']],
  ['ip-route.json', ['ip', '-j', 'route']],
  ['ip-neigh.txt', ['ip', 'neigh']],
  ['ip-neigh.json', ['ip', '-j', 'neigh']],
  ['bridge-fdb.txt', ['bridge', 'fdb', 'show']],
  ['bridge-fdb.json', ['bridge', '-j', 'fdb', 'show']],
  ['ip-d-link.txt', ['ip', '-d', 'link']],
  ['ip-d-link.json', ['ip', '-d', '-j', 'link']],
  ['ip-s-link.txt', ['ip', '-s', 'link']],
  ['nft-ruleset.txt', ['nft', 'list', 'ruleset']],
];

export function dumpNodeState(lab: Lab, spec: ClusterSpec, dir: string, birds: BirdDaemon[]): void {
  for (const n of spec.nodes) {
    const nodeDir = join(dir, 'nodes', n.name);
    mkdirSync(nodeDir, { recursive: true });
    for (const [file, argv] of COMMANDS) {
      const r = lab.query(n.name, argv, { timeoutMs: 5000 });
      writeFileSync(join(nodeDir, file), r.stdout.endsWith('\n') || r.stdout === '' ? r.stdout : r.stdout + '\n');
    }
    const bird = birds.find((b) => b.node === n);
    if (bird) {
      writeFileSync(join(nodeDir, 'birdc-protocols.txt'), birdc(lab, bird, 'show', 'protocols', 'all'));
      writeFileSync(join(nodeDir, 'birdc-route.txt'), birdc(lab, bird, 'show', 'route', 'all'));
    }
  }
}
