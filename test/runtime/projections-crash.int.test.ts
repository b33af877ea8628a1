// Exactly-once across a crash: a child process appends and projects under load and is SIGKILLed
// mid-flight, several times over one data directory; after each kill, the reopened projections
// must resume from a persisted checkpoint and end equal to the fold of their handler over readAll.
import { afterAll, describe, expect, it } from 'vitest';
import { defineProjection, startProjections } from '../../projections/projection-pool.js';
import { openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import * as balancesModule from '../../fixtures/balances.projection.js';
import type { CrashProgress } from '../fixtures/projection-crash-child.js';
import { foldView, projectionModule } from '../fixtures/projection-kit.js';
import { balancesProjectionUrl } from '../../fixtures/bank-events.js';
import { compiledFixture, runFixture } from '../fixtures/child-fixture.js';
import { removeDir, tempDataDir } from '../fixtures/storage-kit.js';

const dir = tempDataDir();
afterAll(() => removeDir(dir));

const projections = [
  defineProjection({ name: 'balances', module: balancesProjectionUrl(), partitions: 2 }),
  defineProjection({ name: 'opened-count', module: projectionModule('opened-count'), filter: { eventTypes: ['AccountOpened'] } }),
];

describe('projections across SIGKILL', () => {
  it.each([1, 2, 3])('kill %i: reopened views equal the fold over the log, each event applied once', async (round) => {
    const child = runFixture(compiledFixture('projection-crash-child'), [dir]);
    try {
      // Kill only once both projections committed something in this run, while appends go on.
      const [first] = await child.waitForLines(1);
      const resumed = JSON.parse(first!) as CrashProgress;
      for (let lines = 2 + round; ; lines += 2) {
        const last = JSON.parse((await child.waitForLines(lines))[lines - 1]!) as CrashProgress;
        if (last.balances > resumed.balances && last.openedCount > resumed.openedCount) break;
      }
    } finally {
      await child.kill();
    }

    const log = openLmdbEventLog({ path: dir });
    const host = await startProjections({ path: dir, projections, headPosition: () => log.headPosition() });
    try {
      const head = log.headPosition();
      const resumedAt = host.projection('balances').status().position;
      expect(resumedAt).toBeGreaterThan(0);
      expect(resumedAt).toBeLessThanOrEqual(head);
      await host.projection('balances').waitFor(head);
      await host.projection('opened-count').waitFor(head);
      expect(host.projection('balances').query()).toEqual(foldView(balancesModule, log.readAll()));
      const opened = [...log.readAll()].filter((event) => event.type === 'AccountOpened').length;
      expect(host.projection('opened-count').get('opened')).toBe(opened);
    } finally {
      await host.close();
      await log.close();
    }
  });
});
