/**
 * The port dispatch of UDP and TCP consults a small occupancy map before the 64 Ki-entry
 * table. The map may only ever over-approximate: a port given a protocol, by the built-in
 * registrations or by decode-as, must still be dispatched.
 */
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/decode/protocols.js';
import { OCCUPANCY_SHIFT } from '../../src/decode/registry.js';
import { ETHERTYPE, ethernet, ipUdp, vxlan } from '../../src/craft/index.js';
import { decodeBytes, makeDecoder } from '../helpers/decode.js';

function everyEntryOccupied(reg: ReturnType<typeof createRegistry>): string[] {
  const missing: string[] = [];
  for (const name of reg.tableNames()) {
    const table = reg.table(name);
    const occupied = reg.occupied(name);
    table.forEach((proto, key) => {
      if (proto !== 0 && occupied[key >> OCCUPANCY_SHIFT] !== 1) missing.push(`${name}[${key}]`);
    });
  }
  return missing;
}

function vxlanTo(port: number): Buffer {
  const inner = ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: ETHERTYPE.IPV4 }, ipUdp({ src: '100.96.1.2', dst: '100.96.2.3', sport: 5000, dport: 53 }, Buffer.alloc(8)));
  return ethernet({ dst: '02:00:00:00:00:04', src: '02:00:00:00:00:03', type: ETHERTYPE.IPV4 }, ipUdp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 61000, dport: port }, vxlan({ vni: 1 }, inner)));
}

const layerNames = (p: ReturnType<typeof decodeBytes>): string[] => Array.from({ length: p.nLayers }, (_, i) => p.reg.dissectors[p.proto[i]!]!.name);

describe('dispatch table occupancy', () => {
  it('marks the block of every key the built-in protocols register', () => {
    const reg = createRegistry();
    expect(everyEntryOccupied(reg)).toEqual([]);
    expect(reg.occupied('udp.port')[8472 >> OCCUPANCY_SHIFT]).toBe(1);
  });

  it('leaves the blocks of unregistered ephemeral ports empty', () => {
    const occupied = createRegistry().occupied('udp.port');
    expect(occupied[61000 >> OCCUPANCY_SHIFT]).toBe(0);
  });

  it('marks a port given a protocol by decode-as, and the packet to it is dissected as that protocol', () => {
    const plain = layerNames(decodeBytes(makeDecoder(), vxlanTo(40000)));
    expect(plain).not.toContain('vxlan');
    const dec = makeDecoder([['udp.port', 40000, 'vxlan']]);
    expect(everyEntryOccupied(dec.reg)).toEqual([]);
    expect(layerNames(decodeBytes(dec, vxlanTo(40000)))).toEqual(['frame', 'eth', 'ip', 'udp', 'vxlan', 'eth', 'ip', 'udp']);
  });
});
