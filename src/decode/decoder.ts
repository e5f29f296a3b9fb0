import type { CaptureRecord } from '../capture/record.js';
import { MAX_TUNNEL_DEPTH, PacketView } from './packet-view.js';
import type { Dissector } from './dissector.js';
import type { Registry } from './registry.js';
import { audited } from './audit.js';

/**
 * The decode loop: starting from the `frame` pseudo-protocol, hand each layer to its
 * dissector and follow what it names next, until a dissector stops, the layer stack is
 * full or the tunnel depth limit is reached. One PacketView is reused for every packet.
 */
export class Decoder {
  readonly reg: Registry;
  readonly view: PacketView;
  private readonly frameId: number;
  private readonly tooDeep: number;
  private readonly tooManyLayers: number;
  private readonly decoderBug: number;
  /**
   * Per protocol id, the dissector's decode function and whether it is a tunnel: the
   * dissectors are objects of many shapes, and reading `decode` off each was a
   * megamorphic property lookup on every layer of every packet.
   */
  private readonly decodeFns: Array<Dissector['decode']>;
  private readonly tunnels: Uint8Array;
  private t0Set = false;

  constructor(reg: Registry) {
    this.reg = reg;
    this.view = new PacketView(reg);
    this.frameId = reg.id('frame');
    this.tooDeep = reg.anomaly('frame.tunnel_depth');
    this.tooManyLayers = reg.anomaly('frame.too_many_layers');
    this.decoderBug = reg.anomaly('frame.decoder_error');
    this.decodeFns = reg.dissectors.map((d) => d.decode);
    this.tunnels = Uint8Array.from(reg.dissectors, (d) => (d.tunnel ? 1 : 0));
  }

  /** Set the reference time for relative timestamps (defaults to the first packet's). */
  setTimeOrigin(sec: number, nsec: number): void {
    this.view.t0Sec = sec;
    this.view.t0Nsec = nsec;
    this.t0Set = true;
  }

  decode(rec: CaptureRecord, captureIndex = 0): PacketView {
    const p = this.view;
    p.buf = rec.buf;
    p.base = rec.off;
    p.capLen = rec.capLen;
    p.wireLen = rec.wireLen;
    p.linktype = rec.linktype;
    p.number = rec.number;
    p.tsSec = rec.tsSec;
    p.tsNsec = rec.tsNsec;
    p.ifIndex = rec.ifIndex;
    p.comment = rec.comment;
    p.recordFlags = rec.flags;
    p.captureIndex = captureIndex;
    if (!this.t0Set) this.setTimeOrigin(rec.tsSec, rec.tsNsec);
    p.nLayers = 0;
    p.nAnomalies = 0;
    if (audited()) this.run(p);
    else {
      try {
        this.run(p);
      } catch {
        // A dissector bug must not cost the rest of the capture; the property tests run
        // with audit on, where this rethrows, so such bugs are found rather than hidden.
        p.anomaly(Math.max(0, p.nLayers - 1), this.decoderBug);
      }
    }
    return p;
  }

  private run(p: PacketView): void {
    const decodeFns = this.decodeFns;
    let proto = this.frameId;
    let buf = p.buf;
    let start = p.base;
    let end = p.base + p.capLen;
    let depth = 0;
    let aux = 0;
    while (proto !== 0) {
      const i = p.pushLayer(proto, buf, start, end, end, depth);
      if (i < 0) {
        p.anomaly(p.nLayers - 1, this.tooManyLayers);
        return;
      }
      p.aux[i] = aux;
      p.next = 0;
      p.nextBuf = buf;
      p.nextAux = aux;
      p.nextTunnel = false;
      // A plain call: no dissector's decode uses `this`, and going through
      // Function.prototype.call cost a builtin frame on every layer.
      decodeFns[proto]!(p, i);
      const tunnel = this.tunnels[proto] === 1;
      // A dissector may have pushed extra layers itself; continue after the last one.
      proto = p.next;
      if (proto === 0) return;
      buf = p.nextBuf;
      start = p.nextStart;
      end = p.nextEnd;
      aux = p.nextAux;
      if (tunnel || p.nextTunnel) {
        depth++;
        if (depth > MAX_TUNNEL_DEPTH) {
          p.anomaly(p.nLayers - 1, this.tooDeep);
          return;
        }
      }
      if (start > end) end = start;
    }
  }
}
