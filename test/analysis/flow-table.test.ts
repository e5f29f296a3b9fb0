/**
 * Large captures materialize only some of their flows. What the report and every
 * analyzer conclude must not depend on it: the diagnosis over the selected flows equals
 * the diagnosis over all of them, on generated node captures whose flows far outnumber
 * the selection, alone and side by side (cross-capture matching).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCapture } from '../../bench/generate.js';
import type { Analyzer } from '../../src/analysis/analyzer.js';
import { analyzers } from '../../src/analysis/analyzers/index.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import { PacketFacts, TUNNEL_NAMES } from '../../src/analysis/facts.js';
import { FLOW_DETAIL_LIMIT, FlowTable } from '../../src/analysis/flow-table.js';
import { analyzeReader, type CaptureResult } from '../../src/analysis/pass.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { encodePcapHeader, encodePcapRecord } from '../../src/capture/writer.js';
import { ETHERTYPE, ethernet, gre, ipTcp, ipv4 } from '../../src/craft/index.js';
import { createRegistry } from '../../src/decode/protocols.js';
import { buildReport } from '../../src/report/report.js';

const dir = mkdtempSync(join(tmpdir(), 'netdiag-flows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pass that also hands back its flow table, so a test can materialize it both ways. */
async function passWithTable(buf: Buffer, name: string, index: number, flowCapacity?: number): Promise<{ result: CaptureResult; table: FlowTable }> {
  let table: FlowTable | undefined;
  const probe: Analyzer = {
    name: 'flow-table-probe',
    create: (ctx) => {
      table = ctx.flows;
      return null;
    },
    finish: () => null,
  };
  const result = await analyzeReader(CaptureReader.fromBuffer(buf, name), { name, path: '-' }, index, { analyzers: [...analyzers, probe], ...(flowCapacity ? { flowCapacity } : {}) });
  return { result, table: table! };
}

function reportFrom(results: CaptureResult[]): unknown {
  const { model, findings } = diagnose(results, null, analyzers);
  const r = buildReport(model, findings, '0.0.0', ['netdiag']);
  return { ...r, captures: r.captures.map((c) => ({ ...c, durationMs: 0 })) };
}

async function generated(seed: string, packets: number): Promise<Buffer> {
  const path = join(dir, `k8s-${seed}.pcap`);
  await generateCapture({ packets, seed, flows: 400 }, path);
  return readFileSync(path);
}

describe('materializing only the flows the diagnosis reads', () => {
  let captures: Array<{ result: CaptureResult; table: FlowTable }>;
  beforeAll(async () => {
    captures = [];
    for (const [k, seed] of ['1', '2'].entries()) captures.push(await passWithTable(await generated(seed, 60_000), `node${k + 1}-underlay.pcap`, k));
  }, 120_000);

  it('keeps far fewer flows than the table holds on these captures', () => {
    for (const { table } of captures) {
      const all = table.summaries(Infinity).length;
      const selected = table.summaries(0).length;
      expect(all).toBe(table.size);
      expect(selected).toBeLessThan(all / 2);
    }
  });

  it('gives the same findings, topology and report flow list for one capture', () => {
    const { result, table } = captures[0]!;
    const full = reportFrom([{ ...result, flows: table.summaries(Infinity) }]);
    const selected = reportFrom([{ ...result, flows: table.summaries(0) }]);
    expect(selected).toEqual(full);
  });

  it('gives the same findings, topology and report flow list across two captures', () => {
    const full = reportFrom(captures.map(({ result, table }) => ({ ...result, flows: table.summaries(Infinity) })));
    const selected = reportFrom(captures.map(({ result, table }) => ({ ...result, flows: table.summaries(0) })));
    expect(selected).toEqual(full);
  });

  it('materializes every flow while the table holds no more than the limit', () => {
    const { table } = captures[0]!;
    expect(table.summaries(table.size).length).toBe(table.size);
    expect(table.summaries(table.size - 1).length).toBeLessThan(table.size);
  });
});

describe('a capture of more flows than anything lists', () => {
  it('counts every flow in the capture summary and the report, and materializes a bounded set', async () => {
    // A SYN to a new port from a new address per packet: every packet a new, unanswered flow.
    const buf = await generateScan(30_000);
    const { result, table } = await passWithTable(buf, 'scan.pcap', 0);
    expect(result.summary.flows).toBe(30_000);
    expect(result.flows.length).toBeLessThan(FLOW_DETAIL_LIMIT);
    const { model, findings } = diagnose([result], null);
    const report = buildReport(model, findings, '0.0.0', ['netdiag']);
    expect(report.flows.length + report.flowsOmitted).toBe(30_000);
    // The report lists the same flows as it would from the whole table.
    const full = reportFrom([{ ...result, flows: table.summaries(Infinity) }]) as { flows: unknown[] };
    expect(report.flows).toEqual(full.flows);
  }, 60_000);
});

async function generateScan(packets: number): Promise<Buffer> {
  const path = join(dir, 'scan.pcap');
  await generateCapture({ packets, seed: '1', scan: true }, path);
  return readFileSync(path);
}

