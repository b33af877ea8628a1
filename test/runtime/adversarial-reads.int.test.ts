// Bad input on the read side, through the public API on a real LMDB: every read option that is
// not a non-negative integer (or the right type) is refused at the call, naming the option, and
// nothing a subscriber does, nor a read that fails under it, escapes as an uncaught error.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UpcastError } from '../../actors/errors.js';
import { CorruptDataError } from '../../storage/errors.js';
import { defineProjection } from '../../projections/define-projection.js';
import { balancesProjectionUrl } from '../../fixtures/bank-events.js';
import { AGGREGATES, Seeded, subscribeUntil } from '../fixtures/adversarial-kit.js';
import { overwriteLogValue } from '../fixtures/raw-log.js';
import { expectError, footprint, type ErrorClass } from '../fixtures/refusals.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';
import { rejectionOf, thrownBy } from '../fixtures/storage-kit.js';

const harness = new RuntimeHarness();
afterEach(async () => {
  await harness.cleanup();
  vi.restoreAllMocks();
});

describe('read options: refused at the call, naming the option', () => {
  it('readAll, readStream, subscribe and state refuse NaN, strings, negatives and fractions; valid bounds still read', async () => {
    const seed = await Seeded.open(harness);
    const { runtime } = seed;
    const before = await footprint(runtime, 'account', 'a-1');
    const refusals: Array<[() => unknown, ErrorClass, string]> = [
      [() => runtime.readAll({ fromPosition: NaN }), RangeError, 'options.fromPosition of readAll must be a non-negative integer (got NaN)'],
      [() => runtime.readAll({ fromPosition: '3' as never }), TypeError, 'options.fromPosition of readAll must be a number (got string)'],
      [() => runtime.readAll({ fromPosition: -1 }), RangeError, 'options.fromPosition of readAll'],
      [() => runtime.readAll({ fromPosition: 1.5 }), RangeError, 'options.fromPosition of readAll'],
      [() => runtime.readAll({ limit: NaN }), RangeError, 'options.limit of readAll'],
      [() => runtime.readAll({ limit: Infinity }), RangeError, 'options.limit of readAll'],
      [() => runtime.readAll(null as never), TypeError, 'the options of readAll must be an object'],
      [() => runtime.readStream('account', 'a-1', { fromVersion: NaN }), RangeError, 'options.fromVersion of readStream(account/a-1)'],
      [() => runtime.readStream('account', 'a-1', { toVersion: -1 }), RangeError, 'options.toVersion of readStream(account/a-1)'],
      [() => runtime.subscribe({ fromPosition: NaN }, () => undefined), RangeError, 'options.fromPosition of subscribe'],
      [() => runtime.subscribe({ onError: 5 as never }, () => undefined), TypeError, 'options.onError of subscribe must be a function'],
      [() => runtime.subscribe({}, 'handler' as never), TypeError, 'the handler of subscribe must be a function'],
    ];
    for (const [read, errorClass, fragment] of refusals) expectError(thrownBy(read), errorClass, undefined, fragment);
    const states: Array<[object, ErrorClass, string]> = [
      [{ version: NaN }, RangeError, 'options.version of state(account/a-1) must be a non-negative integer'],
      [{ version: '2' }, RangeError, 'options.version of state(account/a-1)'],
      [{ at: 'yesterday' }, RangeError, 'options.at of state(account/a-1) must be a Date or epoch milliseconds'],
      [{ at: new Date(Number.NaN) }, RangeError, 'options.at of state(account/a-1)'],
    ];
    for (const [options, errorClass, fragment] of states) {
      expectError(await rejectionOf(runtime.state('account', 'a-1', options)), errorClass, undefined, fragment);
    }
    expectError(await rejectionOf(runtime.state('account', 'a-1', null as never)), TypeError, undefined, 'the options of state(account/a-1) must be an object');
    // Zero means "from the start", and bounds past the end are clamped: not errors.
    expect([...runtime.readAll({ fromPosition: 0 })].map((e) => e.position)).toEqual([1, 2, 3]);
    expect([...runtime.readAll({ limit: 0 })]).toEqual([]);
    expect([...runtime.readStream('account', 'a-1', { fromVersion: 0, toVersion: 99 })].map((e) => e.version)).toEqual([1, 2]);
    expect(await footprint(runtime, 'account', 'a-1')).toEqual(before);
    await seed.expectServesAndRestarts();
  });

  it("a projection's waitFor and query refuse malformed positions, timeouts, limits and bounds; any name works", async () => {
    // Both read only accounts: the seeded runtime also serves an aggregate with upcasters, which
    // a projection reading it would have to export (ProjectionUpcastersError otherwise).
    const filter = { aggregateTypes: ['account'] };
    const balances = defineProjection({ name: 'balances', module: balancesProjectionUrl(), filter });
    // A projection named like Object.prototype's accessor is a name like any other.
    const proto = defineProjection({ name: '__proto__', module: balancesProjectionUrl(), filter });
    const seed = await Seeded.open(harness, { projections: [balances, proto], workers: 1 });
    const projection = seed.runtime.projection('balances');
    for (const [waiting, fragment] of [
      [projection.waitFor(NaN), 'position must be a non-negative integer (got NaN)'],
      [projection.waitFor(-1), 'position must be a non-negative integer'],
      [projection.waitFor(1, { timeoutMs: NaN }), 'options.timeoutMs must be a positive number'],
    ] as const) {
      expectError(await rejectionOf(waiting), RangeError, undefined, fragment);
    }
    expectError(thrownBy(() => projection.query({ limit: NaN })), RangeError, undefined, 'options.limit must be a non-negative integer');
    expectError(thrownBy(() => projection.query({ start: 5 as never })), TypeError, undefined, 'options.start of query must be a view key string');
    expectError(thrownBy(() => projection.query({ end: null as never })), TypeError, undefined, 'options.end of query');
    await projection.waitFor(3);
    expect(projection.query({ start: 'a-1', end: 'a-2' }).map((entry) => entry.key)).toEqual(['a-1']);
    await seed.runtime.projection('__proto__').waitFor(3);
    expect(seed.runtime.projection('__proto__').get('a-1')).toEqual(projection.get('a-1'));
    const { projections } = seed.runtime.metrics();
    expect(Object.keys(projections)).toEqual(['balances', '__proto__']);
    expect(Object.getPrototypeOf(projections)).toBe(Object.prototype);
    await seed.expectServesAndRestarts();
  });
});

