import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/decode/protocols.js';
import { readInProcess } from '../commands/harness.js';
import { corpusFiles } from './corpus.js';

/**
 * The tcpdump project's malformed captures (fuzzer finds, out-of-bounds reads, bad lengths)
 * through the whole pipeline and every output: they must end in anomalies or reader
 * problems, never in an exception.
 */

/**
 * Captures whose damage lies in a protocol netdiag does not dissect, so it cannot see
 * anything wrong: they must still be read without error, but no anomaly is expected.
 */
export const UNSEEN_DAMAGE: Readonly<Record<string, string>> = {
  'ospf2-seg-fault-1.pcapng': 'the damage is inside OSPF (a length that is not a multiple of 4), which netdiag does not dissect',
  'quic_handshake_truncated.pcap': 'QUIC payloads cut by the snaplen; netdiag stops at UDP and a short snaplen is not damage',
  'tcp_rst_data-trunc.pcap': "a RST's data cut by the snaplen; the headers are whole and netdiag does not dissect the data",
  'tcp_rst_diag_payload-trunc.pcap': "a RST's diagnostic payload cut by the snaplen; the headers are whole and netdiag does not dissect the payload",
  'icmp-length-zero.pcapng':
    'IPv4 total length 0: what a packet sent with TCP segmentation offload carries on the capturing host, so netdiag takes the frame as the datagram rather than calling it broken (tshark does the same)',
};

const malformed = corpusFiles().filter((f) => f.malformed);

describe('malformed captures', () => {
  it('are there', () => {
    expect(malformed.length).toBeGreaterThan(20);
  });

  it.concurrent.each(malformed.map((f) => [f.name, f.path]))('%s: read through every output without an exception', async (name, path) => {
    let anomalies = 0;
    let problems = 0;
    const reg = createRegistry();
    const fields = ['frame.number', 'ip.src', 'tcp.flags', 'bgp.type', '_ws.col.Info'].filter((f) => f.startsWith('_ws.') || reg.field(f));
    for (const mode of [{ list: true }, { V: true, x: true }, { T: 'json' }, { T: 'fields', e: fields }]) {
      const r = await readInProcess({ files: [path], ...mode });
      if (r.captures.length === 0) {
        // Not readable at all: an open error naming the file, exit 2.
        expect(r.exitCode).toBe(2);
        expect(r.stderr).toContain(name);
        problems++;
        continue;
      }
      expect(r.exitCode, r.stderr).toBe(0);
      for (const c of r.captures) anomalies += c.anomalies;
      problems += r.problems;
    }
    if (!(name in UNSEEN_DAMAGE)) expect(anomalies + problems, `${name}: no anomaly and no reader problem`).toBeGreaterThan(0);
  });
});