describe('flow keys', () => {
  it('keep a GRE key with the top bit set: one conversation is one flow, its key printed as sent', async () => {
    const o = { linktype: 1, nanos: false } as const;
    const frames = [0, 1, 2, 3].map((k) =>
      ethernet(
        { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', type: ETHERTYPE.IPV4 },
        ipv4({ src: '198.18.0.1', dst: '198.18.0.2', proto: 47 }, gre({ protocol: 0x0800, key: 0x80000001 }, ipTcp({ src: '100.96.1.10', dst: '100.96.2.10', sport: 40000, dport: 80, seq: 1 + k * 10, ack: 1, flags: 'A' }, Buffer.alloc(10)))),
      ),
    );
    const buf = Buffer.concat([encodePcapHeader(o), ...frames.map((f, k) => encodePcapRecord(o, { sec: 1_700_000_000 + k, nsec: 0 }, f))]);
    const { result } = await passWithTable(buf, 'gre.pcap', 0);
    expect(result.flows).toHaveLength(1);
    expect(result.flows[0]!.tunnel).toBe('gre');
    expect(result.flows[0]!.tunnelId).toBe(0x80000001);
    expect(result.flows[0]!.packets[0] + result.flows[0]!.packets[1]).toBe(4);
  });
});

/** Facts of a UDP packet between two pod addresses (IPv4 as ::ffff:a.b.c.d words). */
function udpFacts(f: PacketFacts, src: number, dst: number, sport: number, dport: number): PacketFacts {
  f.addr.fill(0);
  f.addr[10] = f.addr[14] = 0xffff;
  f.addr[11] = src;
  f.addr[15] = dst;
  f.innerIp = 1;
  f.l4 = 2;
  f.icmp = -1;
  f.innerProto = 17;
  f.sport = sport;
  f.dport = dport;
  f.innerIpLen = 60;
  return f;
}

describe('the bucket index', () => {
  it('finds every flow again after growing with thousands of them', () => {
    const table = new FlowTable(50_000);
    const f = new PacketFacts(createRegistry());
    const flows = 20_000;
    const base = 0x64600000; // 100.96.0.0
    for (let k = 0; k < flows; k++) table.add(udpFacts(f, base + k, base + 0x10000 + (k % 7), 30000 + (k % 1000), 53), k, k + 1, 100);
    // The answers, in the other direction: each must land on its flow's row.
    for (let k = flows - 1; k >= 0; k--) table.add(udpFacts(f, base + 0x10000 + (k % 7), base + k, 53, 30000 + (k % 1000)), flows + k, flows + k + 1, 100);
    expect(table.size).toBe(flows);
    const all = table.summaries(Infinity);
    expect(all).toHaveLength(flows);
    expect(all.every((s) => s.packets[0] === 1 && s.packets[1] === 1)).toBe(true);
  });

  // One capacity a power of two, one not: the sampled rows must cover either.
  it.each([5_000, 4_096])('keeps finding flows while a full table of %i evicts, and evicts the old ones', (capacity) => {
    const table = new FlowTable(capacity);
    const f = new PacketFacts(createRegistry());
    const base = 0x64600000;
    const total = capacity + 3_000;
    for (let k = 0; k < total; k++) table.add(udpFacts(f, base + k, base + 0x10000, 40000, 53), k, k + 1, 100);
    expect(table.size).toBe(capacity);
    expect(table.evicted).toBe(3_000);
    // The newest flows survived the evictions: one more packet each keeps the table as large.
    for (let k = total - 1_000; k < total; k++) table.add(udpFacts(f, base + k, base + 0x10000, 40000, 53), 2 * total + k, 2 * total + k + 1, 100);
    expect(table.size).toBe(capacity);
    expect(table.evicted).toBe(3_000);
  });
});

describe("a flow's fields read back from its key", () => {
  /** A tunnelled flow between two pods on two nodes (the UDP helper's packet, wrapped). */
  function facts(f: PacketFacts, o: { tunnelKind: number; tunnelId: number; iface: number; proto: number; sport: number; dport: number }): PacketFacts {
    udpFacts(f, 0x64600a0a, 0x64600b0b, o.sport, o.dport); // 100.96.10.10 → 100.96.11.11
    f.addr[2] = f.addr[6] = 0xffff;
    f.addr[3] = 0xc6120001; // 198.18.0.1
    f.addr[7] = 0xc6120002;
    f.outerIp = 1;
    f.innerIp = 3;
    f.l4 = 4;
    f.innerProto = o.proto;
    f.tunnelKind = o.tunnelKind;
    f.tunnelId = o.tunnelId;
    f.iface = o.iface;
    return f;
  }

  // The extremes of each field: a tunnel without an id next to the all-ones GRE key, an
  // interface word above 2^32 (pcapng interface 5000 × 2^20 plus a cooked ifindex), ports
  // at both ends of their range, in the direction that swaps the sides.
  it.each([
    { tunnelKind: 3, tunnelId: -1, iface: 0, proto: 17, sport: 65535, dport: 1 },
    { tunnelKind: 3, tunnelId: 0xffffffff, iface: 5000 * 1048576 + 7, proto: 6, sport: 0, dport: 65535 },
    { tunnelKind: 1, tunnelId: 0, iface: 1048575, proto: 132, sport: 8472, dport: 8472 },
  ])('%o', (o) => {
    const table = new FlowTable(64);
    const f = new PacketFacts(createRegistry());
    table.add(facts(f, o), 1, 1, 100);
    const [flow] = table.summaries(Infinity);
    expect(flow).toMatchObject({ proto: o.proto, tunnel: TUNNEL_NAMES[o.tunnelKind], tunnelId: o.tunnelId, iface: o.iface, src: '100.96.10.10', sport: o.sport, dst: '100.96.11.11', dport: o.dport });
  });
});
