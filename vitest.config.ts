import { defineConfig } from 'vitest/config';

// Integration tests open real LMDB environments and child processes: give them room,
// and run files in forks so a native crash in one cannot take the others down.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
