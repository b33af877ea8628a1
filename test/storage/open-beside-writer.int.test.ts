// Opening a data directory from another process while its writer commits: lmdb-js's LMDB lets
// such an open undo the writer's last commit (ITS#9496, unfixed in lmdb-js 3.5), so every open
// goes through the open gate and a read-only one waits until the writer has paused. Without the
// pause, this test loses acknowledged appends in every run (and LMDB reports MDB_BAD_TXN).
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StorageLockedError } from '../../storage/errors.js';
import { openLmdbEventLog, type LmdbEventLog } from '../../storage/lmdb-event-log.js';
import { compiledFixture, runFixture } from '../fixtures/child-fixture.js';
import { newEvent, removeDir, tempDataDir, thrownBy } from '../fixtures/storage-kit.js';

interface Acked {
  readonly id: string;
  readonly n: number;
  readonly position: number;
}

describe('read-only opens from other processes beside a writer', () => {
  let path: string;
  let script: string;
  let log: LmdbEventLog | undefined;

  beforeAll(() => {
    script = compiledFixture('storage-lock-holder');
  });
  beforeEach(() => {
    path = tempDataDir();
  });
  afterEach(async () => {
    await log?.close();
    log = undefined;
    removeDir(path);
  });

  it.each(['sync', 'async'] as const)('undo none of the writer’s acknowledged appends (durability %s)', async (durability) => {
    log = openLmdbEventLog({ path, durability });
    const writer = log;
    const openers = [runFixture(script, ['open-loop', path, '3000']), runFixture(script, ['open-loop', path, '3000'])];
    let running = true;
    const finished = Promise.all(openers.map((opener) => opener.waitForLines(1))).finally(() => (running = false));
    const acked: Acked[] = [];
    const failures: unknown[] = [];
    let n = 0;
    while (running) {
      // Twenty appends per tick: one commit each, as fast as the writer goes.
      await Promise.all(Array.from({ length: 20 }, () => {
        const stream = { type: 'account', id: `a-${n % 50}` };
        const mine = n++;
        return writer.append([{ stream, expectedVersion: writer.streamVersion(stream), events: [newEvent('Deposited', { n: mine })] }])[0]!
          .then((result) => void acked.push({ id: stream.id, n: mine, position: result.position }), (error: unknown) => void failures.push(error));
      }));
    }
    const opened = (await finished).map((lines) => Number(lines[0]!.split(' ')[1]));
    expect(opened.every((count) => count >= 10), `opens per process: ${opened.join(', ')}`).toBe(true);

    const stored = [...writer.readAll()];
    expect(stored.map((event) => event.position)).toEqual(acked.map((_, index) => index + 1));
    const byPosition = new Map(stored.map((event) => [event.position, event]));
    for (const append of acked) {
      expect(byPosition.get(append.position)).toMatchObject({ aggregateId: append.id, data: { n: append.n } });
    }
    // An undone commit also breaks the writer: later appends fail until it has reconciled.
    expect(failures).toEqual([]);
  }, 30_000);

  it('open and close in turns: several processes reading at once, with no writer, all succeed', async () => {
    const writer = openLmdbEventLog({ path });
    await writer.append([{ stream: { type: 'account', id: 'a-1' }, expectedVersion: 0, events: [newEvent('Deposited', { n: 1 })] }])[0]!;
    await writer.close();
    // lmdb-js fails ("Invalid argument") when one process closes an environment while another opens it.
    const readers = [1, 2, 3].map(() => runFixture(script, ['open-loop', path, '1500']));
    const counts = await Promise.all(readers.map(async (reader) => Number((await reader.waitForLines(1))[0]!.split(' ')[1])));
    expect(counts.every((count) => count >= 10), `opens per process: ${counts.join(', ')}`).toBe(true);
  });

  it('waits for a stopped writer only as long as it was told, naming the writer, then opens once it runs again', async () => {
    const holder = runFixture(script, ['hold', path]);
    try {
      await holder.waitForLines(1);
      process.kill(holder.child.pid!, 'SIGSTOP');
      const started = Date.now();
      const thrown = thrownBy(() => openLmdbEventLog({ path, readOnly: true, openWaitMs: 300 }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(thrown).toBeInstanceOf(StorageLockedError);
      expect(thrown).toMatchObject({ code: 'ERR_STORAGE_LOCKED', ownerPid: holder.child.pid, path });
      expect((thrown as Error).message).toContain(`did not pause its commits for this read-only open within 300 ms`);

      process.kill(holder.child.pid!, 'SIGCONT');
      const reader = openLmdbEventLog({ path, readOnly: true });
      expect([...reader.readAll()].map((event) => event.aggregateId)).toEqual([`holder-${holder.child.pid}`]);
      await reader.close();
    } finally {
      await holder.kill();
    }
  });
});
