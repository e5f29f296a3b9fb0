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
  ['nft-ruleset.txt', ['nft', 'list', 'ruleset']],
];

/** What `kubectl exec POD -- ip ...` would show. */
const POD_COMMANDS: [file: string, argv: string[]][] = [
  ['ip-addr.txt', ['ip', 'addr']],
  ['ip-addr.json', ['ip', '-j', 'addr']],
  ['ip-route.txt', ['ip', 'route']],
  ['ip-route.json', ['ip', '-j', 'route']],
  ['ip-neigh.txt', ['ip', 'neigh']],
  ['ip-neigh.json', ['ip', '-j', 'neigh']],
];

function dump(lab: Lab, role: string, dir: string, commands: [string, string[]][]): void {
  mkdirSync(dir, { recursive: true });
  for (const [file, argv] of commands) {
    const r = lab.query(role, argv, { timeoutMs: 5000 });
    writeFileSync(join(dir, file), r.stdout.endsWith('\n') || r.stdout === '' ? r.stdout : r.stdout + '\n');
  }
}

export function dumpPodState(lab: Lab, spec: ClusterSpec, dir: string, created: (pod: string) => boolean): void {
  for (const p of spec.pods) {
    if (created(p.name)) dump(lab, p.name, join(dir, 'pods', p.name), POD_COMMANDS);
  }
}

export function dumpNodeState(lab: Lab, spec: ClusterSpec, dir: string, birds: BirdDaemon[]): void {
  for (const n of spec.nodes) {
    const nodeDir = join(dir, 'nodes', n.name);
    dump(lab, n.name, nodeDir, COMMANDS);
    const bird = birds.find((b) => b.node === n);
    if (bird) {
      writeFileSync(join(nodeDir, 'birdc-protocols.txt'), birdc(lab, bird, 'show', 'protocols', 'all'));
      writeFileSync(join(nodeDir, 'birdc-route.txt'), birdc(lab, bird, 'show', 'route', 'all'));
    }
  }
}
