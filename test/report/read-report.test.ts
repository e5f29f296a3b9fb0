import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInProcess, spawnCli, tempPath } from '../commands/harness.js';

/** `netdiag read --format html|markdown` and `--evidence` as the command runs them. */
const MTU = 'fixtures/lab/flannel-vxlan-mtu';
const files = ['node1-underlay.pcap', 'node2-underlay.pcap', 'pod-a.pcap', 'pod-b.pcap'].map((f) => join(MTU, f));

describe('netdiag read reports', () => {
  it('--format html --output writes one self-contained page: no script, nothing fetched', async () => {
    const out = tempPath('incident.html');
    const r = await readInProcess({ files, format: 'html', output: out });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<svg id="path-diagram"');
    expect(html).toContain('class="seg failing"');
    expect(html).not.toMatch(/<script|<link|@import|url\((?!#)|src=|(?<!xmlns=")https?:/i);
  });

  it('with cluster state, the path names the pods and nodes', async () => {
    const run = 'fixtures/lab/flannel-vxlan-stale-fdb';
    const caps = ['node1-underlay.pcap', 'node2-underlay.pcap', 'node3-underlay.pcap', 'pod-a.pcap', 'pod-b.pcap'].map((f) => join(run, f));
    const r = await readInProcess({ files: caps, format: 'html', clusterState: join(run, 'k8s') });
    expect(r.exitCode).toBe(0);
    const svg = /<svg id="path-diagram"[\s\S]*?<\/svg>/.exec(r.stdout)![0];
    expect(svg).toContain('>default/pod-a<');
    expect(svg).toContain('>default/pod-b<');
    expect(svg).toContain('source node node1 198.18.0.1');
    expect(svg).toContain('destination node node2 198.18.0.2');
    const plain = await readInProcess({ files: caps, format: 'html' });
    expect(plain.stdout).not.toContain('default/pod-a');
  });

  it('--evidence writes the cited packets next to the report and says how many', async () => {
    const ev = tempPath('evidence.pcapng');
    const r = await readInProcess({ files, format: 'json', evidence: ev });
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout) as { findings: Array<{ evidence: Array<{ capture: string; packets: number[] }> }> };
    const pairs = new Set(report.findings.flatMap((f) => f.evidence.flatMap((e) => e.packets.map((n) => `${e.capture}#${n}`))));
    expect(r.stderr).toBe(`netdiag: ${ev}: ${pairs.size} cited packets from 4 capture points\n`);
    expect(readFileSync(ev).readUInt32LE(0)).toBe(0x0a0d0d0a);
  });

  it('--evidence naming one of the captures is refused before anything is read', async () => {
    const r = await readInProcess({ files, format: 'markdown', evidence: files[2]! });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`netdiag: --evidence ${files[2]}: that is one of the captures being read\n`);
    expect(readFileSync(files[2]!).readUInt32LE(0)).toBe(0xa1b2c3d4);
  });

  it('a capture read from stdin is reported without its key packets, not a crash', async () => {
    const r = await spawnCli(['read', '-', '--format', 'html'], readFileSync(join(MTU, 'node1-underlay.pcap')));
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/stdin: read from stdin, so its cited packets cannot be read again/);
    expect(r.stdout).toContain('<svg id="path-diagram"');
  });

  it('--evidence naming the --output file is refused', async () => {
    const out = tempPath('both.out');
    const r = await readInProcess({ files, format: 'html', output: out, evidence: out });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`netdiag: --evidence ${out}: the report is written there too (--output)\n`);
  });

  it('--evidence without a file name is refused: stdout carries the report', async () => {
    for (const value of ['-', '']) {
      const r = await spawnCli(['read', files[0]!, '--evidence', value, '--format', 'json']);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('netdiag: --evidence: name the pcapng file to write, e.g. --evidence evidence.pcapng\n');
    }
  });
});
