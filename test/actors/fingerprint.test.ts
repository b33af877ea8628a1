// The machine fingerprint sees every edit a snapshot could be misapplied across: the functions
// XState's creators wrap (assign, enqueueActions, guards with params, and/or/not, raise, sendTo,
// log, emit, cancel, spawnChild, stopChild, stateIn), inline config functions, setup()
// implementations and delays; it is stable for identical definitions and never throws on
// non-JSON values. Each pair below differs only in source text: closures over a variable would
// be invisible, which is the one thing `snapshotVersion` exists for.
import { describe, expect, it } from 'vitest';
import {
  and, assign, cancel, createMachine, emit, enqueueActions, log, not, or, raise, sendTo, setup, spawnChild, stateIn, stopChild,
  type AnyStateMachine,
} from 'xstate';
import { machineFingerprint } from '../../actors/fingerprint.js';
import { accountMachine } from '../../fixtures/bank-account.js';
import { tallyingAccount } from '../fixtures/runtime-aggregates.js';

const fp = (machine: AnyStateMachine, snapshotVersion = 0) => machineFingerprint(machine, snapshotVersion);

/** Both builders are stable on their own (built twice: same) and differ from each other. */
function expectEditSeen(before: () => AnyStateMachine, after: () => AnyStateMachine): void {
  expect(fp(before())).toBe(fp(before()));
  expect(fp(after())).toBe(fp(after()));
  expect(fp(before())).not.toBe(fp(after()));
}

type Ctx = { balance: number };
type Ev = { type: 'MoneyDeposited'; amount: number } | { type: 'PING' };
const typed = setup({ types: { context: {} as Ctx, events: {} as Ev } });

/** A machine with `on` in its single state, so each test only writes the part that changes. */
const withTransitions = (on: Record<string, unknown>) =>
  createMachine({ id: 'm', context: { balance: 0 }, initial: 'open', states: { open: { on } } } as never);

