/**
 * The README's collection lines, run verbatim inside a private network namespace built like a
 * flannel node, must produce files that loadNodeState reads back with the namespace's facts.
 * Needs root, iproute2 and unshare; skipped elsewhere. BIRD is added when bird2 is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeState } from '../../src/nodestate/load.js';
import type { NodeStateOne } from '../../src/nodestate/types.js';

const README = fileURLToPath(new URL('../../fixtures/nodestate/README.md', import.meta.url));

function readmeLine(marker: string): string {
  const lines = readFileSync(README, 'utf8').split('\n');
  const at = lines.indexOf(`<!-- ${marker} -->`);
  if (at < 0 || lines[at + 1] !== '```sh') throw new Error(`README has no ${marker} block`);
  return lines[at + 2] as string;
}

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const canRun = process.getuid?.() === 0 && have('ip') && have('unshare') && have('bridge');
const withBird = canRun && have('bird') && have('birdc');

const NS = `ndns-t${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'ndns-collect-'));
const ctl = join(work, 'bird.ctl');
const pidFile = join(work, 'bird.pid');
const VTEP_MAC = '0a:6e:1c:00:00:01';
const PEER_VTEP_MAC = '0a:6e:1c:00:00:02';

function inNs(...args: string[]): void {
  execFileSync('ip', ['netns', 'exec', NS, ...args], { stdio: 'pipe' });
}

/** Runs `script` as the node `ndtest`: own hostname and, with BIRD, birdc's default socket. */
function runAsNode(shell: string, script: string, cwd: string): string {
  const prep = [
    'hostname ndtest',
    withBird ? `mount -t tmpfs tmpfs /run && mkdir -p /run/bird && ln -s ${ctl} /run/bird/bird.ctl` : ':',
    `cd ${cwd}`,
    `exec ${shell} ./line.sh`,
  ].join(' && ');
  writeFileSync(join(cwd, 'line.sh'), `${script}\n`);
  return execFileSync('ip', ['netns', 'exec', NS, 'unshare', '--uts', '--mount', 'sh', '-c', prep], { encoding: 'utf8' });
}

describe.skipIf(!canRun)('README collection lines in a namespace', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', NS]);
    const ip = (...a: string[]): void => void execFileSync('ip', ['-n', NS, ...a]);
    ip('link', 'set', 'lo', 'up');
    ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
    ip('addr', 'add', '198.18.0.1/24', 'dev', 'eth0');
    ip('link', 'set', 'eth0', 'up');
    ip('link', 'set', 'eth0p', 'up');
    ip('link', 'add', 'flannel.1', 'type', 'vxlan', 'id', '1', 'dstport', '8472', 'local', '198.18.0.1', 'dev', 'eth0', 'nolearning');
    ip('link', 'set', 'flannel.1', 'address', VTEP_MAC, 'up');
    ip('addr', 'add', '100.96.1.0/32', 'dev', 'flannel.1');
    ip('link', 'add', 'cni0', 'type', 'bridge');
    ip('addr', 'add', '100.96.1.1/24', 'dev', 'cni0');
    ip('link', 'set', 'cni0', 'up');
    ip('route', 'add', '100.96.2.0/24', 'via', '100.96.2.0', 'dev', 'flannel.1', 'onlink');
    ip('neigh', 'replace', '100.96.2.0', 'lladdr', PEER_VTEP_MAC, 'dev', 'flannel.1', 'nud', 'permanent');
    inNs('bridge', 'fdb', 'append', PEER_VTEP_MAC, 'dev', 'flannel.1', 'dst', '198.18.0.2');
    if (withBird) {
      const conf = join(work, 'bird.conf');
      writeFileSync(
        conf,
        'router id 198.18.0.1;\nprotocol device {}\nprotocol bgp peer2 { local 198.18.0.1 as 64512; neighbor 198.18.0.2 as 64512; ipv4 { import all; export none; }; }\n',
      );
      inNs('bird', '-c', conf, '-s', ctl, '-P', pidFile);
      for (let i = 0; i < 50 && !existsSync(ctl); i++) execFileSync('sleep', ['0.1']);
    }
  });

  afterAll(() => {
    try {
      if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, 'utf8').trim()));
    } catch {
      /* already gone */
    }
    spawnSync('ip', ['netns', 'del', NS]);
    rmSync(work, { recursive: true, force: true });
  });

  function expectFlannelNode(node: NodeStateOne | undefined): void {
    expect(node?.name).toBe('ndtest');
    expect(node?.links.find((l) => l.ifname === 'flannel.1')).toMatchObject({
      kind: 'vxlan', mac: VTEP_MAC, vxlan: expect.objectContaining({ id: 1, port: 8472, local: '198.18.0.1', dev: 'eth0', learning: false }),
    });
    expect(node?.links.find((l) => l.ifname === 'cni0')?.kind).toBe('bridge');
    expect(node?.addresses).toContainEqual(expect.objectContaining({ ifname: 'cni0', address: '100.96.1.1', prefixlen: 24 }));
    expect(node?.routes.find((r) => r.dst === '100.96.2.0/24')).toMatchObject({ gateway: '100.96.2.0', dev: 'flannel.1', onlink: true });
    expect(node?.neighbors.find((n) => n.dst === '100.96.2.0')).toMatchObject({ lladdr: PEER_VTEP_MAC, state: ['PERMANENT'], dev: 'flannel.1' });
    expect(node?.fdb.find((f) => f.dev === 'flannel.1')).toMatchObject({ mac: PEER_VTEP_MAC, dst: '198.18.0.2', flags: ['self'], state: 'permanent' });
    if (withBird) {
      expect(node?.bgp.map((p) => [p.name, p.proto, p.state])).toEqual([['peer2', 'BGP', 'start']]);
    }
  }

  for (const shell of ['sh', 'bash']) {
    it(`the folder line writes nd/<hostname>/ that loads with the namespace's facts (${shell})`, async () => {
      if (!have(shell)) return;
      const cwd = join(work, `folder-${shell}`);
      mkdirSync(cwd);
      const out = runAsNode(shell, readmeLine('collect-folder'), cwd);
      expect(out.trim()).toBe(`node state saved in ${cwd}/nd/ndtest`);
      const s = await loadNodeState(join(cwd, 'nd'));
      expect(s.problems).toEqual([]);
      expect(s.nodes).toHaveLength(1);
      expect(s.nodes[0]?.problems).toEqual([]);
      expect(s.nodes[0]?.files?.filter((f) => f.used).map((f) => `${f.command}/${f.format}`).sort()).toEqual(
        [...(withBird ? ['bird-protocols/text', 'bird-routes/text'] : []), 'addr/json', 'fdb/json', 'hostname/text', 'link/json', 'neigh/json', 'route/json'].sort(),
      );
      expectFlannelNode(s.nodes[0]);
    });
  }

  it('the stdout line prints one combined file that loads the same way', async () => {
    const cwd = join(work, 'stdout');
    mkdirSync(cwd);
    const out = runAsNode('sh', readmeLine('collect-stdout'), cwd);
    writeFileSync(join(cwd, 'saved.txt'), out);
    const s = await loadNodeState(join(cwd, 'saved.txt'));
    expect(s.nodes).toHaveLength(1);
    // Without BIRD, birdc's "not found" is noted, not reported as a problem.
    expect(s.nodes[0]?.problems).toEqual([]);
    expectFlannelNode(s.nodes[0]);
  });
});
