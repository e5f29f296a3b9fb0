/**
 * A small reader front end for the stdin tests: `read-cli.ts PATH [CHUNK]` (PATH may be
 * '-') prints what the reader delivered as one JSON line.
 */
import { readAll } from './build.js';

const path = process.argv[2] ?? '-';
const chunkSize = process.argv[3] !== undefined ? Number(process.argv[3]) : undefined;
try {
  const res = await readAll(path, chunkSize !== undefined ? { chunkSize } : {});
  process.stdout.write(JSON.stringify(res) + '\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ openError: (e as Error).message }) + '\n');
}
