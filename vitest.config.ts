import { defineConfig } from 'vitest/config';

// Integration tests open real LMDB environments and child processes: give them room, and run
// files in forks so a native crash in one cannot take the others down. Every fork runs with
// --unhandled-rejections=strict: a promise of ours left rejected and unhandled fails the run.
// Type tests (`*.test-d.ts`: what must compile and what must not) run through tsc in the same
// `vitest run`; `npm run typecheck` checks them too, since tsconfig.json includes test/.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    execArgv: ['--unhandled-rejections=strict'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
