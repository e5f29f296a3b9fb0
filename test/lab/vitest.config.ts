import { defineConfig } from 'vitest/config';

// `npm run test:lab`: the lab's own tests. Generating scenarios takes minutes
// of wall time, mostly waiting on timeouts, so the limits are generous.
export default defineConfig({
  test: {
    include: ['test/lab/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 16 * 60_000,
  },
});
