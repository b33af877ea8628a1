// A runtime in a fresh temp folder for tests: restart() closes and reopens the same folder with
// the same options (to prove what survives a restart), dispose() closes it and removes the folder.
// At most one runtime is open per folder at a time (the writer lock would refuse a second).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeClosedError } from '../storage/errors.js';
import { openRuntime } from '../runtime/runtime.js';
import type { Runtime, RuntimeOptions } from '../runtime/types.js';
import { ManualClock } from './manual-clock.js';

/** Options of `createTestRuntime`: those of `createRuntime` without `path` (a temp folder is made). */
export type TestRuntimeOptions = Omit<RuntimeOptions, 'path'> & {
  /**
   * Time stands still until `advanceTime(ms)` moves it: event timestamps, timer deadlines and
   * commandId retention all read this clock. It starts at the real time of the call.
   * @default false
   */
  readonly manualClock?: boolean;
};

/** A runtime over a temp folder, with restart and cleanup. */
export interface TestRuntime {
  /** The runtime currently open (a new object after each `restart()`). */
  readonly runtime: Runtime;
  /** The temp data directory. */
  readonly path: string;
  /** Closes the runtime and opens a new one on the same folder and options; resolves to it. */
  restart(): Promise<Runtime>;
  /** Closes the runtime and removes the folder; safe to call twice. */
  dispose(): Promise<void>;
  /**
   * With `manualClock: true`: moves time `ms` forward and fires every durable timer due by then,
   * in deadline order; resolves once their events are durable. A TypeError without a manual clock.
   */
  advanceTime(ms: number): Promise<void>;
  /** The runtime's current time (ms since the epoch): the manual clock's, or Date.now(). */
  now(): number;
}

/**
 * Opens a runtime in a fresh temp folder.
 * @example
 * const test = await createTestRuntime({ aggregates: [account] });
 * try { await test.runtime.send('account', 'a-1', open); await test.restart(); } finally { await test.dispose(); }
 */
export async function createTestRuntime(options: TestRuntimeOptions): Promise<TestRuntime> {
  if (typeof options !== 'object' || options === null) throw new TypeError('createTestRuntime needs an options object');
  const { manualClock, ...runtimeOptions } = options;
  if (manualClock !== undefined && typeof manualClock !== 'boolean') throw new TypeError(`options.manualClock must be a boolean (got ${String(manualClock)})`);
  const clock = manualClock ? new ManualClock(Date.now()) : undefined;
  const path = await mkdtemp(join(tmpdir(), 'rehydra-test-'));
  const open = (): Promise<Runtime> => openRuntime({ ...runtimeOptions, path }, clock);
  let runtime: Runtime;
  try {
    runtime = await open();
  } catch (error) {
    await rm(path, { recursive: true, force: true });
    throw error;
  }
  let disposed: Promise<void> | undefined;
  return {
    get runtime() {
      return runtime;
    },
    path,
    async restart() {
      if (disposed) throw new RuntimeClosedError(`createTestRuntime: restart() after dispose() (${path})`);
      await runtime.close();
      runtime = await open();
      return runtime;
    },
    advanceTime(ms) {
      if (!clock) return Promise.reject(new TypeError('advanceTime() needs createTestRuntime({ manualClock: true })'));
      return clock.advance(ms);
    },
    now: () => (clock ? clock.now() : Date.now()),
    dispose() {
      disposed ??= runtime.close().finally(() => rm(path, { recursive: true, force: true }));
      return disposed;
    },
  };
}