describe('machineFingerprint sees edits to', () => {
  it('an assign() assigner, object form', () =>
    expectEditSeen(
      () => typed.createMachine({ context: { balance: 0 }, on: { MoneyDeposited: { actions: assign({ balance: ({ context, event }) => context.balance + event.amount }) } } }),
      () => typed.createMachine({ context: { balance: 0 }, on: { MoneyDeposited: { actions: assign({ balance: ({ context, event }) => context.balance + event.amount * 2 }) } } }),
    ));

  it('an assign() assigner, function form', () =>
    expectEditSeen(
      () => typed.createMachine({ context: { balance: 0 }, on: { MoneyDeposited: { actions: assign(({ context, event }) => ({ balance: context.balance + event.amount })) } } }),
      () => typed.createMachine({ context: { balance: 0 }, on: { MoneyDeposited: { actions: assign(({ context, event }) => ({ balance: context.balance - event.amount })) } } }),
    ));

  it('an assign() with a static value', () =>
    expectEditSeen(() => withTransitions({ PING: { actions: assign({ balance: 1 }) } }), () => withTransitions({ PING: { actions: assign({ balance: 2 }) } })));

  it('the params of a parameterized guard (object and function params)', () => {
    const machine = (params: unknown) =>
      setup({ guards: { atLeast: (_: unknown, p: { min: number }) => p.min > 0 } }).createMachine({ on: { PING: { guard: { type: 'atLeast', params } as never, actions: [] } } });
    expectEditSeen(() => machine({ min: 10 }), () => machine({ min: 20 }));
    expectEditSeen(() => machine(() => ({ min: 10 })), () => machine(() => ({ min: 20 })));
  });

  it('the params of a parameterized action', () => {
    const machine = (params: unknown) =>
      setup({ actions: { add: assign((_: unknown, p: { n: number }) => ({ balance: p.n })) } }).createMachine({ context: { balance: 0 }, on: { PING: { actions: { type: 'add', params } as never } } });
    expectEditSeen(() => machine({ n: 1 }), () => machine({ n: 2 }));
  });

  it('an enqueueActions() body', () =>
    expectEditSeen(
      () => withTransitions({ PING: { actions: enqueueActions(({ enqueue }) => { enqueue.assign({ balance: 1 }); }) } }),
      () => withTransitions({ PING: { actions: enqueueActions(({ enqueue }) => { enqueue.assign({ balance: 2 }); }) } }),
    ));

  it('a named delay in setup({ delays }) and a delay in after', () => {
    expectEditSeen(
      () => setup({ delays: { soon: () => 100 } }).createMachine({ initial: 'a', states: { a: { after: { soon: 'b' } }, b: {} } }),
      () => setup({ delays: { soon: () => 200 } }).createMachine({ initial: 'a', states: { a: { after: { soon: 'b' } }, b: {} } }),
    );
    expectEditSeen(
      () => createMachine({ initial: 'a', states: { a: { after: { 100: 'b' } }, b: {} } }),
      () => createMachine({ initial: 'a', states: { a: { after: { 200: 'b' } }, b: {} } }),
    );
  });

  it('an inline action in the config (transition, entry, exit, always)', () => {
    expectEditSeen(() => withTransitions({ PING: { actions: () => 1 } }), () => withTransitions({ PING: { actions: () => 2 } }));
    expectEditSeen(
      () => createMachine({ initial: 'a', states: { a: { entry: [() => 1], exit: () => 1 } } }),
      () => createMachine({ initial: 'a', states: { a: { entry: [() => 1], exit: () => 2 } } }),
    );
    expectEditSeen(
      () => createMachine({ initial: 'a', states: { a: { always: { guard: () => true, target: 'b' } }, b: {} } }),
      () => createMachine({ initial: 'a', states: { a: { always: { guard: () => false, target: 'b' } }, b: {} } }),
    );
  });

  it('an implementation in setup({ actions }) and setup({ guards })', () => {
    expectEditSeen(
      () => typed.extend({ actions: { bump: assign({ balance: ({ context }) => context.balance + 1 }) } }).createMachine({ context: { balance: 0 }, on: { PING: { actions: 'bump' } } }),
      () => typed.extend({ actions: { bump: assign({ balance: ({ context }) => context.balance + 3 }) } }).createMachine({ context: { balance: 0 }, on: { PING: { actions: 'bump' } } }),
    );
    expectEditSeen(
      () => setup({ actions: { note: () => 'a' } }).createMachine({ on: { PING: { actions: 'note' } } }),
      () => setup({ actions: { note: () => 'b' } }).createMachine({ on: { PING: { actions: 'note' } } }),
    );
    expectEditSeen(
      () => setup({ guards: { ok: () => true } }).createMachine({ on: { PING: { guard: 'ok' } } }),
      () => setup({ guards: { ok: () => false } }).createMachine({ on: { PING: { guard: 'ok' } } }),
    );
  });

  it('guard combinators and/or/not/stateIn', () => {
    expectEditSeen(() => withTransitions({ PING: { guard: and([() => true, 'g']) } }), () => withTransitions({ PING: { guard: and([() => false, 'g']) } }));
    expectEditSeen(() => withTransitions({ PING: { guard: or(['g', 'h']) } }), () => withTransitions({ PING: { guard: or(['g', 'i']) } }));
    expectEditSeen(() => withTransitions({ PING: { guard: not(() => true) } }), () => withTransitions({ PING: { guard: not(() => false) } }));
    expectEditSeen(() => withTransitions({ PING: { guard: and(['g']) } }), () => withTransitions({ PING: { guard: or(['g']) } }));
    expectEditSeen(() => withTransitions({ PING: { guard: stateIn('open') } }), () => withTransitions({ PING: { guard: stateIn('#m.open') } }));
  });

  it('raise, sendTo, log, emit, cancel, spawnChild, stopChild', () => {
    expectEditSeen(() => withTransitions({ PING: { actions: raise({ type: 'A' }) } }), () => withTransitions({ PING: { actions: raise({ type: 'B' }) } }));
    expectEditSeen(() => withTransitions({ PING: { actions: raise(() => ({ type: 'A' })) } }), () => withTransitions({ PING: { actions: raise(() => ({ type: 'B' })) } }));
    expectEditSeen(() => withTransitions({ PING: { actions: raise({ type: 'A' }, { delay: 1 }) } }), () => withTransitions({ PING: { actions: raise({ type: 'A' }, { delay: 2 }) } }));
    expectEditSeen(() => withTransitions({ PING: { actions: sendTo('x', { type: 'A' }) } }), () => withTransitions({ PING: { actions: sendTo('y', { type: 'A' }) } }));
    expectEditSeen(() => withTransitions({ PING: { actions: log('a') } }), () => withTransitions({ PING: { actions: log('a', 'label') } }));
    expectEditSeen(() => withTransitions({ PING: { actions: emit({ type: 'a' }) } }), () => withTransitions({ PING: { actions: emit({ type: 'b' }) } }));
    expectEditSeen(() => withTransitions({ PING: { actions: cancel('t1') } }), () => withTransitions({ PING: { actions: cancel('t2') } }));
    expectEditSeen(() => withTransitions({ PING: { actions: spawnChild('w', { id: 'a' }) } }), () => withTransitions({ PING: { actions: spawnChild('w', { id: 'b' }) } }));
    expectEditSeen(() => withTransitions({ PING: { actions: stopChild('a') } }), () => withTransitions({ PING: { actions: stopChild(() => 'a') } }));
    // Same arguments, other creator: the kind is part of the fingerprint.
    expectEditSeen(() => withTransitions({ PING: { actions: raise({ type: 'A' }) } }), () => withTransitions({ PING: { actions: emit({ type: 'A' }) } }));
  });

  it('the initial context (including BigInt, Map, Set, Date, RegExp) and snapshotVersion', () => {
    const ctx = (context: unknown) => () => createMachine({ context } as never);
    expectEditSeen(ctx({ n: 1n }), ctx({ n: 2n }));
    expectEditSeen(ctx({ n: 1n }), ctx({ n: 1 }));
    expectEditSeen(ctx({ m: new Map([['a', 1]]) }), ctx({ m: new Map([['a', 2]]) }));
    expectEditSeen(ctx({ s: new Set([1]) }), ctx({ s: new Set([1, 2]) }));
    expectEditSeen(ctx({ d: new Date(0) }), ctx({ d: new Date(1) }));
    expectEditSeen(ctx({ r: /a/g }), ctx({ r: /a/i }));
    expectEditSeen(ctx({ u: undefined }), ctx({}));
    expectEditSeen(ctx({ x: null }), ctx({ x: undefined }));
    expectEditSeen(ctx({ x: '1' }), ctx({ x: 1 }));
    expectEditSeen(ctx({ x: 0 }), ctx({ x: -0 }));
    expectEditSeen(ctx(() => ({ n: 1 })), ctx(() => ({ n: 2 })));
    expect(fp(accountMachine, 0)).not.toBe(fp(accountMachine, 1));
  });

  it('the tallying account of the runtime tests', () => {
    expect(fp(tallyingAccount().machine)).not.toBe(fp(accountMachine));
  });
});

