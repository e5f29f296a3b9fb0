/**
 * Preloaded (`node --import bench/maxrss-hook.mjs`) by bench/run.ts when /usr/bin/time is
 * missing: at exit, writes the process's peak RSS (KiB) and CPU seconds to $BENCH_MAXRSS_OUT.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.BENCH_MAXRSS_OUT;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(out, `${u.maxRSS} ${(u.userCPUTime + u.systemCPUTime) / 1e6}\n`);
  });
}
