/**
 * Runs the live-capture API inside a test's network namespace (the test process itself
 * stays in the root namespace) and prints what a consumer sees as JSON lines.
 * Usage: api-driver.ts ENGINE COUNT FILTER IFACE...
 */
import { LiveCaptureError, startLiveCapture, type EngineName } from '../../../src/capture/live/source.js';
import { makeDecoder, values } from '../../helpers/decode.js';

const [engine, count, filter, ...interfaces] = process.argv.slice(2);
const say = (o: unknown): void => void process.stdout.write(JSON.stringify(o) + '\n');

const live = startLiveCapture({ interfaces, filter: filter!, engine: engine as EngineName, count: Number(count), durationSec: 30 });
const seen: Array<[number, number, number, number]> = [];
const firstThree: number[] = [];
// The records go straight into the decoder, as the terminal UI will hand them.
const decoder = makeDecoder();
const decoded: Array<[number, string]> = [];
live.subscribe((r) => {
  seen.push([r.ifIndex, r.linktype, r.capLen, r.wireLen]);
  decoded.push([r.number, values(decoder.decode(r), 'udp.length').join(',')]);
});
const off = live.subscribe((r) => {
  firstThree.push(r.capLen);
  if (firstThree.length === 3) off();
});
try {
  say({ ready: await live.ready });
} catch (e) {
  say({ error: e instanceof LiveCaptureError ? e.kind : 'other', message: (e as Error).message });
  process.exit(0);
}
const end = await live.done;
say({ end, seen, firstThree, decoded });
