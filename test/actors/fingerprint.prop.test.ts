// Properties of the machine fingerprint: it differs exactly when the source text of an edited
// function differs (across every place XState keeps user code), it is total and deterministic on
// arbitrary context values, and the runtime never applies a snapshot written by another machine:
// rehydrating machine B over snapshots written by machine A equals B's full replay.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { and, assign, createMachine, enqueueActions, not, raise, setup, type AnyStateMachine } from 'xstate';
import { defineAggregate, type AggregateDefinition } from '../../actors/define-aggregate.js';
import { machineFingerprint } from '../../actors/fingerprint.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

// Replays a reported failure: FC_SEED=<seed> FC_PATH=<path> npx vitest run test/actors/fingerprint.prop.test.ts
const replay = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {};

/** XState's creators, handed to generated code (which cannot import). */
const xs = { and, assign, createMachine, enqueueActions, not, raise, setup };

/**
 * Where an edit lands, as a machine whose source text contains the numeric literal `K`. Each is
 * compiled with `new Function`, so different K means different source (a closure over K would
 * be invisible to any fingerprint).
 */
const TEMPLATES = {
  assignObject: `xs.createMachine({ context: { balance: 0 }, on: { D: { actions: xs.assign({ balance: ({ context, event }) => context.balance + event.amount * K }) } } })`,
  assignFunction: `xs.createMachine({ context: { balance: 0 }, on: { D: { actions: xs.assign(({ context, event }) => ({ balance: context.balance + event.amount * K })) } } })`,
  guardParams: `xs.setup({ guards: { atLeast: (_, p) => p.min > 0 } }).createMachine({ on: { D: { guard: { type: 'atLeast', params: { min: K } } } } })`,
  guardParamsFunction: `xs.setup({ guards: { atLeast: (_, p) => p.min > 0 } }).createMachine({ on: { D: { guard: { type: 'atLeast', params: ({ event }) => ({ min: event.amount * K }) } } } })`,
  combinator: `xs.createMachine({ on: { D: { guard: xs.and([xs.not(({ event }) => event.amount > K), 'g']) } } })`,
  enqueue: `xs.createMachine({ context: { n: 0 }, on: { D: { actions: xs.enqueueActions(({ enqueue }) => { enqueue.assign({ n: K }); }) } } })`,
  delay: `xs.setup({ delays: { later: () => K } }).createMachine({ initial: 'a', states: { a: { after: { later: 'b' } }, b: {} } })`,
  inlineAction: `xs.createMachine({ initial: 'a', states: { a: { entry: [() => K], on: { D: { actions: ({ event }) => event.amount * K } } } } })`,
  setupAction: `xs.setup({ actions: { add: xs.assign({ n: ({ context }) => context.n + K }) } }).createMachine({ context: { n: 0 }, on: { D: { actions: 'add' } } })`,
  raise: `xs.createMachine({ on: { D: { actions: xs.raise(({ event }) => ({ type: 'R', n: event.amount * K })) } } })`,
  context: `xs.createMachine({ context: { limit: K, big: BigInt(K) } })`,
} as const;
type Template = keyof typeof TEMPLATES;

const build = (template: Template, k: number): AnyStateMachine =>
  new Function('xs', `return ${TEMPLATES[template].replaceAll('K', String(k))};`)(xs) as AnyStateMachine;

const kArb = fc.integer({ min: 0, max: 1_000_000 });

