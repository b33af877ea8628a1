// Property: after any history of appends (in any grouping, with a restart of the host anywhere),
// every projection's view equals its handler folded over readAll, whatever its partition count,
// including partitions that write each other's keys (their commits must detect the conflicts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineProjection, startProjections, type ProjectionHost } from '../../projections/projection-pool.js';
import type { NewEvent } from '../../storage/event-log.js';
import { openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import * as balancesModule from '../../fixtures/balances.projection.js';
import * as openedCountModule from '../fixtures/opened-count.projection.js';
import * as peerCountsModule from '../fixtures/peer-counts.projection.js';
import { appendAccounts, foldView, projectionModule, type AccountAppend } from '../fixtures/projection-kit.js';
import { balancesProjectionUrl, closed, deposited, opened, withdrawn } from '../../fixtures/bank-events.js';
import { removeDir, tempDataDir } from '../fixtures/storage-kit.js';

// Few accounts so that streams get long and interleave; ids include non-ASCII to exercise hashing and key order.
const ids = ['a-1', 'a-2', 'a-10', 'b', 'é-1', '😀'] as const;
const event: fc.Arbitrary<NewEvent> = fc.oneof(
  fc.integer({ min: 0, max: 500 }).map((initial) => opened('owner', initial)),
  fc.integer({ min: 1, max: 99 }).map((amount) => deposited(amount)),
  fc.tuple(fc.integer({ min: 1, max: 99 }), fc.constantFrom(...ids)).map(([amount, peer]) => deposited(amount, { peer })),
  fc.integer({ min: 1, max: 99 }).map((amount) => withdrawn(amount)),
  fc.constant(closed()),
);
const append: fc.Arbitrary<AccountAppend> = fc.record({
  id: fc.constantFrom(...ids),
  events: fc.array(event, { minLength: 1, maxLength: 20 }),
});
const history = fc.record({
  groups: fc.array(fc.array(append, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }),
  partitions: fc.integer({ min: 1, max: 3 }),
  restartAfter: fc.option(fc.nat({ max: 7 }), { nil: undefined }),
});

describe('projections (property)', () => {
  it('every view equals the fold of its handler over readAll', async () => {
    await fc.assert(
      fc.asyncProperty(history, async ({ groups, partitions, restartAfter }) => {
        const dir = tempDataDir();
        const log = openLmdbEventLog({ path: dir });
        const projections = [
          defineProjection({ name: 'balances', module: balancesProjectionUrl(), partitions }),
          defineProjection({ name: 'opened-count', module: projectionModule('opened-count'), partitions: 2, filter: { eventTypes: ['AccountOpened'] } }),
          defineProjection({ name: 'peer-counts', module: projectionModule('peer-counts'), partitions: 2 }),
        ];
        const start = () => startProjections({ path: dir, projections, headPosition: () => log.headPosition() });
        let host: ProjectionHost = await start();
        try {
          for (const [index, group] of groups.entries()) {
            host.notify(await appendAccounts(log, group));
            if (index === restartAfter) {
              await host.close();
              host = await start();
            }
          }
          const head = log.headPosition();
          await host.projection('balances').waitFor(head);
          await host.projection('opened-count').waitFor(head);
          await host.projection('peer-counts').waitFor(head);
          expect(host.projection('balances').query()).toEqual(foldView(balancesModule, log.readAll()));
          expect(host.projection('opened-count').query()).toEqual(foldView(openedCountModule, log.readAll(), projections[1]!.filter));
          expect(host.projection('peer-counts').query()).toEqual(foldView(peerCountsModule, log.readAll()));
        } finally {
          await host.close();
          await log.close();
          removeDir(dir);
        }
      }),
      { numRuns: 25 },
    );
  });
});
