// Projections on real worker threads over a real LMDB log: read-your-writes, exactly-once across
// close/reopen, rebuild equals live, partitioning does not change the view, filters and init.
import { afterEach, describe, expect, it } from 'vitest';
import { defineProjection, startProjections, type ProjectionHost } from '../../projections/projection-pool.js';
import { UnknownProjectionError } from '../../projections/errors.js';
import { openLmdbEventLog, type LmdbEventLog } from '../../storage/lmdb-event-log.js';
import * as balancesModule from '../../fixtures/balances.projection.js';
import * as openedCountModule from '../fixtures/opened-count.projection.js';
import * as peerCountsModule from '../fixtures/peer-counts.projection.js';
import { appendAccounts, bankHistory, foldView, projectionModule } from '../fixtures/projection-kit.js';
import { balancesProjectionUrl, closed, deposited, withdrawn } from '../../fixtures/bank-events.js';
import { removeDir, tempDataDir, thrownBy } from '../fixtures/storage-kit.js';

const balances = defineProjection({ name: 'balances', module: balancesProjectionUrl() });
const openedCount = defineProjection({
  name: 'opened-count', module: projectionModule('opened-count'), partitions: 2, filter: { eventTypes: ['AccountOpened'] },
});

let dir: string;
let log: LmdbEventLog;
const hosts: ProjectionHost[] = [];

async function start(projections = [balances, openedCount], workers?: number): Promise<ProjectionHost> {
  const host = await startProjections({ path: dir, projections, workers, headPosition: () => log.headPosition() });
  hosts.push(host);
  return host;
}

function liveFold() {
  return foldView(balancesModule, log.readAll());
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.close()));
  await log?.close();
  removeDir(dir);
});

