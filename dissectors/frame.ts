import type { ProtocolModule } from '../src/decode/dissector.js';
import { field } from '../src/decode/define.js';
import type { Registry } from '../src/decode/registry.js';

/**
 * The `frame` pseudo-protocol: the capture record itself (numbers, lengths, times),
 * dispatching on the record's linktype.
 */
let linktypes: Uint16Array = new Uint16Array(0);
let unknownLinktype = 0;

export const frame: ProtocolModule = {
  anomalies: {
    linktype_unknown: ['warning', 'Link-layer type not supported: packet bytes shown undecoded'],
    tunnel_depth: ['warning', 'Encapsulation nested deeper than the tunnel depth limit'],
    too_many_layers: ['warning', 'More layers than the decoder keeps'],
    decoder_error: ['error', 'Internal decoder error on this packet'],
    ts_invalid: ['warning', 'Timestamp fraction out of range'],
  },
  dissector: {
    name: 'frame',
    label: 'Frame',
    fields: [
      field('frame.number', 'Frame Number', 'uint', (p, _i, out) => out.pushNum(p.number)),
      field('frame.len', 'Frame Length', 'uint', (p, _i, out) => out.pushNum(p.wireLen)),
      field('frame.cap_len', 'Capture Length', 'uint', (p, _i, out) => out.pushNum(p.capLen)),
      field('frame.interface_id', 'Interface id', 'uint', (p, _i, out) => out.pushNum(p.ifIndex)),
      field('frame.time_epoch', 'Epoch Time', 'abs_time', (p, _i, out) => out.pushTime(p.tsSec, p.tsNsec)),
      field('frame.time_relative', 'Time since first frame', 'rel_time', (p, _i, out) => out.pushTime(p.tsSec - p.t0Sec, p.tsNsec - p.t0Nsec)),
      field('frame.comment', 'Comment', 'string', (p, _i, out) => {
        if (p.comment !== null) out.pushStr(p.comment);
      }),
      field('frame.linktype', 'Link type', 'uint', (p, _i, out) => out.pushNum(p.linktype)),
    ],
    init(reg: Registry) {
      linktypes = reg.table('linktype');
      unknownLinktype = reg.anomaly('frame.linktype_unknown');
    },
    decode(p, i) {
      p.hdrEnd[i] = p.start[i]!;
      const next = p.linktype < linktypes.length ? linktypes[p.linktype]! : 0;
      if (next === 0) {
        p.anomaly(i, unknownLinktype);
        return;
      }
      p.setNext(next, p.start[i]!, p.end[i]!);
    },
  },
};
