// checkStreams against streams the real runtime wrote with one machine (test/fixtures/check-accounts.ts),
// checked with edits of it: results compared by value, on a real LMDB directory opened read-only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayError } from '../../actors/errors.js';
import { checkStreams, type CheckProgress, type CheckResult } from '../../runtime/index.js';
import {
  accountV1, assignerEdited, depositLimit, frozenAsFlag, note, renamedDeposit, renamedWithUpcaster, throwingUpcaster, withoutClose,
  withoutFrozen, misdirectedUpcaster, writeAccounts,
} from '../fixtures/check-accounts.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const harness = new RuntimeHarness();
let dir: string;

beforeAll(async () => {
  dir = harness.dir();
  const runtime = await harness.open({ path: dir, aggregates: [accountV1] });
  await writeAccounts(runtime);
  await harness.close(runtime);
});

afterAll(() => harness.cleanup());

/** What a check reports for `id` refused at `version`: the stored event type, the state it met, ReplayError's message. */
function refused(id: string, version: number, eventType: string, state: unknown, replayedType = eventType) {
  const error = new ReplayError(`account/${id}`, version, replayedType, state).message;
  return { aggregateType: 'account', aggregateId: id, version, eventType, state, error };
}

/** A passing result over the five streams, with `staleSnapshots` stale. */
function passing(staleSnapshots: number, more: Partial<CheckResult> = {}): CheckResult {
  return { streams: 5, failed: [], staleSnapshots, unknownStates: [], unchecked: [], ...more };
}

describe('checkStreams', () => {
  it('passes every stream through the machine that wrote them, with no stale snapshot', async () => {
    expect(await checkStreams({ path: dir, aggregates: [accountV1] })).toEqual(passing(0));
  });

  it.each([
    ['a removed transition', withoutClose, [refused('a-2', 3, 'AccountClosed', 'open')]],
    ['a guard that now refuses a stored event', depositLimit, [refused('a-2', 2, 'MoneyDeposited', 'open')]],
  ])('reports exactly the streams %s strands, where and in which state', async (_, edited, failed) => {
    expect(await checkStreams({ path: dir, aggregates: [edited] })).toEqual(passing(4, { failed }));
  });

  it('counts the snapshots an edited assigner invalidates, while every stream still replays', async () => {
    expect(await checkStreams({ path: dir, aggregates: [assignerEdited] })).toEqual(passing(4));
  });

  it('reports a renamed event until an upcaster maps the stored type, then passes', async () => {
    const stranded = [refused('a-1', 2, 'MoneyDeposited', 'open'), refused('a-2', 2, 'MoneyDeposited', 'open'), refused('a-4', 4, 'MoneyDeposited', 'open')];
    expect(await checkStreams({ path: dir, aggregates: [renamedDeposit] })).toEqual(passing(4, { failed: stranded }));
    expect(await checkStreams({ path: dir, aggregates: [renamedWithUpcaster] })).toEqual(passing(4));
  });

  it('names the stored event type when the upcast one is refused, and the upcast one in the error', async () => {
    const failed = ['a-1', 'a-2', 'a-4'].map((id) => refused(id, id === 'a-4' ? 4 : 2, 'MoneyDeposited', 'open', 'FundsDeposited'));
    expect(await checkStreams({ path: dir, aggregates: [misdirectedUpcaster] })).toEqual(passing(0, { failed }));
  });

  it('reports an upcaster that throws, even where a snapshot with a matching fingerprint covers the event', async () => {
    const failed = ['a-3', 'a-4'].map((aggregateId) => ({
      aggregateType: 'account', aggregateId, version: 2, eventType: 'AccountFrozen', state: 'open', error: 'frozen accounts cannot be read',
    }));
    expect(await checkStreams({ path: dir, aggregates: [throwingUpcaster] })).toEqual(passing(0, { failed }));
  });

  it('reports a snapshot in a removed state, whether the events into it are refused or now land elsewhere', async () => {
    const inFrozen = [{ aggregateType: 'account', aggregateId: 'a-3', version: 2, state: 'frozen', missing: 'frozen' }];
    expect(await checkStreams({ path: dir, aggregates: [withoutFrozen] })).toEqual(passing(4, {
      failed: [refused('a-3', 2, 'AccountFrozen', 'open'), refused('a-4', 2, 'AccountFrozen', 'open')],
      unknownStates: inFrozen,
    }));
    expect(await checkStreams({ path: dir, aggregates: [frozenAsFlag] })).toEqual(passing(4, { unknownStates: inFrozen }));
  });

  it('checks only named types and streams, each stream once', async () => {
    const named = await checkStreams({
      path: dir, aggregates: [withoutClose], streams: [{ type: 'account', id: 'a-2' }, { type: 'account', id: 'a-5' }, { type: 'account', id: 'a-2' }],
    });
    expect(named).toEqual({ streams: 2, failed: [refused('a-2', 3, 'AccountClosed', 'open')], staleSnapshots: 1, unknownStates: [], unchecked: [] });
    const byType = await checkStreams({ path: dir, aggregates: [withoutClose], types: ['account'], streams: [{ type: 'account', id: 'a-2' }] });
    expect(byType).toEqual(passing(4, { failed: [refused('a-2', 3, 'AccountClosed', 'open')] }));
  });

  it('replays a random sample of the requested size, in stream order', async () => {
    const stranded = new Map(['a-1', 'a-2', 'a-4'].map((id) => [id, refused(id, id === 'a-4' ? 4 : 2, 'MoneyDeposited', 'open')]));
    const picked = new Set<string>();
    for (let round = 0; round < 30; round++) {
      const { streams, failed } = await checkStreams({ path: dir, aggregates: [renamedDeposit], sample: 1 });
      expect(streams).toBe(1);
      for (const failure of failed) expect(failure).toEqual(stranded.get(failure.aggregateId));
      picked.add(failed.length === 0 ? 'a passing stream' : failed[0]!.aggregateId);
    }
    // 30 draws of 1 in 5: all alike has a chance of about 2e-7.
    expect(picked.size).toBeGreaterThan(1);
    const most = await checkStreams({ path: dir, aggregates: [renamedDeposit], sample: 4 });
    expect(most.streams).toBe(4);
    expect(most.failed.map((f) => f.aggregateId)).toEqual([...most.failed.map((f) => f.aggregateId)].sort());
    expect(await checkStreams({ path: dir, aggregates: [renamedDeposit], sample: 50 })).toEqual(passing(4, { failed: [...stranded.values()] }));
  });

  it('reports progress after every stream', async () => {
    const seen: CheckProgress[] = [];
    await checkStreams({ path: dir, aggregates: [withoutClose], onProgress: (progress) => seen.push(progress) });
    expect(seen).toEqual([
      { checked: 1, total: 5, failed: 0 }, { checked: 2, total: 5, failed: 1 }, { checked: 3, total: 5, failed: 1 },
      { checked: 4, total: 5, failed: 1 }, { checked: 5, total: 5, failed: 1 },
    ]);
  });

  it('refuses bad options naming the field, before opening anything', async () => {
    await expect(checkStreams({ path: dir, aggregates: [accountV1], sample: 0 })).rejects.toThrow(new RangeError('options.sample must be an integer ≥ 1 (got 0)'));
    await expect(checkStreams({ path: dir, aggregates: [] })).rejects.toThrow(/^options\.aggregates must be a non-empty array/);
    await expect(checkStreams({ path: dir, aggregates: [accountV1], types: ['note'] })).rejects.toThrow(/^options\.types\[0\] must be the type of an aggregate in options\.aggregates \(got "note"; known: account\)$/);
    await expect(checkStreams({ path: dir, aggregates: [accountV1], streams: [{ type: 'note', id: 'n-1' }] })).rejects.toThrow(TypeError);
    await expect(checkStreams({ path: dir, aggregates: [accountV1], typo: 1 } as never)).rejects.toThrow(/^options\.typo is not a checkStreams option/);
    await expect(checkStreams({ path: dir, aggregates: [accountV1], streams: [{ type: 'account', id: 'zz' }] })).rejects.toThrow(new RangeError(`stream account/zz has no events in ${dir}`));
  });
});

