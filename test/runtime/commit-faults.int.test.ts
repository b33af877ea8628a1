// Faults at each level of a group commit, injected through the log's internal seams into a real
// runtime on a temp LMDB: a guard that cannot match, a put that throws inside the block, a commit
// written and then reported failed, a failed fsync wait. For each: every command not durable
// rejects with PersistenceError whose `written` says whether its events are in the file, nothing
// acknowledged is lost, no stream forks (one event per version), a retry with the same commandId
// never applies a written command twice, the next command succeeds, and close() resolves.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EncodingError, PersistenceError } from '../../storage/errors.js';
import { resolveOptions } from '../../runtime/options.js';
import { startRuntime } from '../../runtime/runtime.js';
import type { Runtime } from '../../runtime/types.js';
import { openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import type { StoredEvent } from '../../storage/event-log.js';
import { account } from '../../fixtures/bank-account.js';
import { power } from '../fixtures/runtime-aggregates.js';
import { RuntimeHarness, foldAccount } from '../fixtures/runtime-kit.js';
import { COMMIT_FAULTS, armableFault, type FaultSeam } from '../fixtures/commit-faults.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

/** A runtime whose log fails the next block (or, for puts, the third put of it) once `arm()` is called. */
async function faultyRuntime(seam: FaultSeam): Promise<{ runtime: Runtime; path: string; arm: () => void }> {
  const path = harness.dir();
  const { seams, arm } = armableFault(seam);
  const log = openLmdbEventLog({ path, ...seams });
  const runtime = harness.track(await startRuntime(resolveOptions({ path, aggregates: [account] }), log));
  await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 100 });
  await runtime.send('account', 'a-2', { type: 'open', owner: 'bo', initial: 50 });
  await runtime.send('account', 'a-3', { type: 'open', owner: 'cy', initial: 10 });
  return { runtime, path, arm };
}

const deposit = (amount: number) => ({ type: 'deposit', amount });

/** The log is gapless and each stream holds one event per version, 1..n. */
function expectNoFork(events: readonly StoredEvent[]): void {
  expect(events.map((event) => event.position)).toEqual(events.map((_, i) => i + 1));
  const versions = new Map<string, number[]>();
  for (const event of events) versions.set(event.aggregateId, [...(versions.get(event.aggregateId) ?? []), event.version]);
  for (const list of versions.values()) expect(list).toEqual(list.map((_, i) => i + 1));
}

describe.each(COMMIT_FAULTS)('a group commit fails: $fault', ({ seam, written }) => {
  it('rejects what is not durable (saying whether it is in the file), loses nothing acknowledged, forks nothing, and goes on', async () => {
    const { runtime, path, arm } = await faultyRuntime(seam);
    arm();
    // One block: four commands (the first with a commandId); a second block pipelined behind it
    // touches a-1 and a-2 again, but not a-3.
    const first = [
      runtime.send('account', 'a-1', deposit(1), { commandId: 'c-1' }),
      runtime.send('account', 'a-1', deposit(2)),
      runtime.send('account', 'a-2', deposit(4)),
      runtime.send('account', 'a-3', deposit(64)),
    ];
    await Promise.resolve();
    const behind = [runtime.send('account', 'a-1', deposit(8)), runtime.send('account', 'a-2', deposit(16))];
    const outcomes = await Promise.allSettled([...first, ...behind]);

    for (const outcome of outcomes.slice(0, 4)) {
      const error = (outcome as PromiseRejectedResult).reason as PersistenceError;
      expect(error).toBeInstanceOf(PersistenceError);
      expect([error.code, error.written]).toEqual(['ERR_PERSISTENCE', written]);
      expect(error.message).toContain(written ? 'events were written but not confirmed durable' : 'events were not made durable');
    }
    // Behind a block that was written, the next one commits (its guard matches); behind one that was not, it is skipped.
    expect(outcomes.slice(4).map((outcome) => outcome.status)).toEqual(written ? ['fulfilled', 'fulfilled'] : ['rejected', 'rejected']);

    const log = [...runtime.readAll()];
    expectNoFork(log);
    const amounts = log.slice(3).map((event) => event.data.amount);
    expect(amounts).toEqual(written ? [1, 2, 4, 64, 8, 16] : []);
    // Nothing acknowledged is lost: every fulfilled result is in the log at its position.
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') expect(log[outcome.value.position - 1]!.version).toBe(outcome.value.version);
    }
    // The actors were rebuilt from the file.
    for (const id of ['a-1', 'a-2', 'a-3']) {
      const expected = foldAccount(log.filter((event) => event.aggregateId === id));
      expect(await runtime.state('account', id)).toMatchObject({ version: log.filter((e) => e.aggregateId === id).length, context: { balance: expected.balance } });
    }

    // A retry with the same commandId never applies a written command twice.
    const retry = await runtime.send('account', 'a-1', deposit(1), { commandId: 'c-1' });
    expect(retry.version).toBe(2);
    // a-3's written event (if any) was only ever in the failed block: its next version follows it.
    const next = await runtime.send('account', 'a-3', deposit(32));
    expect(next.version).toBe(written ? 3 : 2);
    const final = [...runtime.readAll()];
    expectNoFork(final);
    expect(final.filter((event) => event.metadata.commandId === 'c-1')).toHaveLength(1);
    expect(next.position).toBe(final.length);

    await harness.close(runtime);
    const reopened = await harness.open({ path, aggregates: [account] });
    expect([...reopened.readAll()]).toEqual(final);
  });
});

describe('a snapshot that cannot be encoded (a context holding 2n ** 70n)', () => {
  it('fails alone and is counted; commands go on and close() resolves', async () => {
    const path = harness.dir();
    const runtime = await harness.open({ path, aggregates: [power] });
    await runtime.send('power', 'p-1', { type: 'raise', exponent: 70 });
    // The second event is a snapshot point (snapshotEvery 2): its state holds 2n ** 70n.
    await runtime.send('power', 'p-1', { type: 'raise', exponent: 70 });
    await vi.waitFor(() => expect(runtime.metrics().snapshotsFailed).toBe(1));
    expect(runtime.metrics().snapshotsWritten).toBe(0);
    const third = await runtime.send('power', 'p-1', { type: 'raise', exponent: 3 });
    expect(third.version).toBe(3);
    expect(await runtime.state('power', 'p-1')).toMatchObject({ version: 3, context: { value: 8n, raises: 3 } });
    await harness.close(runtime);
    const reopened = await harness.open({ path, aggregates: [power] });
    expect(await reopened.state('power', 'p-1')).toMatchObject({ version: 3, context: { value: 8n, raises: 3 } });
  });

  it('putSnapshot rejects with EncodingError naming the stream and version; an append of the same commit lands', async () => {
    const path = harness.dir();
    const log = openLmdbEventLog({ path });
    const stream = { type: 'power', id: 'p-1' };
    // The same tick, so the same group commit: only the snapshot may fail.
    const snapshot = log.putSnapshot(stream, { version: 2, position: 2, fingerprint: 'f', state: { value: 2n ** 70n } });
    const [appended] = log.append([{ stream, expectedVersion: 0, events: [{ type: 'Raised', data: { exponent: 1 }, metadata: { timestamp: 1 } }] }]);
    const error = await snapshot.then(() => expect.fail('expected EncodingError'), (reason: unknown) => reason);
    expect(error).toBeInstanceOf(EncodingError);
    expect((error as EncodingError).message).toContain('power/p-1: its snapshot at version 2 cannot be encoded');
    expect((await appended)!.version).toBe(1);
    expect(log.latestSnapshot(stream)).toBeUndefined();
    await log.close();
  });
});
