// A read-only event log in a thread whose event loop is blocked (a projection worker in its loop)
// still sees the writer's latest commits: lmdb-js renews a thread's read snapshot only on a timer,
// so headPosition()/readAll() on a read-only log must start a fresh snapshot themselves.
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import { compiledFixture } from '../fixtures/child-fixture.js';
import { newEvent, removeDir, tempDataDir } from '../fixtures/storage-kit.js';

let dir: string;
afterEach(() => removeDir(dir));

describe('read-only event log', () => {
  it('sees commits made while its thread never yielded', async () => {
    dir = tempDataDir();
    const log = openLmdbEventLog({ path: dir });
    const stream = { type: 'account', id: 'a-1' };
    await Promise.all(log.append([{ stream, expectedVersion: 0, events: [newEvent('AccountOpened', { owner: 'ann', initial: 1 })] }]));
    const signal = new SharedArrayBuffer(4);
    const worker = new Worker(pathToFileURL(compiledFixture('read-only-reader')), { workerData: { path: dir, signal } });
    try {
      const [first] = (await once(worker, 'message')) as [number];
      expect(first).toBe(1);
      await Promise.all(log.append([{ stream, expectedVersion: 1, events: [newEvent('MoneyDeposited', { amount: 5 }), newEvent('MoneyDeposited', { amount: 6 })] }]));
      Atomics.store(new Int32Array(signal), 0, 1);
      Atomics.notify(new Int32Array(signal), 0);
      const [[head, read]] = (await once(worker, 'message')) as [[number, number]];
      expect([head, read]).toEqual([3, 3]);
    } finally {
      await worker.terminate();
      await log.close();
    }
  });
});
