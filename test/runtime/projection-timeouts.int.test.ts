// Projection handler time limits on real worker threads over a real LMDB: a handler call that
// runs past handlerTimeoutMs stops its partition with ProjectionHandlerTimeoutError in status()
// while send, other projections and other partitions go on; resume() works on a replaced worker;
// and close() returns promptly even when a handler never returns, losing nothing committed.
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineProjection } from '../../projections/define-projection.js';
import { ProjectionHandlerTimeoutError } from '../../projections/errors.js';
import { partitionOf } from '../../projections/partition.js';
import { CLOSE_GRACE_MS } from '../../projections/call-watchdog.js';
import type { Runtime } from '../../runtime/types.js';
import { account } from '../../fixtures/bank-account.js';
import { balancesProjectionUrl } from '../../fixtures/bank-events.js';
import { projectionModule } from '../fixtures/projection-kit.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';
import { rejectionOf } from '../fixtures/storage-kit.js';
import { STUCK_AMOUNT } from '../fixtures/stuck.projection.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

const balances = defineProjection({ name: 'balances', module: balancesProjectionUrl() });

/** The stuck fixture, hanging on STUCK_AMOUNT while `flag` exists. */
function stuck(flag: string, options: { handlerTimeoutMs: number; partitions?: number }) {
  const module = projectionModule('stuck');
  module.searchParams.set('flag', flag);
  return defineProjection({ name: 'stuck', module, ...options });
}

/** Opens and funds accounts a-0..a-5, deposits STUCK_AMOUNT to a-2 (returns its position), then more. */
async function history(runtime: Runtime): Promise<number> {
  for (let i = 0; i < 6; i++) await runtime.send('account', `a-${i}`, { type: 'open', owner: `o-${i}`, initial: 10 * i });
  const { position } = await runtime.send('account', 'a-2', { type: 'deposit', amount: STUCK_AMOUNT });
  for (let i = 0; i < 6; i++) await runtime.send('account', `a-${i}`, { type: 'deposit', amount: i + 1 });
  return position;
}

describe('projection handler time limit', () => {
  it('stops only the partition whose handler runs past its limit, with the error in status(); the rest goes on, resume() recovers', async () => {
    const path = harness.dir();
    const flag = join(path, 'stuck.flag');
    writeFileSync(flag, '');
    const runtime = await harness.open({ path, aggregates: [account], projections: [balances, stuck(flag, { handlerTimeoutMs: 500, partitions: 2 })] });
    const hung = await history(runtime);
    const head = runtime.metrics().headPosition;
    const view = runtime.projection('stuck');
    const stopped = partitionOf('a-2', 2);

    const error = await rejectionOf(view.waitFor(head));
    expect(error).toBeInstanceOf(ProjectionHandlerTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_PROJECTION_HANDLER_TIMEOUT', projection: 'stuck', partition: stopped, position: hung, timeoutMs: 500 });
    const message = `projection "stuck" partition ${stopped} stopped at position ${hung}: handle() ran past its time limit of 500 ms (handlerTimeoutMs)`;
    expect((error as Error).message).toContain(message);
    expect(view.status().error).toEqual({ code: 'ERR_PROJECTION_HANDLER_TIMEOUT', message: (error as Error).message, position: hung, partition: stopped });
    expect(view.status().partitions[stopped]!.position).toBeLessThan(hung);

    // Other projections, the other partition and send carry on; the stopped partition stays put.
    const { position } = await runtime.send('account', 'a-4', { type: 'deposit', amount: 1 });
    await runtime.projection('balances').waitFor(position);
    await expect.poll(() => view.status().partitions[1 - stopped]!.position, { timeout: 10_000 }).toBe(position);
    expect(view.status().partitions[stopped]!.position).toBeLessThan(hung);

    // Fixed, it resumes on the worker piscina started in place of the stopped one.
    unlinkSync(flag);
    await view.resume();
    await view.waitFor(position);
    expect(view.status().error).toBeUndefined();
    expect(view.query()).toEqual(runtime.projection('balances').query());
    expect(view.get('a-2')).toEqual({ owner: 'o-2', balance: 20 + STUCK_AMOUNT + 3, events: 3 });
  });

  it('lets close() return promptly while a handler never returns, and keeps every committed effect', async () => {
    const path = harness.dir();
    const flag = join(path, 'stuck.flag');
    writeFileSync(flag, '');
    const runtime = await harness.open({ path, aggregates: [account], projections: [balances, stuck(flag, { handlerTimeoutMs: Infinity })] });
    await history(runtime);
    const head = runtime.metrics().headPosition;
    await runtime.projection('balances').waitFor(head);
    await expect.poll(() => existsSync(`${flag}.entered`), { timeout: 10_000 }).toBe(true);

    const started = performance.now();
    await harness.close(runtime);
    // The grace a running call gets, plus the replacement worker's start: far below any handler limit.
    expect(performance.now() - started).toBeLessThan(CLOSE_GRACE_MS + 4_000);

    // The call stopped at close was not at fault: no error; reopened and fixed, the view is whole.
    unlinkSync(flag);
    const reopened = await harness.open({ path, aggregates: [account], projections: [balances, stuck(flag, { handlerTimeoutMs: Infinity })] });
    await reopened.projection('stuck').waitFor(head);
    expect(reopened.projection('stuck').query()).toEqual(reopened.projection('balances').query());
  });
});
