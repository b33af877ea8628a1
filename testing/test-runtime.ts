// A runtime in a fresh temp folder for tests: restart() closes and reopens the same folder with
// the same options (to prove what survives a restart), dispose() closes it and removes the folder.
// At most one runtime is open per folder at a time (the writer lock would refuse a second).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeClosedError } from '../storage/errors.js';
import { createRuntime } from '../runtime/runtime.js';
import type { Runtime, RuntimeOptions } from '../runtime/types.js';

/** Options of `createTestRuntime`: those of `createRuntime` without `path` (a temp folder is made). */
export type TestRuntimeOptions = Omit<RuntimeOptions, 'path'>;

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
}

/**
 * Opens a runtime in a fresh temp folder.
 * @example
 * const test = await createTestRuntime({ aggregates: [account] });
 * try { await test.runtime.send('account', 'a-1', open); await test.restart(); } finally { await test.dispose(); }
 */
export async function createTestRuntime(options: TestRuntimeOptions): Promise<TestRuntime> {
  if (typeof options !== 'object' || options === null) throw new TypeError('createTestRuntime needs an options object');
  const path = await mkdtemp(join(tmpdir(), 'rehydra-test-'));
  let runtime: Runtime;
  try {
    runtime = await createRuntime({ ...options, path });
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
      runtime = await createRuntime({ ...options, path });
      return runtime;
    },
    dispose() {
      disposed ??= runtime.close().finally(() => rm(path, { recursive: true, force: true }));
      return disposed;
    },
  };
}
