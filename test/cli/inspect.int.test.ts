// `rehydra inspect` as users run it: the built CLI in a child process against a data directory
// written by the real runtime (closed, and once while its writer is still open).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineProjection } from '../../runtime/index.js';
import { account } from '../../fixtures/bank-account.js';
import { balancesProjectionUrl } from '../../fixtures/bank-events.js';
import { rehydra } from '../fixtures/cli-kit.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const accountModule = join(root, 'dist', 'fixtures', 'bank-account.js');
const balances = defineProjection({ name: 'balances', module: balancesProjectionUrl() });
const DEPOSITS = 120;

async function json<T>(...args: string[]): Promise<T> {
  const run = await rehydra(...args, '--json');
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(run.stdout) as T;
}

const harness = new RuntimeHarness();
let dir: string;

beforeAll(async () => {
  dir = harness.dir();
  const runtime = await harness.open({ path: dir, aggregates: [account], projections: [balances], workers: 1 });
  await runtime.send('account', 'a-1', { type: 'open', owner: 'ada', initial: 10 });
  for (let i = 0; i < DEPOSITS; i++) await runtime.send('account', 'a-1', { type: 'deposit', amount: 1 });
  await runtime.send('account', 'b-2', { type: 'open', owner: 'bob', initial: 0 });
  const last = await runtime.send('account', 'b-2', { type: 'deposit', amount: 5 });
  await runtime.projection('balances').waitFor(last.position);
  await harness.close(runtime);
});

afterAll(() => harness.cleanup());

