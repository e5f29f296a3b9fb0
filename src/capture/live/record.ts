/**
 * One packet as a live capture hands it to its subscribers: a CaptureRecord, so the
 * decoder, the packet list and the analysis take it as they take a record read from a
 * file. Like CaptureReader.rec, a single instance per interface is rewritten for every
 * packet: it is valid only during the subscriber call (copy what must be kept).
 *
 * `number` counts delivered packets across all interfaces from 1 (the frame number the
 * packet has in a file written from the start); `ifIndex` is the interface's position in
 * LiveCaptureOptions.interfaces; `fileOffset` is -1 (not in a file); no comment, no flags.
 */
import { emptyRecord, type CaptureRecord } from '../record.js';

export type LiveRecord = CaptureRecord;

export type LiveRecordListener = (rec: LiveRecord) => void;

export function emptyLiveRecord(ifIndex: number): LiveRecord {
  const rec = emptyRecord();
  rec.ifIndex = ifIndex;
  rec.fileOffset = -1;
  return rec;
}