describe('checkStreams and aggregate types it has no definition for', () => {
  it('reports their streams as unchecked instead of skipping them silently', async () => {
    const mixed = harness.dir();
    const runtime = await harness.open({ path: mixed, aggregates: [accountV1, note] });
    await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 1 });
    for (const id of ['n-1', 'n-2']) await runtime.send('note', id, { type: 'write', text: id });
    await harness.close(runtime);
    expect(await checkStreams({ path: mixed, aggregates: [accountV1] })).toEqual({
      streams: 1, failed: [], staleSnapshots: 0, unknownStates: [], unchecked: [{ aggregateType: 'note', streams: 2 }],
    });
    expect(await checkStreams({ path: mixed, aggregates: [accountV1], types: ['account'] })).toMatchObject({ streams: 1, unchecked: [] });
    expect(await checkStreams({ path: mixed, aggregates: [accountV1, note] })).toMatchObject({ streams: 3, unchecked: [] });
  });
});

describe('checkStreams beside a running writer in the same process', () => {
  it('reads while commands are in flight, and leaves the writer acknowledging, reading and closing as before', async () => {
    const live = harness.dir();
    // The writer opens first: lmdb-js keeps the flags of a path's first open in a process.
    const runtime = await harness.open({ path: live, aggregates: [accountV1] });
    await writeAccounts(runtime);
    const inFlight = Array.from({ length: 50 }, () => runtime.send('account', 'a-1', { type: 'deposit', amount: 1 }));
    expect(await checkStreams({ path: live, aggregates: [withoutClose] })).toEqual(passing(4, { failed: [refused('a-2', 3, 'AccountClosed', 'open')] }));
    expect((await Promise.all(inFlight)).map((sent) => sent.version)).toEqual(Array.from({ length: 50 }, (_, i) => 5 + i));
    // The check closed its read-only log; the writer's environment and lock are still its own.
    await expect(runtime.send('account', 'a-6', { type: 'open', owner: 'a-6', initial: 1 })).resolves.toMatchObject({ version: 1 });
    expect(await runtime.state('account', 'a-1')).toMatchObject({ value: 'open', context: { balance: 125 + 50 }, version: 54 });
    await harness.close(runtime);
    expect(await checkStreams({ path: live, aggregates: [accountV1] })).toEqual({ ...passing(0), streams: 6 });
  });
});
