// Compiled transitions behind a real runtime: the same commands give the same events, states and
// refusals whether the account runs compiled or on XState, and snapshots written by either are
// read by the other (a deploy that flips `compile` must not lose or misread a snapshot).
import { afterEach, describe, expect, it } from 'vitest';
import { Actor, setup } from 'xstate';
import { CompiledActor } from '../../actors/compiled-actor.js';
import { defineAggregate } from '../../actors/define-aggregate.js';
import { startActor } from '../../actors/replay.js';
import { account, accountMachine } from '../../fixtures/bank-account.js';
import { order } from '../../fixtures/order.js';
import { seededRandom, pick } from '../../fixtures/seeded-random.js';
import type { Runtime } from '../../runtime/types.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

const onXState = defineAggregate({ type: 'account', machine: accountMachine, commands: account.commands as never, snapshotEvery: 10, compile: false });
const compiled = defineAggregate({ type: 'account', machine: accountMachine, commands: account.commands as never, snapshotEvery: 10 });

/** A seeded mix of opens, deposits, withdrawals (some refused), closes and reopens over a few accounts. */
function commands(seed: number, n: number): { id: string; command: { type: string; [field: string]: unknown } }[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const id = `a-${pick(random, 4)}`;
    const roll = pick(random, 10);
    const command = roll === 0 ? { type: 'open', owner: id, initial: 5 }
      : roll === 1 ? { type: 'close' }
      : roll < 6 ? { type: 'deposit', amount: 1 + pick(random, 20) }
      : { type: 'withdraw', amount: 1 + pick(random, 30) };
    return { id, command };
  });
}

/** Runs the commands in order; the outcome of each: its version and events, or the error's name and message. */
async function outcomes(runtime: Runtime, list: ReturnType<typeof commands>): Promise<unknown[]> {
  const results: unknown[] = [];
  for (const { id, command } of list) {
    results.push(await runtime.send('account', id, command).then(
      (result) => ({ version: result.version, events: result.events.map((event) => [event.type, event.data]) }),
      (error: Error) => ({ error: error.name, message: error.message }),
    ));
  }
  return results;
}

describe('compiled transitions', () => {
  it('compile the account and the order (with after), and leave a machine with always on XState, saying why', () => {
    expect(account.compilation).toEqual({ compiled: true });
    expect(order.compilation).toEqual({ compiled: true });
    const eventless = defineAggregate({
      type: 'eventless',
      machine: setup({}).createMachine({ initial: 'a', states: { a: { always: { target: 'b', guard: () => false } }, b: {} } }),
      commands: { noop: () => undefined },
    });
    expect(eventless.compilation).toEqual({ compiled: false, reason: expect.stringContaining('eventless (always) transitions') });
    expect(onXState.compilation).toEqual({ compiled: false, reason: 'compile: false' });
    expect(startActor(compiled)).toBeInstanceOf(CompiledActor);
    expect(startActor(onXState)).toBeInstanceOf(Actor);
    expect(() => defineAggregate({ ...onXState, commands: account.commands as never, compile: 'yes' as never })).toThrow(/options\.compile of aggregate "account" must be a boolean/);
  });

  it('give the same results, refusals, states and streams as XState for the same commands', async () => {
    const list = commands(11, 300);
    const a = await harness.open({ path: harness.dir(), aggregates: [compiled] });
    const b = await harness.open({ path: harness.dir(), aggregates: [onXState] });
    const [got, want] = [await outcomes(a, list), await outcomes(b, list)];
    expect(got).toEqual(want);
    expect(want.filter((outcome) => 'error' in (outcome as object)).length).toBeGreaterThan(20);
    for (const id of ['a-0', 'a-1', 'a-2', 'a-3']) {
      expect(await a.state('account', id)).toEqual(await b.state('account', id));
      expect(a.explain('account', id, { type: 'withdraw', amount: 1_000 })).toEqual(b.explain('account', id, { type: 'withdraw', amount: 1_000 }));
    }
  });

  it.each([
    ['compiled', 'XState', compiled, onXState],
    ['XState', 'compiled', onXState, compiled],
  ])('read snapshots written %s when running %s, to the same state as a full replay', async (_w, _r, writer, reader) => {
    const path = harness.dir();
    const list = commands(5, 200);
    const first = await harness.open({ path, aggregates: [writer] });
    await outcomes(first, list);
    const before = await Promise.all(['a-0', 'a-1', 'a-2', 'a-3'].map((id) => first.state('account', id)));
    await harness.close(first);
    const second = await harness.open({ path, aggregates: [reader] });
    const after = await Promise.all(['a-0', 'a-1', 'a-2', 'a-3'].map((id) => second.state('account', id)));
    expect(after).toEqual(before);
    // Rehydrated from snapshots (snapshotEvery 10), not replayed from the start.
    expect(second.metrics().snapshotsWritten + first.metrics().snapshotsWritten).toBeGreaterThan(0);
    const more = await outcomes(second, commands(6, 50));
    const reference = await harness.open({ path: harness.dir(), aggregates: [onXState] });
    await outcomes(reference, list);
    expect(more).toEqual(await outcomes(reference, commands(6, 50)));
  });
});
