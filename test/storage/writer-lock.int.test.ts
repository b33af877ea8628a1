// One writer per data directory: a second writing open, in this process or another live one,
// fails with StorageLockedError naming the path and the owner; closing releases the lock, a
// SIGKILLed owner does not keep it, and read-only opens are allowed next to a writer.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StorageLockedError } from '../../storage/errors.js';
import { openLmdbEventLog, type LmdbEventLog } from '../../storage/lmdb-event-log.js';
import { compiledFixture, runFixture } from '../fixtures/child-fixture.js';
import { newEvent, removeDir, tempDataDir, thrownBy } from '../fixtures/storage-kit.js';

const stream = { type: 'account', id: 'a-1' };

function expectLocked(open: () => unknown, path: string, ownerPid: number): void {
  const thrown = thrownBy(open);
  expect(thrown).toBeInstanceOf(StorageLockedError);
  const error = thrown as StorageLockedError;
  expect(error.code).toBe('ERR_STORAGE_LOCKED');
  expect(error.path).toBe(path);
  expect(error.ownerPid).toBe(ownerPid);
  expect(error.message).toContain(`${path} is already open for writing by process ${ownerPid}`);
}

async function appendOne(log: LmdbEventLog, amount: number): Promise<number> {
  const result = await log.append([{ stream, expectedVersion: log.streamVersion(stream), events: [newEvent('Deposited', { amount })] }])[0]!;
  return result.position;
}

/**
 * Leaves a writer claim in a data directory as a process that died holding it would: after that
 * writer made the log's databases (so racers only claim, and do not also create databases at
 * once, which a writer that once ran never leaves to them).
 */
async function seedClaim(path: string, claim: unknown): Promise<void> {
  await openLmdbEventLog({ path }).close();
  writeFileSync(join(path, 'rehydra.writer.lock'), typeof claim === 'string' ? claim : JSON.stringify(claim));
}