describe('projections', () => {
  it('reads its own writes: waitFor(position) then get() sees the event', async () => {
    dir = tempDataDir();
    log = openLmdbEventLog({ path: dir });
    const host = await start();
    host.notify(await appendAccounts(log, [{ id: 'a-1', events: bankHistory(1, 0)[0]!.events }]));
    const view = host.projection('balances');
    for (const amount of [5, 7, 11]) {
      const head = await appendAccounts(log, [{ id: 'a-0', events: [deposited(amount)] }]);
      host.notify(head);
      await view.waitFor(head);
      expect(view.status().position).toBeGreaterThanOrEqual(head);
    }
    expect(view.get('a-0')).toEqual({ owner: '', balance: 23, events: 3 });
    expect(view.get('a-1')).toEqual({ owner: 'owner-0', balance: 100, events: 1 });
    await host.projection('opened-count').waitFor(log.headPosition());
    expect(host.projection('opened-count').get('opened')).toBe(1);
    expect(view.status()).toMatchObject({ position: 4, lag: 0, rebuilding: false, partitions: [{ partition: 0, position: 4, lag: 0 }] });
  });

  it('catches up on a log written before it started, and equals the fold over readAll', async () => {
    dir = tempDataDir();
    log = openLmdbEventLog({ path: dir });
    await appendAccounts(log, bankHistory(200, 20));
    await appendAccounts(log, [{ id: 'a-3', events: [withdrawn(50), closed()] }, { id: 'a-4', events: [withdrawn(30)] }]);
    const host = await start();
    await host.projection('balances').waitFor(log.headPosition());
    await host.projection('opened-count').waitFor(log.headPosition());
    expect(host.projection('balances').query()).toEqual(liveFold());
    expect(host.projection('balances').get('a-3')).toBeUndefined();
    expect(host.projection('opened-count').query()).toEqual([{ key: 'opened', value: 200 }]);
    expect(host.projection('balances').query({ start: 'a-10', end: 'a-11', limit: 2 }).map((entry) => entry.key)).toEqual(['a-10', 'a-100']);
  });

  it('is exactly-once across close and reopen: no event is applied twice or skipped', async () => {
    dir = tempDataDir();
    log = openLmdbEventLog({ path: dir });
    const first = await start();
    first.notify(await appendAccounts(log, bankHistory(100, 30)));
    await first.projection('balances').waitFor(1);
    await first.close();
    const stopped = hosts.length;
    first.notify(await appendAccounts(log, bankHistory(50, 10, 'b')));
    const second = await start();
    expect(hosts.length).toBe(stopped + 1);
    await second.projection('balances').waitFor(log.headPosition());
    await second.projection('opened-count').waitFor(log.headPosition());
    expect(second.projection('balances').query()).toEqual(liveFold());
    expect(second.projection('opened-count').get('opened')).toBe(150);
  });

  it('gives the same view with 1 and with 2 partitions', async () => {
    dir = tempDataDir();
    log = openLmdbEventLog({ path: dir });
    const split = defineProjection({ name: 'balances-split', module: balancesProjectionUrl(), partitions: 2 });
    const host = await start([balances, split]);
    host.notify(await appendAccounts(log, bankHistory(300, 10)));
    host.notify(await appendAccounts(log, bankHistory(300, 3)));
    await host.projection('balances').waitFor(log.headPosition());
    await host.projection('balances-split').waitFor(log.headPosition());
    expect(host.projection('balances-split').query()).toEqual(host.projection('balances').query());
    expect(host.projection('balances-split').status().partitions.map((partition) => partition.position)).toEqual([log.headPosition(), log.headPosition()]);
  });

  it('rebuilds into a new generation that equals the live view, while readers keep the old one', async () => {
    dir = tempDataDir();
    log = openLmdbEventLog({ path: dir });
    const host = await start();
    host.notify(await appendAccounts(log, bankHistory(200, 25)));
    const view = host.projection('balances');
    await view.waitFor(log.headPosition());
    const live = view.query();
    const rebuilt = view.rebuild();
    expect(view.status().rebuilding).toBe(true);
    // Until the switch, readers see the complete old generation, never a partial new one.
    expect(view.query()).toEqual(live);
    await rebuilt;
    expect(view.status()).toMatchObject({ rebuilding: false, position: log.headPosition() });
    expect(view.query()).toEqual(live);
    // The rebuilt generation follows the head like the old one did.
    host.notify(await appendAccounts(log, [{ id: 'a-1', events: [deposited(1_000)] }]));
    await view.waitFor(log.headPosition());
    expect(view.query()).toEqual(liveFold());
    // The old generation was dropped: a reopened host finds only the rebuilt one.
    await host.close();
    const reopened = await start();
    expect(reopened.projection('balances').query()).toEqual(liveFold());
  });

  it('runs init once per generation and counts a shared key exactly once across partitions', async () => {
    dir = tempDataDir();
    log = openLmdbEventLog({ path: dir });
    const host = await start();
    for (let round = 0; round < 5; round++) host.notify(await appendAccounts(log, bankHistory(200, 1, `r${round}`)));
    const count = host.projection('opened-count');
    await count.waitFor(log.headPosition());
    expect(count.query()).toEqual(foldView(openedCountModule, log.readAll(), openedCount.filter));
    expect(count.get('opened')).toBe(1_000);
    await count.rebuild();
    expect(count.get('opened')).toBe(1_000);
  });

  it('counts every event once when partitions write keys that other partitions own', async () => {
    dir = tempDataDir();
    log = openLmdbEventLog({ path: dir });
    const peerCounts = defineProjection({ name: 'peer-counts', module: projectionModule('peer-counts'), partitions: 2 });
    const host = await start([peerCounts], 2);
    // a-1 and a-3 hash to partition 0, a-2 and b to partition 1: each partition's own keys
    // (read only as its own) are also written by the other partition through `peer`.
    const burst = (id: string, peer?: string) => ({ id, events: Array.from({ length: 250 }, () => deposited(1, peer ? { peer } : {})) });
    const round = () => appendAccounts(log, [burst('a-1'), burst('b', 'a-1'), burst('a-2'), burst('a-3', 'a-2')]);
    // Both workers warm first, so that the partitions then run side by side.
    host.notify(await round());
    await host.projection('peer-counts').waitFor(log.headPosition());
    for (let rounds = 0; rounds < 40; rounds++) host.notify(await round());
    await host.projection('peer-counts').waitFor(log.headPosition());
    expect(host.projection('peer-counts').query()).toEqual(foldView(peerCountsModule, log.readAll()));
  });

  it('names an unknown projection', async () => {
    dir = tempDataDir();
    log = openLmdbEventLog({ path: dir });
    const host = await start();
    const error = thrownBy(() => host.projection('nope'));
    expect(error).toBeInstanceOf(UnknownProjectionError);
    expect(error).toMatchObject({ code: 'ERR_UNKNOWN_PROJECTION' });
    expect((error as Error).message).toContain('"nope"');
    expect((error as Error).message).toContain('balances, opened-count');
  });
});
