// Hostile and unlucky input through the public API, class by class, on a real LMDB: each is
// either kept exactly or refused with a typed error naming what was wrong; after each refusal the
// earlier data is intact (state, stream, log), the runtime still serves, and a restart reads
// everything back as it was.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidCommandError } from '../../actors/errors.js';
import { EncodingError, SizeLimitError } from '../../storage/errors.js';
import { isWellFormed } from '../../storage/storable.js';
import { account } from '../../fixtures/bank-account.js';
import { Seeded, emit, subscribeUntil } from '../fixtures/adversarial-kit.js';
import { expectError } from '../fixtures/refusals.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < depth; i++) value = { inner: value };
  return value;
}

describe('event types named like Object.prototype members', () => {
  const TYPES = ['valueOf', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__', 'toLocaleString'];

  it('are stored and read back on every path: readStream, readAll, subscribe, state after a restart', async () => {
    const seed = await Seeded.open(harness);
    const result = await seed.runtime.send('anything', 'proto', emit(...TYPES.map((type, n) => ({ type, n }))));
    expect(result.events.map((e) => e.type)).toEqual(TYPES);
    expect([...seed.runtime.readStream('anything', 'proto')].map((e) => [e.type, e.data.n])).toEqual(TYPES.map((type, n) => [type, n]));
    const delivered = await subscribeUntil(seed.runtime, result.position);
    expect(delivered.slice(-TYPES.length).map((e) => e.type)).toEqual(TYPES);
    const runtime = await seed.expectServesAndRestarts();
    expect(await runtime.state('anything', 'proto')).toMatchObject({ version: TYPES.length, context: { types: TYPES } });
  });
});

describe("XState's own events cannot be persisted by a handler", () => {
  it.each(['xstate.stop', 'xstate.init', 'xstate.error.actor.0.x', 'xstate.done.actor.child', 'xstate.after.10.x.live', ''])(
    'refuses %j with InvalidCommandError, alone or after a legal event; the aggregate still serves',
    async (type) => {
      const seed = await Seeded.open(harness);
      for (const events of [[{ type }], [{ type: 'Fine' }, { type }]]) {
        await seed.expectRefusedWithoutTrace(['anything', 'x-1'], () => seed.runtime.send('anything', 'x-1', emit(...events)), (error) =>
          expectError(error, InvalidCommandError, 'ERR_INVALID_COMMAND', 'anything/x-1', `handler "emit" returned event type ${JSON.stringify(type)}`));
      }
      expect((await seed.runtime.send('anything', 'x-1', emit({ type: 'After' }))).version).toBe(2);
      const runtime = await seed.expectServesAndRestarts();
      expect(await runtime.state('anything', 'x-1')).toMatchObject({ value: 'live', context: { count: 2, types: ['Seeded', 'After'] } });
    },
  );
});

describe('ids, types and command ids: well-formed UTF-16 or refused', () => {
  it('refuses a lone surrogate wherever a caller passes a string, naming the field', async () => {
    const seed = await Seeded.open(harness);
    const { runtime } = seed;
    const deposit = { type: 'deposit', amount: 1 };
    const refusals: Array<[() => Promise<unknown>, string]> = [
      [() => runtime.send('account', 'a\uD800', deposit), 'the aggregate id holds a lone surrogate'],
      [() => runtime.send('account', '\uDC00', deposit), 'the aggregate id holds a lone surrogate'],
      [() => runtime.state('account', 'a\uD800'), 'the aggregate id holds a lone surrogate'],
      [() => runtime.send('account', 'a-1', deposit, { commandId: 'c\uD800' }), 'options.commandId holds a lone surrogate'],
      [() => runtime.send('account', 'a-1', deposit, { correlationId: '\uDBFF' }), 'options.correlationId holds a lone surrogate'],
      [() => runtime.send('account', 'a-1', deposit, { causationId: 'x\uDFFFy' }), 'options.causationId holds a lone surrogate'],
      [() => runtime.send('account', 'a-1', deposit, { metadata: { user: 'u\uD800' } }), 'options.metadata.user is a string holding a lone surrogate'],
      [() => runtime.send('anything', 'x-1', emit({ type: 'Bad\uD800' })), 'returned event type "Bad\\ud800"'],
    ];
    for (const [attempt, fragment] of refusals) {
      await seed.expectRefusedWithoutTrace(['account', 'a-1'], attempt, (error) => expectError(error, InvalidCommandError, 'ERR_INVALID_COMMAND', fragment));
    }
    expect(() => runtime.readStream('account', '\uD800')).toThrow(InvalidCommandError);
    await seed.expectServesAndRestarts();
  });

  it('property: any string as aggregate id and commandId is refused with InvalidCommandError or reads back exactly after a restart', async () => {
    const idArb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 10 }),
      fc.string({ unit: 'binary-ascii', maxLength: 10 }),
      fc.constantFrom('\uD800', 'a\uDBFFb', '\uDC00\uD800', '\u0000', 'a\u0000b', 'x'.repeat(513), 'é'.repeat(256)),
    );
    await fc.assert(fc.asyncProperty(fc.uniqueArray(idArb, { minLength: 1, maxLength: 10 }), async (ids) => {
      const path = harness.dir();
      let runtime = await harness.open({ path, aggregates: [account] });
      const accepted: Array<[id: string, initial: number]> = [];
      for (const [initial, id] of ids.entries()) {
        const outcome = await runtime.send('account', id, { type: 'open', owner: id, initial }, { commandId: id }).catch((error: unknown) => error);
        if (id.length > 0 && isWellFormed(id) && Buffer.byteLength(id) <= 512) {
          expect(outcome, JSON.stringify(id)).toMatchObject({ version: 1 });
          accepted.push([id, initial]);
        } else {
          expectError(outcome, InvalidCommandError, 'ERR_INVALID_COMMAND');
        }
      }
      await harness.close(runtime);
      runtime = await harness.open({ path, aggregates: [account] });
      expect([...runtime.readAll()].map((e) => [e.aggregateId, e.data.owner, e.metadata.commandId])).toEqual(accepted.map(([id]) => [id, id, id]));
      for (const [id, initial] of accepted) {
        expect(await runtime.state('account', id)).toEqual({ value: 'open', context: { balance: initial, owner: id }, version: 1 });
        // The ledger finds the command by id again: the first result, the handler not run twice.
        expect(await runtime.send('account', id, { type: 'open', owner: 'other', initial: -1 }, { commandId: id })).toMatchObject({ version: 1, position: accepted.findIndex(([other]) => other === id) + 1 });
      }
      await harness.close(runtime);
    }), { numRuns: 12 });
  });
});

