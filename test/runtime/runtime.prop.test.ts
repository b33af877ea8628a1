// Property tests of the runtime against an in-memory model of the bank account: snapshot at any
// cut plus tail replay equals full replay; per-aggregate FIFO and exact final state under random
// interleavings; the log equals the model after random sequences including rejections.
import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../storage/errors.js';
import { IllegalEventError } from '../../actors/errors.js';
import { ActorLimitError } from '../../runtime/errors.js';
import { createRuntime } from '../../runtime/runtime.js';
import type { Runtime, RuntimeOptions, SendOptions, SendResult } from '../../runtime/types.js';
import { accountWith } from '../fixtures/runtime-aggregates.js';
import { domainEvent, foldAccount, tempDataDir } from '../fixtures/runtime-kit.js';

// Replays a reported failure: FC_SEED=<seed> FC_PATH=<path> npx vitest run test/runtime/runtime.prop.test.ts
const replay = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {};

type Command =
  | { type: 'open'; owner: string; initial: number }
  | { type: 'deposit'; amount: number }
  | { type: 'withdraw'; amount: number }
  | { type: 'close' }
  | { type: 'transferIn'; amounts: number[] }
  | { type: 'noop' };

type Event = Record<string, unknown> & { type: string };

/** What the model says a command does: its events, or why it is rejected. */
type Decision = { events: Event[] } | { rejected: 'insufficient funds' | 'illegal' | 'concurrency' };

interface AccountModel {
  value: 'closed' | 'open';
  balance: number;
  owner: string;
  events: Event[];
}

const newAccount = (): AccountModel => ({ value: 'closed', balance: 0, owner: '', events: [] });

/** The account's decide + evolve, written independently of the XState machine. */
function decide(model: AccountModel, command: Command): Decision {
  const illegal = { rejected: 'illegal' } as const;
  switch (command.type) {
    case 'open':
      return model.value === 'open' ? illegal : { events: [{ type: 'AccountOpened', owner: command.owner, initial: command.initial }] };
    case 'deposit':
      return model.value === 'open' ? { events: [{ type: 'MoneyDeposited', amount: command.amount }] } : illegal;
    case 'withdraw':
      if (model.balance < command.amount) return { rejected: 'insufficient funds' };
      return model.value === 'open' ? { events: [{ type: 'MoneyWithdrawn', amount: command.amount }] } : illegal;
    case 'close':
      return model.value === 'open' ? { events: [{ type: 'AccountClosed' }] } : illegal;
    case 'transferIn':
      if (command.amounts.length === 0) return { events: [] };
      return model.value === 'open' ? { events: command.amounts.map((amount) => ({ type: 'MoneyDeposited', amount })) } : illegal;
    case 'noop':
      return { events: [] };
  }
}

function evolve(model: AccountModel, events: readonly Event[]): void {
  const folded = foldAccount([...model.events, ...events].map(({ type, ...data }) => ({ type, data })));
  Object.assign(model, { value: folded.value, balance: folded.balance, owner: folded.owner });
  model.events.push(...events);
}

function modelState(model: AccountModel) {
  return { value: model.value, context: { balance: model.balance, owner: model.owner }, version: model.events.length };
}

/** What the runtime's rejection was, in the model's terms. */
function rejectionKind(error: unknown): string {
  if (error instanceof IllegalEventError) return 'illegal';
  if (error instanceof ConcurrencyError) return 'concurrency';
  if (error instanceof ActorLimitError) return 'actor limit';
  if (error instanceof Error && error.message === 'insufficient funds') return 'insufficient funds';
  throw error;
}

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ type: fc.constant('open' as const), owner: fc.constantFrom('ann', 'bo'), initial: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 6, arbitrary: fc.record({ type: fc.constant('deposit' as const), amount: fc.integer({ min: 1, max: 50 }) }) },
  { weight: 5, arbitrary: fc.record({ type: fc.constant('withdraw' as const), amount: fc.integer({ min: 1, max: 90 }) }) },
  { weight: 1, arbitrary: fc.constant({ type: 'close' as const }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('transferIn' as const), amounts: fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ type: 'noop' as const }) },
);

/** Opens a runtime on a fresh temp directory, runs `body`, closes and removes it. */
async function withDirectory<T>(body: (path: string, open: (options: Omit<RuntimeOptions, 'path'>) => Promise<Runtime>) => Promise<T>): Promise<T> {
  const path = tempDataDir();
  const open: Runtime[] = [];
  try {
    return await body(path, async (options) => {
      const runtime = await createRuntime({ path, ...options });
      open.push(runtime);
      return runtime;
    });
  } finally {
    await Promise.allSettled(open.map((runtime) => runtime.close()));
    rmSync(path, { recursive: true, force: true });
  }
}

