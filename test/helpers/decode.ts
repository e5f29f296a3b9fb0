import { Decoder } from '../../src/decode/decoder.js';
import { FieldSink } from '../../src/decode/field-sink.js';
import type { PacketView } from '../../src/decode/packet-view.js';
import { createRegistry } from '../../src/decode/protocols.js';
import type { Registry } from '../../src/decode/registry.js';
import { emptyRecord } from '../../src/capture/record.js';
import { formatValue } from '../../src/output/field-format.js';

/** Build a decoder over a fresh registry (decode-as overrides as [table, key, proto]). */
export function makeDecoder(overrides: Array<[string, number, string]> = []): Decoder {
  const reg = createRegistry();
  for (const [t, k, p] of overrides) reg.setDispatch(t, k, p);
  return new Decoder(reg);
}

export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');
}

/**
 * Decode one packet. The bytes are copied into a Buffer of exactly their length so that,
 * with audit on, any read past the record throws.
 */
export function decodeBytes(dec: Decoder, bytes: Buffer, linktype = 1, wireLen = bytes.length): PacketView {
  const rec = emptyRecord();
  rec.buf = Buffer.from(bytes);
  rec.off = 0;
  rec.capLen = bytes.length;
  rec.wireLen = wireLen;
  rec.linktype = linktype;
  rec.number = 1;
  return dec.decode(rec);
}

/** Every value of a field in the packet, formatted as tshark -T fields prints them. */
export function values(p: PacketView, name: string): string[] {
  const reg: Registry = p.reg;
  const ref = reg.field(name);
  if (!ref) throw new Error(`no field ${name}`);
  const sink = new FieldSink();
  for (let i = 0; i < p.nLayers; i++) {
    ref.byProto[p.proto[i]!]?.get(p, i, sink);
  }
  const out: string[] = [];
  for (let k = 0; k < sink.n; k++) out.push(formatValue(ref.def, sink, k));
  return out;
}

/** Protocol names of the layer stack, e.g. ['frame', 'eth', 'ip', 'udp', 'vxlan', 'eth', ...]. */
export function layers(p: PacketView): string[] {
  const out: string[] = [];
  for (let i = 0; i < p.nLayers; i++) out.push(p.reg.dissectors[p.proto[i]!]!.name);
  return out;
}

export function anomalies(p: PacketView): string[] {
  const out: string[] = [];
  for (let k = 0; k < p.nAnomalies; k++) out.push(p.reg.anomalies.info(p.anomalyCode[k]!).id);
  return out;
}
