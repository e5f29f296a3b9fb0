import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInProcess, tempPath } from '../commands/harness.js';
import { LAB } from './lab-cluster.js';

const POD_A = join(LAB, 'flannel-vxlan-stale-fdb', 'pod-a.pcap');

/** Cluster files are operator input, as untrusted as packets. */
function clusterFile(items: unknown[]): string {
  const path = tempPath(`cluster-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ kind: 'List', items }));
  return path;
}

const pod = (name: string, namespace: string, ip: string, node = 'node1') => ({ kind: 'Pod', metadata: { name, namespace }, spec: { nodeName: node }, status: { podIP: ip, phase: 'Running' } });

describe('names from cluster files in the outputs', () => {
  it('refuses objects whose names are no Kubernetes names, says so, and shows nothing of them', async () => {
    const k8s = [clusterFile([pod('evil\u001b[2J\u202e', 'default', '100.96.1.2'), pod('x; rm -rf /', 'default', '100.96.2.2'), pod('ok', 'ns', '100.96.2.2', 'n1 && reboot')])];
    for (const args of [{ format: 'text' as const }, { list: true }]) {
      const r = await readInProcess({ files: [POD_A], k8s, ...args });
      expect(r.stderr.match(/not a valid Kubernetes name; ignored/g)).toHaveLength(3);
      expect(r.stdout).not.toMatch(/evil|rm -rf|reboot/);
      expect(r.stdout + r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    }
  });

  it('escapes the Markdown-significant characters names may hold', async () => {
    const r = await readInProcess({ files: [POD_A], k8s: [clusterFile([pod('web_1.a-b', 'team.x', '100.96.1.2')])], format: 'markdown' });
    const names = r.stdout.slice(r.stdout.indexOf('<summary>Names'));
    expect(names).toContain('| 100\\.96\\.1\\.2 | pod | team\\.x/web\\_1\\.a\\-b | node1 |');
  });
});

describe('problems with cluster files on stderr', () => {
  it('quote no control characters from the file', async () => {
    const path = tempPath('bad\u001b[31m.json');
    writeFileSync(path, '{"kind": "List", "items": [\u001b[2J');
    const r = await readInProcess({ files: [POD_A], k8s: [path], format: 'json' });
    expect(r.stderr).toMatch(/cluster state: .*bad.*\.json: not valid JSON/);
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});