describe('runtime properties', () => {
  it('(a) snapshot at any cut + tail replay equals full replay', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 100 }),
        fc.array(commandArb, { minLength: 1, maxLength: 40 }),
        async (snapshotEvery, initial, commands) => withDirectory(async (_path, open) => {
          const definition = accountWith({ snapshotEvery });
          const writer = await open({ aggregates: [definition] });
          const all = [{ type: 'open', owner: 'ann', initial } as Command, ...commands];
          // Pipelined in one tick: per-aggregate FIFO makes it the same as sending one by one.
          await Promise.allSettled(all.map((command) => writer.send('account', 'a-1', command)));
          const live = await writer.state('account', 'a-1');
          await writer.close();

          const fromSnapshot = await open({ aggregates: [definition] });
          const events = [...fromSnapshot.readStream('account', 'a-1')];
          const fold = foldAccount(events);
          const expected = { value: fold.value, context: { balance: fold.balance, owner: fold.owner }, version: events.length };
          expect(live).toEqual(expected);
          expect(await fromSnapshot.state('account', 'a-1')).toEqual(expected);
          for (let version = 0; version <= events.length; version++) {
            const cut = foldAccount(events.slice(0, version));
            expect(await fromSnapshot.state('account', 'a-1', { version })).toEqual({
              value: cut.value, context: { balance: cut.balance, owner: cut.owner }, version,
            });
          }
          await fromSnapshot.close();
          // Another fingerprint: the snapshots are ignored, the same data is replayed in full.
          const fullReplay = await open({ aggregates: [accountWith({ snapshotEvery, snapshotVersion: 1 })] });
          expect(await fullReplay.state('account', 'a-1')).toEqual(expected);
        }),
      ),
      { numRuns: 25, ...replay },
    );
  });

  it('(b) per-aggregate FIFO and exact final state under random concurrent sends', async () => {
    const AGGREGATES = 4;
    const opArb = fc.record({
      aggregate: fc.integer({ min: 0, max: AGGREGATES - 1 }),
      command: commandArb,
      // What the sender does after issuing this command: nothing, let microtasks run, or a full turn.
      after: fc.constantFrom('same tick', 'same tick', 'same tick', 'microtask', 'macrotask'),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 60 }),
        fc.constantFrom(2, 1_000),
        async (ops, maxActiveActors) => withDirectory(async (_path, open) => {
          const runtime = await open({ aggregates: [accountWith({ snapshotEvery: 4 })], maxActiveActors });
          const ids = Array.from({ length: AGGREGATES }, (_, i) => `acc-${i}`);
          // Every account starts open, so most commands are accepted (one at a time: maxActiveActors is a hard cap).
          for (const [i, id] of ids.entries()) await runtime.send('account', id, { type: 'open', owner: 'ann', initial: 10 * i });
          const acks: Array<string[]> = ids.map(() => []);
          const pending: Array<Promise<SendResult | { rejected: string }>> = [];
          for (const [index, op] of ops.entries()) {
            pending.push(runtime.send('account', ids[op.aggregate]!, op.command).then(
              (result) => (acks[op.aggregate]!.push(`ok ${index}`), result),
              (error: unknown) => (acks[op.aggregate]!.push(`rejected ${index}`), { rejected: rejectionKind(error) }),
            ));
            if (op.after === 'microtask') await Promise.resolve();
            if (op.after === 'macrotask') await new Promise((resolve) => setImmediate(resolve));
          }
          const outcomes = await Promise.all(pending);

          const models = ids.map((_, i) => {
            const model = newAccount();
            evolve(model, [{ type: 'AccountOpened', owner: 'ann', initial: 10 * i }]);
            return model;
          });
          const expectedAcks: Array<string[]> = ids.map(() => []);
          for (const [index, op] of ops.entries()) {
            const model = models[op.aggregate]!;
            const outcome = outcomes[index]!;
            // Refused at the door (every live actor busy, at the cap): never run, so not in the model.
            if ('rejected' in outcome && outcome.rejected === 'actor limit') {
              expect(maxActiveActors, `op ${index}: refused under the cap`).toBeLessThan(AGGREGATES);
              expectedAcks[op.aggregate]!.push(`rejected ${index}`);
              continue;
            }
            const decision = decide(model, op.command);
            if ('rejected' in decision) {
              expect(outcome, `op ${index} on ${ids[op.aggregate]}`).toEqual({ rejected: decision.rejected });
              expectedAcks[op.aggregate]!.push(`rejected ${index}`);
            } else {
              evolve(model, decision.events);
              expect(outcome, `op ${index} on ${ids[op.aggregate]}`).toMatchObject({ version: model.events.length });
              expect((outcome as SendResult).events.map(domainEvent)).toEqual(decision.events);
              expectedAcks[op.aggregate]!.push(`ok ${index}`);
            }
          }
          // Acks (and rejections) of one aggregate settle in send order.
          expect(acks).toEqual(expectedAcks);
          for (const [i, id] of ids.entries()) {
            expect(await runtime.state('account', id), id).toEqual(modelState(models[i]!));
            expect([...runtime.readStream('account', id)].map(domainEvent), id).toEqual(models[i]!.events);
          }
          const log = [...runtime.readAll()];
          expect(log.map((e) => e.position)).toEqual(log.map((_, i) => i + 1));
          expect(log.length).toBe(models.reduce((sum, model) => sum + model.events.length, 0));
        }),
      ),
      { numRuns: 25, ...replay },
    );
  });

  it('(c) the log equals the model after random command sequences including rejections', async () => {
    const opArb = fc.record({
      aggregate: fc.integer({ min: 0, max: 2 }),
      command: commandArb,
      commandId: fc.option(fc.constantFrom('c-1', 'c-2', 'c-3', 'c-4'), { nil: undefined }),
      // A version to expect: none, the right one, or a stale one.
      expectation: fc.constantFrom('none', 'none', 'right', 'stale'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 50 }), async (ops) => withDirectory(async (_path, open) => {
        const runtime = await open({ aggregates: [accountWith({ snapshotEvery: 3 })] });
        const ids = ['a-0', 'a-1', 'a-2'];
        const models = ids.map(newAccount);
        const ledgers = ids.map(() => new Map<string, SendResult>());
        const log: Array<Event & { id: string; version: number }> = [];
        for (const [index, op] of ops.entries()) {
          const id = ids[op.aggregate]!;
          const model = models[op.aggregate]!;
          const ledger = ledgers[op.aggregate]!;
          const version = model.events.length;
          const options: SendOptions = {
            ...(op.commandId === undefined ? {} : { commandId: op.commandId }),
            ...(op.expectation === 'none' ? {} : { expectedVersion: op.expectation === 'right' ? version : version + 1 }),
          };
          const outcome = await runtime.send('account', id, op.command, options).then(
            (result) => result,
            (error: unknown) => ({ rejected: rejectionKind(error) }),
          );
          const context = `op ${index}: ${JSON.stringify(op)}`;
          const recorded = op.commandId === undefined ? undefined : ledger.get(op.commandId);
          if (recorded) {
            expect(outcome, `${context} repeats its first result`).toEqual(recorded);
            continue;
          }
          const decision: Decision = op.expectation === 'stale' ? { rejected: 'concurrency' } : decide(model, op.command);
          if ('rejected' in decision) {
            expect(outcome, context).toEqual({ rejected: decision.rejected });
            continue;
          }
          evolve(model, decision.events);
          decision.events.forEach((event, i) => log.push({ ...event, id, version: version + i + 1 }));
          expect(outcome, context).toEqual({
            version: model.events.length,
            position: log.length,
            events: (outcome as SendResult).events,
          });
          expect((outcome as SendResult).events.map((e) => [e.aggregateId, e.version, e.position, domainEvent(e)])).toEqual(
            decision.events.map((event, i) => [id, version + i + 1, log.length - decision.events.length + i + 1, event]),
          );
          if (op.commandId !== undefined) ledger.set(op.commandId, outcome as SendResult);
        }
        const expected = log.map(({ id, version, ...event }, i) => ({ position: i + 1, id, version, event }));
        const actual = (stored: Iterable<{ position: number; aggregateId: string; version: number; type: string; data: Record<string, unknown> }>) =>
          [...stored].map((e) => ({ position: e.position, id: e.aggregateId, version: e.version, event: { type: e.type, ...e.data } }));
        expect(actual(runtime.readAll())).toEqual(expected);
        for (const [i, id] of ids.entries()) expect(await runtime.state('account', id)).toEqual(modelState(models[i]!));
        // And the same after a restart.
        await runtime.close();
        const reopened = await open({ aggregates: [accountWith({ snapshotEvery: 3 })] });
        expect(actual(reopened.readAll())).toEqual(expected);
        for (const [i, id] of ids.entries()) expect(await reopened.state('account', id)).toEqual(modelState(models[i]!));
      })),
      { numRuns: 25, ...replay },
    );
  });
});