describe('fingerprint properties', () => {
  it('differs iff the source text of the edited function differs, wherever it lives', () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(TEMPLATES) as Template[])), kArb, kArb, (template, k1, k2) => {
        const a = machineFingerprint(build(template, k1), 0);
        const b = machineFingerprint(build(template, k2), 0);
        if (k1 === k2) expect(a).toBe(b);
        else expect(a).not.toBe(b);
      }),
      { numRuns: 500, ...replay },
    );
  });

  it('is total and deterministic on arbitrary context values (bigint, Map, Set, Date, sparse, null-prototype, typed arrays)', () => {
    const valueArb = fc.anything({
      withBigInt: true, withMap: true, withSet: true, withDate: true, withNullPrototype: true,
      withSparseArray: true, withTypedArray: true, withObjectString: true,
    });
    fc.assert(
      fc.property(valueArb, (value) => {
        const fingerprint = machineFingerprint(createMachine({ context: { value } as Record<string, unknown> }), 0);
        // A deep copy is the same definition; structuredClone keeps every kind generated here.
        const copy = machineFingerprint(createMachine({ context: { value: structuredClone(value) } as Record<string, unknown> }), 0);
        expect(copy).toBe(fingerprint);
      }),
      { numRuns: 300, ...replay },
    );
  });

  it('ignores the order in which object keys were inserted', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        const fingerprint = (context: Record<string, unknown>) => machineFingerprint(createMachine({ context }), 0);
        expect(fingerprint(reversed)).toBe(fingerprint(dict));
      }),
      { numRuns: 200, ...replay },
    );
  });
});

/** The account with its deposit assigner generated from source: `balance + amount * k`. */
function accountScaledBy(k: number, form: 'object' | 'function', snapshotEvery: number): AggregateDefinition {
  const deposit = form === 'object'
    ? `xs.assign({ balance: ({ context, event }) => context.balance + event.amount * ${k} })`
    : `xs.assign(({ context, event }) => ({ balance: context.balance + event.amount * ${k} }))`;
  const machine = new Function('xs', `return xs.createMachine({
    id: 'account',
    initial: 'closed',
    context: { balance: 0, owner: '' },
    states: {
      closed: { on: { AccountOpened: { target: 'open', actions: xs.assign({ balance: ({ event }) => event.initial, owner: ({ event }) => event.owner }) } } },
      open: { on: { MoneyDeposited: { actions: ${deposit} } } },
    },
  });`)(xs) as AnyStateMachine;
  return defineAggregate({
    type: 'account',
    machine,
    commands: {
      open: (cmd: { owner: string; initial: number }) => ({ type: 'AccountOpened', owner: cmd.owner, initial: cmd.initial }),
      deposit: (cmd: { amount: number }) => ({ type: 'MoneyDeposited', amount: cmd.amount }),
    },
    snapshotEvery,
  });
}

describe('snapshots across machine edits', () => {
  const variantArb = fc.record({ k: fc.integer({ min: 0, max: 3 }), form: fc.constantFrom('object' as const, 'function' as const) });

  it('rehydrating machine B over snapshots written by machine A equals full replay under B', async () => {
    await fc.assert(
      fc.asyncProperty(
        variantArb,
        variantArb,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 100 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        async (a, b, snapshotEvery, initial, amounts) => {
          const harness = new RuntimeHarness();
          try {
            const path = harness.dir();
            const writer = await harness.open({ path, aggregates: [accountScaledBy(a.k, a.form, snapshotEvery)] });
            await writer.send('account', 'a-1', { type: 'open', owner: 'ann', initial });
            for (const amount of amounts) await writer.send('account', 'a-1', { type: 'deposit', amount });
            await harness.close(writer);

            // B's full replay, by hand: the events are the same whichever machine wrote them.
            const expected = {
              value: 'open',
              context: { balance: initial + amounts.reduce((sum, amount) => sum + amount * b.k, 0), owner: 'ann' },
              version: amounts.length + 1,
            };
            const reader = await harness.open({ path, aggregates: [accountScaledBy(b.k, b.form, snapshotEvery)] });
            expect(await reader.state('account', 'a-1')).toEqual(expected);
            // And B keeps going from there (its own snapshots, if any, are now B's).
            await reader.send('account', 'a-1', { type: 'deposit', amount: 1 });
            expect(await reader.state('account', 'a-1')).toEqual({
              ...expected, context: { ...expected.context, balance: expected.context.balance + b.k }, version: expected.version + 1,
            });
          } finally {
            await harness.cleanup();
          }
        },
      ),
      { numRuns: 25, ...replay },
    );
  });
});
