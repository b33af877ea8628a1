// Failure isolation on real worker threads: a throwing handler stops its projection (or only its
// partition) at the failing position with the checkpoint right before it, other projections go
// on, resume() retries; a worker that dies is replaced and resumes; one that always dies is stopped.
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeClosedError } from '../../storage/errors.js';
import { ProjectionFailedError, ProjectionTimeoutError } from '../../projections/errors.js';
import { partitionOf } from '../../projections/partition.js';
import { defineProjection, startProjections, type ProjectionHost } from '../../projections/projection-pool.js';
import { openLmdbEventLog, type LmdbEventLog } from '../../storage/lmdb-event-log.js';
import * as balancesModule from '../../fixtures/balances.projection.js';
import { appendAccounts, bankHistory, foldView, projectionModule } from '../fixtures/projection-kit.js';
import { balancesProjectionUrl, deposited } from '../../fixtures/bank-events.js';
import { rejectionOf, removeDir, tempDataDir } from '../fixtures/storage-kit.js';

const balances = defineProjection({ name: 'balances', module: balancesProjectionUrl() });

let dir: string;
let log: LmdbEventLog;
let host: ProjectionHost | undefined;

async function start(...projections: Parameters<typeof defineProjection>[0][]): Promise<ProjectionHost> {
  dir = tempDataDir();
  log = openLmdbEventLog({ path: dir });
  host = await startProjections({ path: dir, projections: [balances, ...projections.map(defineProjection)], headPosition: () => log.headPosition() });
  return host;
}

/** Appends a history around one flagged deposit to `a-5`; returns the flagged event's position. */
async function appendAround(flagged: Record<string, unknown>): Promise<number> {
  host!.notify(await appendAccounts(log, bankHistory(20, 5)));
  const position = (await appendAccounts(log, [{ id: 'a-5', events: [deposited(10, flagged)] }]));
  host!.notify(await appendAccounts(log, bankHistory(20, 5, 'b')));
  return position;
}

function foldUpTo(position: number) {
  return foldView(balancesModule, log.readAll({ limit: position }));
}

afterEach(async () => {
  await host?.close();
  host = undefined;
  await log?.close();
  removeDir(dir);
});

