// The rule users rely on, through the public API on a real LMDB: a repeated commandId returns the
// first result while less than `commandIdRetentionMs` has passed since the first command was
// handled and fewer than `commandIdRetentionCount` ids came after it, and runs as a new command
// from then on — live, after a clean restart and after a crash-like one, for commands that
// appended nothing too. Time
// moves through the log's clock seam, never by waiting. Aggregates whose ids and commandIds would
// join to one key are separate commands.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveOptions } from '../../runtime/options.js';
import { startRuntime } from '../../runtime/runtime.js';
import type { Runtime, SendResult } from '../../runtime/types.js';
import { openLmdbEventLog, type LogSeams } from '../../storage/lmdb-event-log.js';
import { countingAccount } from '../fixtures/runtime-aggregates.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const RETENTION = 3_600_000;
const T0 = 1_800_000_000_000;

const harness = new RuntimeHarness();
afterEach(async () => {
  await harness.cleanup();
  vi.useRealTimers();
});

const open = (initial: number) => ({ type: 'open', owner: 'ann', initial });
const deposit = (amount: number) => ({ type: 'deposit', amount });

describe('commandIdRetentionMs', () => {
  let now = T0;
  const counting = countingAccount();

  /** A runtime on `path` whose log tells time by `now`. */
  async function runtimeAt(path: string, seams: LogSeams = {}): Promise<Runtime> {
    const options = resolveOptions({ path, aggregates: [counting.definition], commandIdRetentionMs: RETENTION });
    const log = openLmdbEventLog({ path, commandIdRetentionMs: RETENTION, clock: () => now, ...seams });
    return harness.track(await startRuntime(options, log));
  }

  // How each runtime is closed and reopened: not at all, cleanly, or as after a crash (nothing
  // written behind on close).
  const restarts: Array<[string, LogSeams | undefined]> = [
    ['live', undefined],
    ['after a restart', {}],
    ['after a crash-like restart', { closeWithoutWriteBehind: true }],
  ];

  it.each(restarts)('returns the first result until it has passed, then runs the command again (%s)', async (_name, seams) => {
    const path = harness.dir();
    const restart = async (current: Runtime): Promise<Runtime> => (seams ? (await harness.close(current), runtimeAt(path, seams)) : current);
    now = T0;
    let runtime = await runtimeAt(path, seams);
    await runtime.send('account', 'a-1', open(100));
    const first = await runtime.send('account', 'a-1', deposit(5), { commandId: 'c-1' });
    const nothing = await runtime.send('account', 'a-1', { type: 'noop' }, { commandId: 'n-1' });
    counting.calls.clear();
    runtime = await restart(runtime);

    now = T0 + RETENTION - 1;
    expect(await runtime.send('account', 'a-1', deposit(99), { commandId: 'c-1' }), 'just within').toEqual(first);
    expect(await runtime.send('account', 'a-1', { type: 'noop' }, { commandId: 'n-1' }), 'just within').toEqual(nothing);
    expect(counting.calls.size, 'no handler ran').toBe(0);

    now = T0 + RETENTION;
    const again = await runtime.send('account', 'a-1', deposit(7), { commandId: 'c-1' });
    expect([again.version, again.events.map((e) => e.data.amount)], 'past it: a new command').toEqual([3, [7]]);
    const nothingAgain = await runtime.send('account', 'a-1', { type: 'noop' }, { commandId: 'n-1' });
    expect(Object.fromEntries(counting.calls)).toEqual({ deposit: 1, noop: 1 });
    expect(await runtime.state('account', 'a-1')).toMatchObject({ version: 3, context: { balance: 112 } });

    // From now on the id stands for the command that ran last, after a restart too.
    runtime = await restart(runtime);
    expect(await runtime.send('account', 'a-1', deposit(1), { commandId: 'c-1' })).toEqual(again);
    expect(await runtime.send('account', 'a-1', { type: 'noop' }, { commandId: 'n-1' })).toEqual(nothingAgain);
    expect(counting.calls.get('deposit')).toBe(1);
  });

  it('keeps apart aggregates whose ids and commandIds would join to the same key, across a crash-like restart', async () => {
    const path = harness.dir();
    now = T0;
    let runtime = await runtimeAt(path, { closeWithoutWriteBehind: true });
    // `account\0b\0c\0d` either way when joined with NUL.
    const sends = (current: Runtime): Promise<SendResult[]> => Promise.all([
      current.send('account', 'b\u0000c', open(1), { commandId: 'd' }),
      current.send('account', 'b', open(2), { commandId: 'c\u0000d' }),
    ]);
    const [left, right] = await sends(runtime);
    expect([left!.events[0]!.aggregateId, left!.events[0]!.data.initial, right!.events[0]!.aggregateId, right!.events[0]!.data.initial])
      .toEqual(['b\u0000c', 1, 'b', 2]);
    expect(await sends(runtime), 'live').toEqual([left, right]);
    await harness.close(runtime);
    runtime = await runtimeAt(path);
    expect(await sends(runtime), 'after a crash-like restart').toEqual([left, right]);
    await harness.close(runtime);
    expect(await sends(await runtimeAt(path)), 'after a restart').toEqual([left, right]);
  });

  it('is 24 h unless set, and createRuntime measures it on the wall clock', async () => {
    expect(resolveOptions({ path: 'p', aggregates: [counting.definition] }).commandIdRetentionMs).toBe(86_400_000);
    vi.useFakeTimers({ toFake: ['Date'], now: T0 });
    const runtime = await harness.open({ path: harness.dir(), aggregates: [counting.definition], commandIdRetentionMs: 60_000 });
    await runtime.send('account', 'a-1', open(1));
    const first = await runtime.send('account', 'a-1', deposit(1), { commandId: 'c-1' });
    vi.setSystemTime(T0 + 59_999);
    expect(await runtime.send('account', 'a-1', deposit(2), { commandId: 'c-1' })).toEqual(first);
    vi.setSystemTime(T0 + 60_000);
    expect((await runtime.send('account', 'a-1', deposit(2), { commandId: 'c-1' })).version).toBe(3);
  });

  it('keeps the newest 1,000,000 ids unless set: with commandIdRetentionCount 2, an id with two newer ones runs again', async () => {
    expect(resolveOptions({ path: 'p', aggregates: [counting.definition] }).commandIdRetentionCount).toBe(1_000_000);
    expect(() => resolveOptions({ path: 'p', aggregates: [counting.definition], commandIdRetentionCount: 0 })).toThrow(
      new RangeError('options.commandIdRetentionCount must be a positive integer of commands or Infinity (got 0)'),
    );
    const path = harness.dir();
    let runtime = await harness.open({ path, aggregates: [counting.definition], commandIdRetentionCount: 2 });
    await runtime.send('account', 'a-1', open(100));
    const first = await runtime.send('account', 'a-1', deposit(1), { commandId: 'c-1' });
    const second = await runtime.send('account', 'a-1', deposit(2), { commandId: 'c-2' });
    expect(await runtime.send('account', 'a-1', deposit(9), { commandId: 'c-1' }), 'one newer id').toEqual(first);
    const third = await runtime.send('account', 'a-1', deposit(3), { commandId: 'c-3' });
    await harness.close(runtime);
    runtime = await harness.open({ path, aggregates: [counting.definition], commandIdRetentionCount: 2 });
    expect(await runtime.send('account', 'a-1', deposit(9), { commandId: 'c-2' }), 'one newer id, after a restart').toEqual(second);
    expect(await runtime.send('account', 'a-1', deposit(9), { commandId: 'c-3' })).toEqual(third);
    const again = await runtime.send('account', 'a-1', deposit(4), { commandId: 'c-1' });
    expect([again.version, again.events.map((e) => e.data.amount)], 'two newer ids: a new command').toEqual([5, [4]]);
  });
});
