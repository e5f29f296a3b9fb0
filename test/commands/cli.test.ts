import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/built.js';
import { ROOT, spawnCli, tempPath, tshark, udpPacket, vxlanSyn, writePcap } from './harness.js';

describe('netdiag exit codes and streams', () => {
  it('exits 0 and prints the plain-text report when stdout is not a terminal', async () => {
    const r = await spawnCli(['read', writePcap([{ data: vxlanSyn() }, { data: udpPacket(Buffer.from('x')) }])]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^netdiag \S+ — /);
    expect(r.stdout).toContain('Findings');
    // Piped output carries no colour escapes.
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('prints the packet list with --format packets when stdout is not a terminal', async () => {
    const r = await spawnCli(['read', '--format', 'packets', writePcap([{ data: vxlanSyn() }, { data: udpPacket(Buffer.from('x')) }])]);
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
  });

  it('exits 2 on an unknown option', async () => {
    const r = await spawnCli(['read', '--bogus-option', writePcap([{ data: vxlanSyn() }])]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^netdiag: .*bogus-option/);
  });

  it('exits 2 without a capture file', async () => {
    const r = await spawnCli(['read']);
    expect(r.status).toBe(2);
  });

  it('exits 2 without a command', async () => {
    const r = await spawnCli([]);
    expect(r.status).toBe(2);
  });

  it('exits 2 on a bad display filter, showing where it is wrong', async () => {
    const r = await spawnCli(['read', writePcap([{ data: vxlanSyn() }]), '-Y', 'ip.src ==']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('^');
  });

  it('exits 2 on an unknown field, naming close matches', async () => {
    const r = await spawnCli(['read', writePcap([{ data: vxlanSyn() }]), '-T', 'fields', '-e', 'vxlan.vnii']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('vxlan.vni');
  });

  it('exits 2 when a capture cannot be read, after reading the others', async () => {
    const ok = writePcap([{ data: vxlanSyn() }]);
    const r = await spawnCli(['read', tempPath('absent.pcap'), ok, '--list']);
    expect(r.status).toBe(2);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^netdiag: .*absent\.pcap: /);
  });

  it('reads stdin with -', async () => {
    const path = writePcap([{ data: vxlanSyn() }, { data: udpPacket(Buffer.from('x')) }]);
    const r = await spawnCli(['read', '-', '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src'], readFileSync(path));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(tshark(['-r', path, '-d', 'udp.port==8472,vxlan', '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src']));
  });

  it('writes a capture to stdout with -w - (tcpdump -w - | netdiag read - -w - works both ways)', async () => {
    const path = writePcap([{ data: vxlanSyn() }, { data: udpPacket(Buffer.from('x')) }]);
    const r = await spawnCli(['read', '-', '-w', '-', '-Y', 'vxlan'], readFileSync(path));
    expect(r.status).toBe(0);
    const out = tempPath('cli-stdout.pcap');
    writeFileSync(out, r.stdoutBytes);
    expect(tshark(['-r', out, '-T', 'fields', '-e', 'frame.len']).trim()).toBe(String(vxlanSyn().length));
  });

  it('stops quietly when the reader of its output goes away', () => {
    const path = writePcap(Array.from({ length: 5000 }, () => ({ data: vxlanSyn() })));
    const r = spawnSync('bash', ['-c', `set -o pipefail; node --import tsx src/cli.ts read --list '${path}' | head -n 2`], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const w = spawnSync('bash', ['-c', `set -o pipefail; node --import tsx src/cli.ts read -w - '${path}' | head -c 100 | wc -c`], { cwd: ROOT, encoding: 'utf8' });
    expect(w.stdout.trim()).toBe('100');
    expect(w.stderr).toBe('');
    expect(w.status).toBe(0);
  });
});

describe('the netdiag executable', () => {
  beforeAll(() => {
    // The published entry point runs the compiled code; build it as `npm install` would.
    ensureBuilt();
  }, 180_000);

  it('starts from bin/netdiag.js and prints help with the read command', () => {
    expect(existsSync(join(ROOT, 'dist/src/cli.js'))).toBe(true);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/netdiag.js'), '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('netdiag read');
    const help = spawnSync(process.execPath, [join(ROOT, 'bin/netdiag.js'), 'read', '--help'], { encoding: 'utf8' }).stdout;
    for (const opt of ['--list', '-T', '-e', '-E', '-V', '-x', '-c', '-Y', '-d', '-w', '--format', '--output', '--tui', '--fail-on']) {
      expect(help).toContain(opt);
    }
  });
});
