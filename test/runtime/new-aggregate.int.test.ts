// A brand-new aggregate costs no read: the heads index knows every stream the log holds, so a
// stream with no head starts from the machine's initial state with no snapshot lookup, no stream
// walk and (while the writer holds every head in memory) no heads-table row read. What users rely
// on is unchanged: versions from 1, expectedVersion checks, and streams that do exist (heads in
// the table, or only in the log after a crash-like close) are never mistaken for new ones.
import { afterEach, describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../storage/errors.js';
import { account } from '../../fixtures/bank-account.js';
import { resolveOptions } from '../../runtime/options.js';
import { startRuntime } from '../../runtime/runtime.js';
import type { Runtime } from '../../runtime/types.js';
import { openLmdbEventLog, type LmdbEventLog, type LogSeams } from '../../storage/lmdb-event-log.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

const open = (initial: number) => ({ type: 'open', owner: 'ann', initial });
const deposit = (amount: number) => ({ type: 'deposit', amount });

/** A runtime on `path` with its log at hand, to read the log's keyedReads seam. */
async function start(path: string, seams: LogSeams = {}): Promise<{ runtime: Runtime; log: LmdbEventLog }> {
  const log = openLmdbEventLog({ path, ...seams });
  const runtime = harness.track(await startRuntime(resolveOptions({ path, aggregates: [account] }), log));
  return { runtime, log };
}

describe('a new aggregate', () => {
  it('is served from the initial state without reading the log, the snapshots or the heads table', async () => {
    const { runtime, log } = await start(harness.dir());
    const opened = await runtime.send('account', 'a-1', open(100));
    expect(opened.version).toBe(1);
    expect(opened.events.map((event) => [event.type, event.version, event.position])).toEqual([['AccountOpened', 1, 1]]);
    expect((await runtime.send('account', 'a-1', deposit(5))).version).toBe(2);
    expect(await runtime.state('account', 'a-1')).toEqual({ value: 'open', context: { balance: 105, owner: 'ann' }, version: 2 });
    expect(log.keyedReads).toEqual({ events: 0, snapshots: 0, heads: 0 });
  });

  it('is at version 0 for expectedVersion', async () => {
    const { runtime } = await start(harness.dir());
    const refused = await runtime.send('account', 'b-1', open(1), { expectedVersion: 1 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConcurrencyError);
    expect((refused as ConcurrencyError).code).toBe('ERR_CONCURRENCY');
    expect((refused as ConcurrencyError).message).toContain('account/b-1 is at version 0, not 1');
    expect((await runtime.send('account', 'b-1', open(1), { expectedVersion: 0 })).version).toBe(1);
  });

  it('after a restart, reads no event and no snapshot; an existing stream is still rehydrated from its events', async () => {
    const path = harness.dir();
    const first = await start(path);
    await first.runtime.send('account', 'old', open(10));
    await first.runtime.send('account', 'old', deposit(7));
    await harness.close(first.runtime);

    const { runtime, log } = await start(path);
    expect((await runtime.send('account', 'new', open(3))).version).toBe(1);
    // The heads are in the table now: knowing "new" has none costs one row read, nothing more.
    expect(log.keyedReads).toEqual({ events: 0, snapshots: 0, heads: 1 });
    expect((await runtime.send('account', 'old', deposit(1))).version).toBe(3);
    expect(await runtime.state('account', 'old')).toEqual({ value: 'open', context: { balance: 18, owner: 'ann' }, version: 3 });
    expect(log.keyedReads.events).toBe(2);
  });

  it('is never an existing stream whose head is only in the log (a crash-like close wrote no heads)', async () => {
    const path = harness.dir();
    const first = await start(path, { closeWithoutWriteBehind: true });
    await first.runtime.send('account', 'old', open(10));
    await harness.close(first.runtime);

    const { runtime, log } = await start(path);
    const refused = await runtime.send('account', 'old', open(1), { expectedVersion: 0 }).catch((error: unknown) => error);
    expect((refused as ConcurrencyError).message).toContain('account/old is at version 1, not 0');
    expect((await runtime.send('account', 'old', deposit(2))).version).toBe(2);
    expect(await runtime.state('account', 'old')).toEqual({ value: 'open', context: { balance: 12, owner: 'ann' }, version: 2 });
    expect((await runtime.send('account', 'new', open(3))).version).toBe(1);
    // Every head came back from the log's tail into memory: no table read for either stream.
    expect(log.keyedReads.heads).toBe(0);
  });
});