describe('values the codec would change: refused, naming stream, event type and path', () => {
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const cases: Array<[string, unknown, string]> = [
    ['a Set', new Set([1, 2]), 'data.value is a Set, which would read back as an array'],
    ['a class instance', new (class Money { cents = 5 })(), 'data.value is an instance of Money'],
    ['a RegExp', /a/g, 'data.value is an instance of RegExp'],
    ['an Error', new Error('boom'), 'data.value is an instance of Error'],
    ['a boxed number', Object(3), 'data.value is an instance of Number'],
    ['a Float64Array', new Float64Array([1.5]), 'data.value is an instance of Float64Array'],
    ['-0', -0, 'data.value is -0, which would read back as 0'],
    ['a hole in an array', [1, , 3], 'data.value[1] is a hole in a sparse array'],
    ['an own __proto__ key', JSON.parse('{"__proto__": {"admin": true}}'), 'data.value has an own "__proto__" key'],
    ['a key with a lone surrogate', { '\uD800': 1 }, 'data.value["\\ud800"] is a key holding a lone surrogate'],
    ['a string with a lone surrogate', ['ok', 'a\uDC00'], 'data.value[1] is a string holding a lone surrogate'],
    ['a cycle', cyclic, 'data.value.self refers back to an object that contains it'],
    ['a BigInt over 64 bits', 2n ** 70n, 'data.value is a BigInt outside 64 bits'],
    ['a function', () => 1, 'data.value is a function'],
    ['a symbol', Symbol('s'), 'data.value is a symbol'],
    ['a Set inside a Map', new Map([['k', { tags: new Set() }]]), 'data.value.get("k").tags is a Set'],
    ['nesting past 64 levels', nested(70), 'is nested deeper than 64 levels'],
  ];

  it.each(cases)('%s: EncodingError; actor, stream and log unchanged', async (_what, value, fragment) => {
    const seed = await Seeded.open(harness);
    await seed.expectRefusedWithoutTrace(['anything', 'x-1'], () => seed.runtime.send('anything', 'x-1', emit({ type: 'Fine' }, { type: 'Stored', value })),
      (error) => expectError(error, EncodingError, 'ERR_ENCODING', 'anything/x-1: event "Stored" cannot be encoded', fragment));
    await seed.expectServesAndRestarts();
  });

  it('keeps exactly what it accepts: Map, Date, BigInt, NaN, ±Infinity, undefined, Buffer, keys named like Object.prototype members', async () => {
    const seed = await Seeded.open(harness);
    const value = {
      map: new Map<unknown, unknown>([[1, 'one'], ['k', { at: new Date(5) }]]), date: new Date(1_700_000_000_123), big: 2n ** 63n, small: -(2n ** 63n),
      nan: NaN, inf: Infinity, ninf: -Infinity, undef: undefined, list: [undefined, null, 0], bytes: Buffer.from([1, 2, 3]),
      constructor: 'c', toString: 't', valueOf: 1, hasOwnProperty: true, deep: nested(60), text: 'é😀\u0000',
    };
    await seed.runtime.send('anything', 'x-1', emit({ type: 'Stored', value, bare: Object.assign(Object.create(null) as object, { k: 1 }) }));
    const runtime = await seed.expectServesAndRestarts();
    const [, stored] = [...runtime.readStream('anything', 'x-1')];
    expect(stored!.data.value).toStrictEqual(value);
    // A null-prototype object reads back as a plain one with the same keys (documented).
    expect(stored!.data.bare).toStrictEqual({ k: 1 });
    expect((await runtime.state('anything', 'x-1')).context).toStrictEqual({ count: 2, types: ['Seeded', 'Stored'], last: { value, bare: { k: 1 } } });
  });

  it('refuses caller metadata the codec would change, naming the option; keeps other keys exactly', async () => {
    const seed = await Seeded.open(harness);
    const deposit = { type: 'deposit', amount: 1 };
    const refusals: Array<[Record<string, unknown>, string]> = [
      [JSON.parse('{"__proto__": {"admin": true}}'), 'options.metadata has an own "__proto__" key'],
      [{ tags: new Set(['a']) }, 'options.metadata.tags is a Set'],
      [{ when: -0 }, 'options.metadata.when is -0'],
    ];
    for (const [metadata, fragment] of refusals) {
      await seed.expectRefusedWithoutTrace(['account', 'a-1'], () => seed.runtime.send('account', 'a-1', deposit, { metadata }),
        (error) => expectError(error, InvalidCommandError, 'ERR_INVALID_COMMAND', 'account/a-1', fragment));
    }
    const metadata = { constructor: 'c', toString: 't', valueOf: 1, userId: 'u-7' };
    await seed.runtime.send('account', 'a-1', deposit, { metadata });
    const runtime = await seed.expectServesAndRestarts();
    const stored = [...runtime.readStream('account', 'a-1')][2]!.metadata;
    expect(stored).toMatchObject(metadata);
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
  });

  it('writes no snapshot of a context the codec would change: after a restart the state equals the live one', async () => {
    const seed = await Seeded.open(harness);
    for (const tag of ['a', 'b', 'a', 'c']) await seed.runtime.send('tagged', 't-1', { type: 'tag', tag });
    expect((await seed.runtime.state('tagged', 't-1')).context).toEqual({ tags: new Set(['a', 'b', 'c']) });
    await seed.runtime.send('anything', 'x-1', emit({ type: 'Second' }));
    // anything (snapshotEvery 2) wrote its snapshot; tagged (snapshotEvery 1) wrote none of its four.
    await vi.waitFor(() => expect(seed.runtime.metrics().snapshotsWritten).toBe(1));
    const runtime = await seed.expectServesAndRestarts();
    expect((await runtime.state('tagged', 't-1')).context).toEqual({ tags: new Set(['a', 'b', 'c']) });
  });

  it('refuses an event over maxEventBytes (SizeLimitError): none of its command is stored', async () => {
    const seed = await Seeded.open(harness, { maxEventBytes: 4096 });
    await seed.expectRefusedWithoutTrace(['anything', 'x-1'],
      () => seed.runtime.send('anything', 'x-1', emit({ type: 'Small' }, { type: 'Huge', blob: 'x'.repeat(5000) })),
      (error) => expectError(error, SizeLimitError, 'ERR_SIZE_LIMIT', 'event "Huge" of anything/x-1 at version 3', 'over the limit of 4096 bytes'));
    await seed.expectServesAndRestarts();
  });
});
