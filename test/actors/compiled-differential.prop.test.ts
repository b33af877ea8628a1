// The gate for compiled transitions: on random machines of every supported shape and random event
// sequences, the compiled actor and XState's agree after every step (and after a restore from a
// persisted snapshot); machines with a feature the compiler does not support are declined, saying why.
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { EventObject } from 'xstate';
import { compileMachine } from '../../actors/compiled-machine.js';
import type { AggregateDefinition } from '../../actors/define-aggregate.js';
import type { Command } from '../../actors/types.js';
import { account } from '../../fixtures/bank-account.js';
import { order } from '../../fixtures/order.js';
import { anything } from '../fixtures/adversarial-aggregates.js';
import { depositLimit } from '../fixtures/check-accounts.js';
import { quirky, UNLUCKY_AMOUNT } from '../fixtures/runtime-aggregates.js';
import { EVENT_TYPES, supportedMachineArb, TAGS, UNKNOWN_EVENT, unsupportedMachineArb, type RandomMachine, type Unsupported } from '../support/random-machine.js';
import { compiledSide, FIRE, lockstep, xstateSide, type Probes } from '../support/lockstep.js';

// Replays a reported failure: FC_SEED=<seed> FC_PATH=<path> npx vitest run test/actors/compiled-differential.prop.test.ts
// Searches longer, e.g. after a change to the compiler: FC_RUNS=5000 npx vitest run … (CI runs 300).
const replay = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {};
const RANDOM_RUNS = Number(process.env.FC_RUNS ?? 300);

// FIRE fires one of the pending timers (the machines' `after`), as the runtime fires a stored one.
const eventArb: fc.Arbitrary<EventObject> = fc.tuple(fc.constantFrom(...EVENT_TYPES, UNKNOWN_EVENT, FIRE, FIRE), fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }))
  .map(([type, v]) => (v === undefined ? { type } : { type, v }));
const eventsArb = fc.array(eventArb, { maxLength: 24 });

/** How a reason to decline names each unsupported feature. */
const NAMED: Record<Unsupported, RegExp> = {
  always: /always/i, invoke: /invoke/i, history: /history/i,
  wildcard: /wildcard|\*/i, nestedFinal: /final/i, output: /output/i,
};

const probesFor = (machine: RandomMachine): Probes => ({
  events: [...EVENT_TYPES, UNKNOWN_EVENT].map((type) => ({ type, v: 3 })),
  tags: TAGS,
  values: machine.paths,
});

// The harness sends one event past the end on purpose (it must be ignored); XState warns about it.
beforeAll(() => {
  const warn = console.warn;
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    if (!String(args[0]).includes('was sent to stopped actor')) warn(...args);
  });
});

describe('compiled transitions agree with XState', () => {
  it('on random machines × random event sequences, after every step and across a restore', () => {
    const declined: string[] = [];
    const statuses = new Map<string, number>();
    let runs = 0;
    fc.assert(
      fc.property(supportedMachineArb, eventsArb, fc.nat(), (random, events, cut) => {
        runs += 1;
        const machine = random.build();
        const compilation = compileMachine(machine);
        if ('declined' in compilation) {
          declined.push(compilation.declined);
          return;
        }
        const status = lockstep(machine, events, cut % (events.length + 1), probesFor(random), xstateSide, compiledSide(compilation.compiled));
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }),
      { numRuns: RANDOM_RUNS, ...replay },
    );
    // Agreement means little if most machines fell back to XState, or if none reached done or error.
    expect(declined.length / runs, `declined: ${[...new Set(declined)].join('; ')}`).toBeLessThanOrEqual(0.1);
    expect([...statuses.keys()].sort(), 'final statuses reached').toEqual(['active', 'done', 'error']);
  });

  it('declines, saying why, random machines with a feature it does not support (always, invoke, history, wildcard, nested final, output)', () => {
    fc.assert(
      fc.property(unsupportedMachineArb, ({ machine, feature }) => {
        const compilation = compileMachine(machine.build());
        expect('declined' in compilation ? compilation.declined : 'compiled', 'the reason names the feature').toMatch(NAMED[feature]);
      }),
      { numRuns: 100, ...replay },
    );
  });
});

const amount = fc.integer({ min: 1, max: 300 });
const opening = fc.record({ type: fc.constant('open'), owner: fc.constantFrom('ann', 'bob'), initial: fc.nat({ max: 500 }) });
const depositing = fc.record({ type: fc.constant('deposit'), amount });
const withdrawing = fc.record({ type: fc.constant('withdraw'), amount });
const command = (type: string): fc.Arbitrary<Command> => fc.constant({ type });

