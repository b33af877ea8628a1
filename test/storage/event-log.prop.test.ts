// Model-based property: random batches of appends (right and wrong expected versions, with and
// without commandIds, some pipelined behind a commit in flight) against an in-memory model. After
// every step, and after every reopen, the log, each stream, the versions and heads, the stream
// list and the ledger equal the model's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../storage/errors.js';
import type { AppendResult, StoredEvent, StreamAppend, StreamRef } from '../../storage/event-log.js';
import { openLmdbEventLog, type LmdbEventLog } from '../../storage/lmdb-event-log.js';
import { newEvent, removeDir, storedEvent, tempDataDir } from '../fixtures/storage-kit.js';

const STREAMS: readonly StreamRef[] = [
  { type: 'account', id: 's-0' }, { type: 'account', id: 's-1' }, { type: 'user', id: 's-0' }, { type: 'user', id: 's-1' },
];

interface AppendStep {
  readonly stream: number;
  /** 0: the stream's current version; otherwise off by this much. */
  readonly offset: number;
  readonly events: number;
  readonly command: boolean;
}
type Step = { readonly kind: 'batch'; readonly appends: readonly AppendStep[]; readonly split: number } | { readonly kind: 'reopen' };

const appendStep: fc.Arbitrary<AppendStep> = fc.record({
  stream: fc.integer({ min: 0, max: STREAMS.length - 1 }),
  offset: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) }),
  events: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.constant(0) }),
  command: fc.boolean(),
});
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('batch' as const), appends: fc.array(appendStep, { minLength: 1, maxLength: 6 }), split: fc.nat({ max: 6 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

/** What the log should hold: the global log, and each command's result. */
class Model {
  readonly log: StoredEvent[] = [];
  readonly ledger = new Map<string, { stream: StreamRef; commandId: string; result: AppendResult }>();
  readonly refused: Array<{ stream: StreamRef; commandId: string }> = [];

  version(stream: StreamRef): number {
    return this.events(stream).length;
  }

  events(stream: StreamRef): StoredEvent[] {
    return this.log.filter((e) => e.aggregateType === stream.type && e.aggregateId === stream.id);
  }
}

type Outcome = { readonly ok: AppendResult } | { readonly expected: number; readonly actual: number };

function expectMatchesModel(log: LmdbEventLog, model: Model): void {
  expect([...log.readAll()]).toEqual(model.log);
  expect(log.headPosition()).toBe(model.log.length);
  expect([...log.readAll({ fromPosition: 2, limit: 3 })]).toEqual(model.log.slice(1, 4));
  const listed: Array<StreamRef & { version: number; position: number }> = [];
  for (const stream of STREAMS) {
    const events = model.events(stream);
    expect([...log.readStream(stream)]).toEqual(events);
    expect([...log.readStream(stream, { fromVersion: 2 })]).toEqual(events.slice(1));
    expect(log.streamVersion(stream)).toBe(events.length);
    const last = events.at(-1);
    expect(log.streamHead(stream)).toEqual(last && { version: last.version, position: last.position });
    if (last) listed.push({ ...stream, version: last.version, position: last.position });
  }
  expect([...log.streams()]).toEqual(listed);
  for (const { stream, commandId, result } of model.ledger.values()) {
    expect(log.commandResult(stream, commandId)?.result).toEqual(result);
  }
  for (const { stream, commandId } of model.refused) expect(log.commandResult(stream, commandId)).toBeUndefined();
}

async function runBatch(log: LmdbEventLog, model: Model, batch: Extract<Step, { kind: 'batch' }>, counter: { n: number }): Promise<void> {
  const appends: StreamAppend[] = [];
  const predicted: Outcome[] = [];
  // Staged-but-uncommitted appends count: predict in issue order against the evolving model.
  for (const { stream: index, offset, events: count, command } of batch.appends) {
    const stream = STREAMS[index]!;
    const actual = model.version(stream);
    const expectedVersion = actual + offset;
    const commandId = command ? `cmd-${++counter.n}` : undefined;
    const events = Array.from({ length: count }, () => {
      const n = ++counter.n;
      return newEvent(n % 2 ? 'Deposited' : 'Withdrawn', { n, stream: index }, { timestamp: n });
    });
    appends.push({ stream, expectedVersion, events, commandId });
    if (expectedVersion !== actual) {
      predicted.push({ expected: expectedVersion, actual });
      if (commandId !== undefined) model.refused.push({ stream, commandId });
      continue;
    }
    const stored = events.map((event, i) => storedEvent(stream, actual + i + 1, model.log.length + i + 1, event));
    model.log.push(...stored);
    const result: AppendResult = { version: actual + count, position: model.log.length, events: stored };
    predicted.push({ ok: result });
    if (commandId !== undefined) model.ledger.set(commandId, { stream, commandId, result });
  }

  // Either one call (one commit) or two, the second issued while the first commit is in flight.
  const split = Math.min(batch.split, appends.length);
  const promises = log.append(appends.slice(0, split));
  await Promise.resolve();
  promises.push(...log.append(appends.slice(split)));
  const outcomes = await Promise.allSettled(promises);

  outcomes.forEach((outcome, i) => {
    const expected = predicted[i]!;
    if ('ok' in expected) {
      expect(outcome.status === 'fulfilled' ? outcome.value : outcome.reason).toEqual(expected.ok);
    } else {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as ConcurrencyError;
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect([error.code, error.expected, error.actual]).toEqual(['ERR_CONCURRENCY', expected.expected, expected.actual]);
    }
  });
}

describe('event log against an in-memory model', () => {
  it('agrees with the model after every batch and every reopen', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const path = tempDataDir();
        let log = openLmdbEventLog({ path });
        try {
          const model = new Model();
          const counter = { n: 0 };
          for (const current of steps) {
            if (current.kind === 'reopen') {
              await log.close();
              log = openLmdbEventLog({ path });
            } else {
              await runBatch(log, model, current, counter);
            }
            expectMatchesModel(log, model);
          }
          await log.close();
          log = openLmdbEventLog({ path });
          expectMatchesModel(log, model);
        } finally {
          await log.close().finally(() => removeDir(path));
        }
      }),
      { numRuns: 60 },
    );
  });
});
