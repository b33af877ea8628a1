// Upcasters on the projection read path, on real worker threads over a real LMDB: v1 events
// stored through the storage API are projected through the v2 definition's upcasters (handler and
// filter see the upcast event, live and on rebuild), and a projection whose module would see
// stored shapes is refused at start.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineProjection } from '../../projections/define-projection.js';
import { ProjectionUpcastersError } from '../../projections/errors.js';
import { openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import type { NewEvent, StoredEvent } from '../../storage/event-log.js';
import { account } from '../../fixtures/bank-account.js';
import * as balancesModule from '../../fixtures/balances.projection.js';
import { balancesProjectionUrl, opened } from '../../fixtures/bank-events.js';
import { accountV2Renaming } from '../fixtures/runtime-aggregates.js';
import { appendAccounts, foldView, projectionModule } from '../fixtures/projection-kit.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';
import { rejectionOf } from '../fixtures/storage-kit.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

const metadata = { timestamp: 1_700_000_000_000 };
/** v1 deposits: `MoneyDeposited { cents }` and the older type `FundsAdded { cents }`. */
const cents = (type: 'MoneyDeposited' | 'FundsAdded', amount: number): NewEvent => ({ type, data: { cents: amount }, metadata });

const upcasting = projectionModule('upcast-balances');
const balances = defineProjection({ name: 'balances', module: upcasting });
const deposits = defineProjection({ name: 'deposits', module: upcasting, partitions: 2, filter: { eventTypes: ['MoneyDeposited'] } });

/** Ten accounts of v1 history written through the storage API (no runtime, no upcaster): returns the head. */
async function writeV1(path: string): Promise<number> {
  const log = openLmdbEventLog({ path });
  try {
    const history = Array.from({ length: 10 }, (_, i) => ({
      id: `a-${i}`,
      events: [opened(`owner-${i}`, 100), cents('MoneyDeposited', 250 + i), cents('FundsAdded', 1_000), cents('MoneyDeposited', 5)],
    }));
    return await appendAccounts(log, history);
  } finally {
    await log.close();
  }
}

/** The views a module that upcasts builds from `events`, as foldView gives them. */
function fold(events: Iterable<StoredEvent>, filter = balances.filter) {
  return foldView(balancesModule, events, filter);
}

describe('projections read upcast events', () => {
  it('projects v1 events through the v2 upcasters: the handler and the filter see the upcast event, live and on rebuild', async () => {
    const path = harness.dir();
    const head = await writeV1(path);
    const runtime = await harness.open({ path, aggregates: [accountV2Renaming], projections: [balances, deposits] });
    await runtime.projection('balances').waitFor(head);
    await runtime.projection('deposits').waitFor(head);
    // 100 opened + (250 + i) cents + 1,000 cents (a renamed type) + 5 cents.
    expect(runtime.projection('balances').get('a-3')).toEqual({ owner: 'owner-3', balance: 100 + 2.53 + 10 + 0.05, events: 4 });
    // The filter keeps FundsAdded only as the MoneyDeposited it is upcast to: three deposits per account.
    expect(runtime.projection('deposits').get('a-3')).toEqual({ owner: '', balance: 2.53 + 10 + 0.05, events: 3 });
    const upcast = [...runtime.readAll()];
    expect(runtime.projection('balances').query()).toEqual(fold(upcast));
    expect(runtime.projection('deposits').query()).toEqual(fold(upcast, deposits.filter));

    // New v2 events pass through unchanged, and a rebuild (from position 1) upcasts as the live view did.
    const { position } = await runtime.send('account', 'a-3', { type: 'deposit', amount: 7 });
    await runtime.projection('deposits').waitFor(position);
    await Promise.all([runtime.projection('balances').rebuild(), runtime.projection('deposits').rebuild()]);
    expect(runtime.projection('balances').get('a-3')).toMatchObject({ balance: 100 + 2.53 + 10 + 0.05 + 7, events: 5 });
    expect(runtime.projection('balances').query()).toEqual(fold(runtime.readAll()));
    expect(runtime.projection('deposits').query()).toEqual(fold(runtime.readAll(), deposits.filter));
  });

  it('refuses to start a projection whose module does not export the upcasting definition, naming what is missing; nothing is left behind', async () => {
    const path = harness.dir();
    await writeV1(path);
    const plain = defineProjection({ name: 'plain', module: balancesProjectionUrl() });
    const error = await rejectionOf(harness.open({ path, aggregates: [accountV2Renaming], projections: [balances, plain] }));
    expect(error).toBeInstanceOf(ProjectionUpcastersError);
    expect(error).toMatchObject({
      code: 'ERR_PROJECTION_UPCASTERS', projection: 'plain', aggregateType: 'account', missing: ['FundsAdded', 'MoneyDeposited'], unexpected: [],
    });
    expect((error as Error).message).toContain('projection "plain" reads "account" events, but its module does not upcast them as the runtime does');
    expect(existsSync(join(path, 'views')), 'the views environment was never opened').toBe(false);

    // A module that upcasts what the runtime does not is refused too: it would disagree with readAll.
    const extra = await rejectionOf(harness.open({ path, aggregates: [account], projections: [balances] }));
    expect(extra).toMatchObject({ code: 'ERR_PROJECTION_UPCASTERS', projection: 'balances', missing: [], unexpected: ['FundsAdded', 'MoneyDeposited'] });

    // Only the aggregate types a projection reads count; and the refusals released the writer lock.
    const ledgerOnly = defineProjection({ name: 'ledger', module: balancesProjectionUrl(), filter: { aggregateTypes: ['ledger'] } });
    const runtime = await harness.open({ path, aggregates: [accountV2Renaming], projections: [balances, ledgerOnly] });
    await runtime.projection('balances').waitFor(runtime.metrics().headPosition);
    expect(runtime.projection('balances').query()).toEqual(fold(runtime.readAll()));
  });
});