interface FixtureCase {
  readonly definition: AggregateDefinition;
  readonly commands: fc.Arbitrary<Command>;
  /** The unsupported feature it has, for a machine the compiler must decline. */
  readonly declines?: Unsupported;
  /** A status some of its sequences must end in, so the case covers it. */
  readonly reaches?: string;
}

/** Every fixture machine, with commands a user of it would send (refused ones included). */
const FIXTURES: Record<string, FixtureCase> = {
  'bank account': {
    definition: account as unknown as AggregateDefinition,
    commands: fc.oneof(opening, depositing, withdrawing, command('close'), command('noop'),
      fc.record({ type: fc.constant('transferIn'), amounts: fc.array(amount, { minLength: 1, maxLength: 3 }) })),
  },
  'account with a deposit guard (check-accounts depositLimit)': {
    definition: depositLimit as unknown as AggregateDefinition,
    commands: fc.oneof(opening, depositing, withdrawing, command('freeze'), command('unfreeze'), command('close')),
  },
  'quirky account whose assigner throws': {
    definition: quirky as unknown as AggregateDefinition,
    commands: fc.oneof(fc.record({ type: fc.constant('open'), initial: fc.nat({ max: 500 }) }),
      { arbitrary: fc.record({ type: fc.constant('deposit'), amount: fc.constantFrom(1, 20, UNLUCKY_AMOUNT) }), weight: 3 }, fc.record({ type: fc.constant('depositThenReopen'), amount })),
    reaches: 'error',
  },
  'order with timers (after: a named delay from context, and a targetless reminder)': {
    definition: order as unknown as AggregateDefinition,
    commands: fc.oneof(fc.record({ type: fc.constant('place'), total: amount, windowMs: fc.constantFrom(60_000, 900_000) }), command('pay'), command('cancel'),
      { arbitrary: fc.record({ type: fc.constant(FIRE), v: fc.nat(3) }), weight: 3 }),
  },
  'anything (wildcard transitions)': {
    definition: anything as unknown as AggregateDefinition,
    commands: fc.record({ type: fc.constant('emit'), events: fc.array(fc.record({ type: fc.constantFrom('A', 'B'), n: fc.nat(9) }), { maxLength: 2 }) }),
    declines: 'wildcard',
  },
};

/**
 * The events the fixture's handlers decide for `commands`, each against the state the previous
 * ones left (XState's): what a stream of this aggregate holds, plus the events its machine refuses.
 */
function decided(definition: AggregateDefinition, commands: readonly Command[]): EventObject[] {
  const actor = xstateSide(definition.machine);
  const events: EventObject[] = [];
  for (const cmd of commands) {
    // A timer firing is not a command: lockstep fires one of the pending timers there.
    if (cmd.type === FIRE) {
      events.push(cmd);
      continue;
    }
    let output: unknown;
    try {
      output = definition.commands[cmd.type]!(cmd, actor.getSnapshot() as never);
    } catch {
      continue; // a business refusal (insufficient funds): no event
    }
    for (const event of [output ?? []].flat() as EventObject[]) {
      actor.send(event);
      events.push(event);
    }
  }
  return events;
}

describe('compiled transitions agree with XState on every fixture machine', () => {
  for (const [name, { definition, commands, declines, reaches = 'active' }] of Object.entries(FIXTURES)) {
    if (declines) {
      it(`declines the ${name}, which has ${declines}`, () => {
        const compilation = compileMachine(definition.machine);
        expect('declined' in compilation ? compilation.declined : 'compiled').toMatch(NAMED[declines]);
      });
      continue;
    }
    it(`on the ${name}, after every event its commands decide`, () => {
      const alphabet = [...new Set(definition.machine.events), UNKNOWN_EVENT].map((type) => ({ type, amount: UNLUCKY_AMOUNT, initial: 1, owner: 'ann' }));
      const probes: Probes = { events: alphabet, tags: [], values: Object.keys(definition.machine.states) };
      const compilation = compileMachine(definition.machine);
      if (!('compiled' in compilation)) expect.fail(`the ${name} was declined: ${compilation.declined}`);
      const statuses = new Set<string>();
      fc.assert(
        fc.property(fc.array(commands, { maxLength: 30 }), fc.nat(), (cmds, cut) => {
          const events = decided(definition, cmds);
          statuses.add(lockstep(definition.machine, events, cut % (events.length + 1), probes, xstateSide, compiledSide(compilation.compiled)));
        }),
        { numRuns: 100, ...replay },
      );
      expect([...statuses], 'final statuses reached').toContain(reaches);
    });
  }
});