describe('machineFingerprint is stable and total', () => {
  it('identical machines built twice have the same fingerprint', () => {
    const build = () =>
      setup({ types: { context: {} as Ctx, events: {} as Ev }, actions: { log: () => undefined }, guards: { positive: ({ event }) => event.type === 'PING' } }).createMachine({
        id: 'twice',
        context: { balance: 0 },
        initial: 'open',
        states: {
          open: {
            entry: 'log',
            on: {
              MoneyDeposited: { guard: and(['positive', not(stateIn('closed'))]), actions: [assign({ balance: ({ context, event }) => context.balance + event.amount }), 'log'] },
              PING: { actions: enqueueActions(({ enqueue }) => enqueue.raise({ type: 'PING' })), target: 'closed' },
            },
          },
          closed: { type: 'final' },
        },
      });
    expect(fp(build())).toBe(fp(build()));
    expect(fp(build())).toMatch(/^[0-9a-f]{32}$/);
  });

  it('ignores the insertion order of object keys (config and context)', () => {
    const a = createMachine({ id: 'k', context: { a: 1, b: { c: 2, d: 3 } }, initial: 's', states: { s: {}, t: {} } });
    const b = createMachine({ states: { t: {}, s: {} }, initial: 's', context: { b: { d: 3, c: 2 }, a: 1 }, id: 'k' });
    expect(fp(a)).toBe(fp(b));
  });

  it('does not throw on a BigInt in context (JSON.stringify would)', () => {
    const machine = createMachine({ context: { cents: 10n ** 30n } as Record<string, unknown> });
    expect(() => JSON.stringify(machine.config)).toThrow(TypeError);
    expect(() => fp(machine)).not.toThrow();
  });

  it('does not throw on cycles, symbols, typed arrays, sparse arrays or throwing getters', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const tricky = {
      cyclic,
      shared: [cyclic, cyclic],
      sym: Symbol('s'),
      registered: Symbol.for('r'),
      [Symbol('key')]: 1,
      bytes: new Uint8Array([1, 2, 3]),
      sparse: [1, , 3], // eslint-disable-line no-sparse-arrays
      nullProto: Object.assign(Object.create(null) as object, { a: 1 }),
      get boom(): never {
        throw new Error('getter');
      },
    };
    const machine = createMachine({ context: tricky as Record<string, unknown> });
    expect(() => fp(machine)).not.toThrow();
    expect(fp(machine)).toBe(fp(machine));
    // A cyclic function (a wrapper pointing back at itself) is fine too.
    const fn = Object.assign(() => 1, { me: undefined as unknown });
    fn.me = fn;
    expect(() => fp(createMachine({ entry: fn }))).not.toThrow();
  });

  it('cannot see what a function closes over: that needs a snapshotVersion bump', () => {
    const build = (k: number) => typed.createMachine({ context: { balance: 0 }, on: { MoneyDeposited: { actions: assign({ balance: ({ context, event }) => context.balance + event.amount * k }) } } });
    expect(fp(build(1))).toBe(fp(build(2))); // same source text, different behaviour
    expect(fp(build(1), 0)).not.toBe(fp(build(2), 1)); // the escape hatch
  });
});