/** The pid of a process that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid!;
}

describe('writer lock', () => {
  let path: string;
  let script: string;
  const opened: LmdbEventLog[] = [];

  beforeAll(() => {
    script = compiledFixture('storage-lock-holder');
  });
  beforeEach(() => {
    path = tempDataDir();
  });
  afterEach(async () => {
    try {
      for (const log of opened.splice(0)) await log.close();
    } finally {
      removeDir(path);
    }
  });

  const openTracked = (options: Parameters<typeof openLmdbEventLog>[0]) => {
    const log = openLmdbEventLog(options);
    opened.push(log);
    return log;
  };

  it('refuses a second writing open in the same process, naming the path and this pid', async () => {
    const first = openTracked({ path });
    expectLocked(() => openLmdbEventLog({ path }), path, process.pid);
    // The refused open took nothing from the first writer.
    expect(await appendOne(first, 1)).toBe(1);
    expectLocked(() => openLmdbEventLog({ path }), path, process.pid);
  });

  it('is released on close: the next open writes on from the same head', async () => {
    const first = openLmdbEventLog({ path });
    await appendOne(first, 1);
    await first.close();
    const second = openTracked({ path });
    expect(await appendOne(second, 2)).toBe(2);
    expect([...second.readStream(stream)].map((e) => e.data)).toEqual([{ amount: 1 }, { amount: 2 }]);
  });

  it('allows read-only opens next to the writer', async () => {
    const writer = openTracked({ path });
    await appendOne(writer, 1);
    const reader = openTracked({ path, readOnly: true });
    const another = openTracked({ path, readOnly: true });
    expect(reader.headPosition()).toBe(1);
    expect(another.streamVersion(stream)).toBe(1);
  });

  it('refuses this process while another live process writes, and takes over once it is SIGKILLed', async () => {
    const holder = runFixture(script, ['hold', path]);
    try {
      const [ready] = await holder.waitForLines(1);
      expect(ready).toBe(`ready ${holder.child.pid}`);
      expectLocked(() => openLmdbEventLog({ path }), path, holder.child.pid!);

      // Inspection is allowed while the other process writes, and sees its durable event.
      const reader = openLmdbEventLog({ path, readOnly: true });
      expect([...reader.readAll()].map((e) => [e.aggregateId, e.data])).toEqual([[`holder-${holder.child.pid}`, { pid: holder.child.pid }]]);
      // Closed before this process opens for writing: lmdb-js shares one environment per path
      // within a process, with the flags of whoever opened it first.
      await reader.close();
    } finally {
      await holder.kill();
    }
    expect((await holder.exited).signal).toBe('SIGKILL');

    // The killed writer's lock does not block the next writer, which continues its log.
    const log = openTracked({ path });
    expect(log.headPosition()).toBe(1);
    expect(await appendOne(log, 1)).toBe(2);
  });

  it('makes another process get StorageLockedError naming this pid while this process writes', async () => {
    const writer = openTracked({ path });
    await appendOne(writer, 1);
    const attempt = runFixture(script, ['try', path]);
    const [line] = await attempt.waitForLines(1);
    expect(JSON.parse(line!)).toEqual({
      name: 'StorageLockedError', code: 'ERR_STORAGE_LOCKED', ownerPid: process.pid, path,
      message: `${path} is already open for writing by process ${process.pid}: close it first, or open it with readOnly: true`,
    });
    expect((await attempt.exited).code).toBe(0);
    // The refused process left the lock alone: this writer still writes.
    expect(await appendOne(writer, 2)).toBe(2);
  });

  it('lets another process write once this one closed', async () => {
    const writer = openLmdbEventLog({ path });
    await appendOne(writer, 1);
    await writer.close();
    const attempt = runFixture(script, ['try', path]);
    const [line] = await attempt.waitForLines(1);
    expect(JSON.parse(line!)).toEqual({ opened: true });
  });

  it('takes over a claim left by a process that no longer exists', async () => {
    await seedClaim(path, { pid: await deadPid(), started: '1' });
    const log = openTracked({ path });
    expect(await appendOne(log, 1)).toBe(1);
    expectLocked(() => openLmdbEventLog({ path }), path, process.pid);
  });

  it('takes over a claim whose pid is alive but was reused by another process', async () => {
    await seedClaim(path, { pid: process.pid, started: 'not-this-process' });
    openTracked({ path });
    expectLocked(() => openLmdbEventLog({ path }), path, process.pid);
  });

  it('takes over a claim it cannot read, and removes its own claim on close', async () => {
    await seedClaim(path, 'garbage');
    const log = openLmdbEventLog({ path });
    expect(JSON.parse(readFileSync(join(path, 'rehydra.writer.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    await log.close();
    expect(existsSync(join(path, 'rehydra.writer.lock'))).toBe(false);
  });

  it('takes turns at the open gate with other processes, also in a directory removed and made again', async () => {
    // This process has used the directory's gate; the directory is then made anew, gate and all.
    await openLmdbEventLog({ path }).close();
    removeDir(path);
    mkdirSync(path);
    const holder = runFixture(script, ['gate', path, '400']);
    try {
      await holder.waitForLines(1);
      const started = Date.now();
      // Waits for the holder's turn to end (a handle kept on the old gate would not).
      const log = openTracked({ path });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(await appendOne(log, 1)).toBe(1);
    } finally {
      await holder.kill();
    }
  });

  it('leaves nothing behind when a log is closed after its directory was removed', async () => {
    await openLmdbEventLog({ path }).close();
    const reader = openLmdbEventLog({ path, readOnly: true });
    removeDir(path);
    await reader.close();
    expect(existsSync(path)).toBe(false);

    mkdirSync(path);
    const writer = openLmdbEventLog({ path });
    await appendOne(writer, 1);
    removeDir(path);
    await writer.close();
    expect(existsSync(path)).toBe(false);
  });

  it('lets exactly one of many processes starting at once on a stale claim become the writer', async () => {
    for (let round = 0; round < 4; round++) {
      const dir = tempDataDir();
      await seedClaim(dir, { pid: await deadPid(), started: '1' });
      const go = join(dir, 'go');
      const racers = Array.from({ length: 6 }, () => runFixture(script, ['race', dir, go]));
      try {
        await Promise.all(racers.map((racer) => racer.waitForLines(1)));
        writeFileSync(go, '');
        const outcomes = await Promise.all(racers.map(async (racer) => JSON.parse((await racer.waitForLines(2))[1]!) as Record<string, unknown>));
        const winners = outcomes.filter((outcome) => outcome.opened === true);
        expect(winners, `round ${round}: ${JSON.stringify(outcomes)}`).toHaveLength(1);
        for (const outcome of outcomes.filter((candidate) => candidate.opened !== true)) {
          expect(outcome).toMatchObject({ code: 'ERR_STORAGE_LOCKED', ownerPid: winners[0]!.pid });
        }
      } finally {
        await Promise.all(racers.map((racer) => racer.kill()));
        removeDir(dir);
      }
    }
  });
});