describe("subscribers never take the process down", () => {
  /** Collects uncaught exceptions and unhandled rejections while `run` runs (and one turn after). */
  async function uncaughtDuring(run: () => Promise<void>): Promise<unknown[]> {
    const uncaught: unknown[] = [];
    const record = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
    try {
      await run();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    }
    return uncaught;
  }

  it('a handler that throws, an async one that rejects, an onError that throws: logged, the others go on', async () => {
    const seed = await Seeded.open(harness);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const reported: Array<[unknown, number | undefined]> = [];
    const uncaught = await uncaughtDuring(async () => {
      const bug = new Error('handler bug');
      seed.runtime.subscribe({ onError: () => { throw new Error('onError bug'); } }, () => { throw bug; });
      let rejected!: () => void;
      const rejection = new Promise<void>((resolve) => (rejected = resolve));
      seed.runtime.subscribe({ onError: (error, event) => (reported.push([error, event?.position]), rejected()) }, async (event) => {
        if (event.position === 2) throw new Error('async bug');
      });
      const sentinel = subscribeUntil(seed.runtime, 4);
      await seed.runtime.send('account', 'a-1', { type: 'deposit', amount: 1 });
      await rejection;
      expect((await sentinel).map((e) => e.position)).toEqual([1, 2, 3, 4]);
      // The first subscription failed at event 1, in the turn before any of the sentinel's.
      expect(logged.mock.calls.flat()).toContain(bug);
    });
    expect(uncaught).toEqual([]);
    expect(reported).toEqual([[new Error('async bug'), 2]]);
    expect(logged.mock.calls.flat().map((e) => (e as Error).message)).toEqual(expect.arrayContaining(['the onError of a subscription threw', 'handler bug']));
    await seed.expectServesAndRestarts();
  });

  it('a read that fails (an upcaster loop, a corrupt stored event) stops that subscription through onError', async () => {
    const seed = await Seeded.open(harness);
    await seed.runtime.send('looping', 'l-1', { type: 'emit' });
    await harness.close(seed.runtime);
    await overwriteLogValue(seed.path, 2, (value) => value.fill(0xc1, 10));
    seed.runtime = await harness.open({ path: seed.path, aggregates: AGGREGATES });
    const failures: Array<[unknown, number | undefined]> = [];
    const uncaught = await uncaughtDuring(async () => {
      await new Promise<void>((resolve) => {
        seed.runtime.subscribe({ onError: (error, event) => (failures.push([error, event?.position]), resolve()) }, () => undefined);
      });
      await new Promise<void>((resolve) => {
        seed.runtime.subscribe({ fromPosition: 3, onError: (error, event) => (failures.push([error, event?.position]), resolve()) }, () => undefined);
      });
    });
    expect(uncaught).toEqual([]);
    expectError(failures[0]![0], CorruptDataError, 'ERR_CORRUPT_DATA', 'log position 2');
    expect(failures[0]![1]).toBeUndefined();
    expectError(failures[1]![0], UpcastError, 'ERR_UPCAST', 'loop on event type');
    expect(failures[1]![1]).toBe(4);
    expect((await seed.runtime.send('account', 'a-9', { type: 'open', owner: 'z', initial: 1 })).position).toBe(5);
  });
});