describe('projection failures', () => {
  it('stops a projection at a throwing event, keeps its checkpoint, lets others go on, and resumes once fixed', async () => {
    await start({ name: 'poisoned', module: projectionModule('poison') });
    const flag = join(dir, 'poison.flag');
    writeFileSync(flag, '');
    const poisoned = await appendAround({ poisonFlag: flag });
    const view = host!.projection('poisoned');

    await host!.projection('balances').waitFor(log.headPosition());
    const error = await rejectionOf(view.waitFor(log.headPosition()));
    expect(error).toBeInstanceOf(ProjectionFailedError);
    expect(error).toMatchObject({ code: 'ERR_PROJECTION_FAILED', projection: 'poisoned', partition: 0, position: poisoned });
    expect((error as Error).message).toContain(`stopped at position ${poisoned}: poisoned MoneyDeposited of a-5`);
    expect(view.status()).toMatchObject({ position: poisoned - 1, error: { position: poisoned, partition: 0, message: 'poisoned MoneyDeposited of a-5' } });
    await view.waitFor(poisoned - 1);
    expect(view.query()).toEqual(foldUpTo(poisoned - 1));

    // New events do not move the checkpoint past the poison.
    host!.notify(await appendAccounts(log, [{ id: 'a-6', events: [deposited(3)] }]));
    await host!.projection('balances').waitFor(log.headPosition());
    expect(view.status().position).toBe(poisoned - 1);

    unlinkSync(flag);
    await view.resume();
    await view.waitFor(log.headPosition());
    expect(view.status().error).toBeUndefined();
    expect(view.query()).toEqual(host!.projection('balances').query());
  });

  it('stops only the partition that owns the throwing event; the other one keeps applying', async () => {
    await start({ name: 'poisoned', module: projectionModule('poison'), partitions: 2 });
    const flag = join(dir, 'poison.flag');
    writeFileSync(flag, '');
    const poisoned = await appendAround({ poisonFlag: flag });
    const view = host!.projection('poisoned');
    const stopped = partitionOf('a-5', 2);
    const other = 1 - stopped;
    await expect(view.waitFor(log.headPosition())).rejects.toBeInstanceOf(ProjectionFailedError);
    await expect.poll(() => view.status().partitions[other]!.position, { timeout: 10_000 }).toBe(log.headPosition());
    const status = view.status();
    expect(status.error).toEqual({ code: 'ERR_PROJECTION_FAILED', message: 'poisoned MoneyDeposited of a-5', position: poisoned, partition: stopped });
    // The checkpoint stays before the poisoned event, at or after this partition's last event before it
    // (a partition reads past other partitions' events without applying them).
    const ownBefore = Math.max(0, ...[...log.readAll()].filter((e) => e.position < poisoned && partitionOf(e.aggregateId, 2) === stopped).map((e) => e.position));
    expect(status.partitions[stopped]).toMatchObject({ error: { position: poisoned } });
    expect(status.partitions[stopped]!.position).toBeGreaterThanOrEqual(ownBefore);
    expect(status.partitions[stopped]!.position).toBeLessThan(poisoned);
    expect(status.partitions[other]!.error).toBeUndefined();

    unlinkSync(flag);
    await view.resume();
    await view.waitFor(log.headPosition());
    expect(view.status().partitions.map((partition) => partition.error)).toEqual([undefined, undefined]);
    expect(view.query()).toEqual(foldUpTo(log.headPosition()));
  });

  it('replaces a worker that dies in a handler and resumes from its checkpoint', async () => {
    await start({ name: 'exiting', module: projectionModule('exit') });
    const flag = join(dir, 'exit.flag');
    writeFileSync(flag, 'once');
    await appendAround({ exitFlag: flag });
    const view = host!.projection('exiting');
    await view.waitFor(log.headPosition());
    expect(existsSync(flag)).toBe(false);
    expect(view.status().error).toBeUndefined();
    expect(view.query()).toEqual(foldUpTo(log.headPosition()));
  });

  it('stops a partition whose worker dies at the same event again and again, naming the exact position', async () => {
    await start({ name: 'exiting', module: projectionModule('exit') });
    const flag = join(dir, 'exit.flag');
    writeFileSync(flag, 'always');
    const poisoned = await appendAround({ exitFlag: flag });
    const view = host!.projection('exiting');
    const error = await rejectionOf(view.waitFor(log.headPosition()));
    expect(error).toMatchObject({ code: 'ERR_PROJECTION_FAILED', position: poisoned });
    expect((error as Error).message).toContain(`failed 3 times in a row at position ${poisoned} (worker exited with code: 1)`);
    expect(view.status().position).toBe(poisoned - 1);
    await host!.projection('balances').waitFor(log.headPosition());

    unlinkSync(flag);
    await view.resume();
    await view.waitFor(log.headPosition());
    expect(view.query()).toEqual(foldUpTo(log.headPosition()));
  });

  it('times out waitFor with an error naming the projection, and rejects pending waits on close', async () => {
    await start();
    host!.notify(await appendAccounts(log, bankHistory(3, 1)));
    const view = host!.projection('balances');
    const timeout = await rejectionOf(view.waitFor(log.headPosition() + 1, { timeoutMs: 50 }));
    expect(timeout).toBeInstanceOf(ProjectionTimeoutError);
    expect(timeout).toMatchObject({ code: 'ERR_PROJECTION_TIMEOUT', projection: 'balances', position: log.headPosition() + 1 });
    expect((timeout as Error).message).toContain(`"balances" did not reach position ${log.headPosition() + 1} within 50 ms`);

    const pending = expect(view.waitFor(log.headPosition() + 1, { timeoutMs: Infinity })).rejects.toBeInstanceOf(RuntimeClosedError);
    await host!.close();
    await pending;
    await expect(view.waitFor(1)).rejects.toMatchObject({ code: 'ERR_RUNTIME_CLOSED' });
    await expect(view.waitFor(-1)).rejects.toBeInstanceOf(RangeError);
  });
});