describe('rehydra inspect on a closed data directory', () => {
  it('lists streams for people and for scripts', async () => {
    const text = await rehydra('inspect', dir, 'streams');
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^TYPE\s+ID\s+VERSION\s+POSITION$/);
    expect(text.stdout).toMatch(/account\s+a-1\s+121\s+121/);
    const { streams } = await json<{ streams: unknown[] }>('inspect', dir, 'streams', '--type', 'account');
    expect(streams).toEqual([
      { type: 'account', id: 'a-1', version: 121, position: 121 },
      { type: 'account', id: 'b-2', version: 2, position: 123 },
    ]);
    expect((await json<{ streams: unknown[] }>('inspect', dir, 'streams', '--type', 'other')).streams).toEqual([]);
  });

  it('prints one stream from a version', async () => {
    const { events } = await json<{ events: { version: number; position: number; type: string; data: unknown; time: string }[] }>(
      'inspect', dir, 'events', 'account', 'b-2', '--from', '2',
    );
    expect(events.map(({ version, position, type, data }) => ({ version, position, type, data }))).toEqual([
      { version: 2, position: 123, type: 'MoneyDeposited', data: { amount: 5 } },
    ]);
    expect(new Date(events[0]!.time).toISOString()).toBe(events[0]!.time);
    const text = await rehydra('inspect', dir, 'events', 'account', 'b-2');
    expect(text.stdout).toMatch(/122\s+account\/b-2\s+1\s+AccountOpened\s+\S+Z\s+\{"owner":"bob","initial":0\}/);
  });

  it('shows the stored snapshot and the events after it without aggregate code', async () => {
    const { state } = await json<{ state: { mode: string; version: number; snapshot: { version: number; value: unknown; context: { balance: number } }; events: { version: number }[] } }>(
      'inspect', dir, 'state', 'account', 'a-1',
    );
    expect(state.mode).toBe('stored');
    expect(state.version).toBe(121);
    expect(state.snapshot.value).toBe('open');
    // The snapshot's balance plus the deposits after it is the whole history: 10 + 120.
    expect(state.snapshot.context.balance + state.events.length).toBe(10 + DEPOSITS);
    expect(state.events.map((event) => event.version)).toEqual(
      Array.from({ length: 121 - state.snapshot.version }, (_, i) => state.snapshot.version + 1 + i),
    );
    const text = await rehydra('inspect', dir, 'state', 'account', 'a-1');
    expect(text.stdout).toContain(`snapshot at version ${state.snapshot.version}`);
  });

  it('computes the state with the aggregate module, also as of a version', async () => {
    const current = await json<{ state: unknown }>('inspect', dir, 'state', 'account', 'a-1', '--module', accountModule);
    expect(current.state).toMatchObject({ mode: 'computed', version: 121, value: 'open', context: { balance: 10 + DEPOSITS, owner: 'ada' } });
    const past = await json<{ state: unknown }>('inspect', dir, 'state', 'account', 'a-1', '--module', accountModule, '--version', '50');
    expect(past.state).toMatchObject({ mode: 'computed', version: 50, context: { balance: 10 + 49 } });
    const text = await rehydra('inspect', dir, 'state', 'account', 'b-2', '--module', accountModule);
    expect(text.stdout).toContain('context  {"balance":5,"owner":"bob"}');
  });

  it('pages through the global log', async () => {
    const { events } = await json<{ events: { position: number; aggregateId: string; type: string }[] }>(
      'inspect', dir, 'log', '--from', '121', '--limit', '2',
    );
    expect(events.map(({ position, aggregateId, type }) => [position, aggregateId, type])).toEqual([
      [121, 'a-1', 'MoneyDeposited'],
      [122, 'b-2', 'AccountOpened'],
    ]);
  });

  it('reports projection checkpoints and lag', async () => {
    const report = await json<{ head: number; projections: unknown[] }>('inspect', dir, 'projections');
    expect(report).toEqual({
      command: 'projections', head: 123,
      projections: [{ name: 'balances', generation: expect.any(Number), position: 123, lag: 0, partitions: [{ partition: 0, position: 123, lag: 0 }] }],
    });
  });

  it.each([
    [['inspect', 'NOPE', 'streams'], 'NOPE does not exist: pass a rehydra data directory'],
    [['inspect', 'DIR', 'frob'], 'unknown inspect command "frob"'],
    [['inspect', 'DIR', 'events', 'account'], 'events needs <type> <id> (missing <id>)'],
    [['inspect', 'DIR', 'streams', '--frob'], 'unknown option --frob: expected one of --type, --from, --limit, --version'],
    [['inspect', 'DIR', 'state', 'account', 'a-1', '--version', 'abc'], '--version must be an integer of at least 0 (got "abc")'],
    [['inspect', 'DIR', 'state', 'account', 'a-1', '--version'], '--version expects a stream version, e.g. --version 3'],
    [['inspect', 'DIR', 'log', '--json=yes'], '--json takes no value (got "yes")'],
  ])('exits 2 with one line naming what is wrong for %j', async (args, message) => {
    const nope = join(dir, 'nope');
    const run = await rehydra(...args.map((arg) => (arg === 'DIR' ? dir : arg === 'NOPE' ? nope : arg)));
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr.startsWith(`rehydra: ${message.replace('NOPE', nope)}`)).toBe(true);
    expect(run.stderr).toMatch(/^rehydra: [^\n]+ \(see rehydra inspect --help\)\n$/);
  });

  it('exits 1 with one line when the command fails: not a data directory, a stream without events', async () => {
    const foreign = join(harness.dir(), 'empty');
    mkdirSync(foreign);
    const notData = await rehydra('inspect', foreign, 'streams');
    expect(notData).toMatchObject({ code: 1, stdout: '' });
    expect(notData.stderr).toContain('is not a rehydra data directory');
    const noEvents = await rehydra('inspect', dir, 'events', 'account', 'zz');
    expect(noEvents).toMatchObject({ code: 1, stdout: '', stderr: `rehydra: stream account/zz has no events in ${dir}: list them with "streams"\n` });
  });

  it('refuses a --version past the head with the message runtime.state gives, stored or computed', async () => {
    const runtime = await harness.open({ path: dir, aggregates: [account] });
    const api = await runtime.state('account', 'a-1', { version: 122 }).then(() => undefined, (error: unknown) => error);
    await harness.close(runtime);
    expect(api).toEqual(new RangeError('account/a-1 is at version 121, so it has no version 122: ask for a version from 0 to 121'));
    for (const extra of [[], ['--module', accountModule]]) {
      const run = await rehydra('inspect', dir, 'state', 'account', 'a-1', '--version', '122', ...extra);
      expect(run).toEqual({ code: 1, stdout: '', stderr: `rehydra: ${(api as Error).message}\n` });
    }
  });
});

describe('rehydra inspect while a runtime writes', () => {
  it('reads the data directory read-only without taking the writer lock', async () => {
    const live = harness.dir();
    const runtime = await harness.open({ path: live, aggregates: [account] });
    await runtime.send('account', 'c-3', { type: 'open', owner: 'cy', initial: 7 });
    const { streams } = await json<{ streams: unknown[] }>('inspect', live, 'streams');
    expect(streams).toEqual([{ type: 'account', id: 'c-3', version: 1, position: 1 }]);
    // The writer still works after the inspection.
    await expect(runtime.send('account', 'c-3', { type: 'deposit', amount: 1 })).resolves.toMatchObject({ version: 2 });
    const { events } = await json<{ events: unknown[] }>('inspect', live, 'log');
    expect(events).toHaveLength(2);
    await harness.close(runtime);
  });
});
