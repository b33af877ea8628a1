// Idempotency against a model: random interleavings of commands on two aggregates, some with one
// of a few commandIds (deposits, and commands that append nothing), with the log's clock moved
// around the retention boundary and the runtime restarted cleanly or as after a crash. Whatever
// the order, a repeated id within retention returns exactly the result it was first given, and
// one past retention runs as a new command whose result the id stands for from then on.
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../runtime/options.js';
import { startRuntime } from '../../runtime/runtime.js';
import type { Runtime, SendResult } from '../../runtime/types.js';
import { openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import { account } from '../../fixtures/bank-account.js';
import { tempDataDir } from '../fixtures/runtime-kit.js';

// Replays a reported failure: FC_SEED=<seed> FC_PATH=<path> npx vitest run test/runtime/idempotency.prop.test.ts
const replay = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {};

const RETENTION = 10_000;
const IDS = ['a-1', 'a-2'] as const;

type Step =
  | { kind: 'send'; aggregate: 0 | 1; commandId: string | undefined; amount: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'restart'; crash: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    kind: fc.constant('send' as const), aggregate: fc.constantFrom(0 as const, 1 as const),
    commandId: fc.option(fc.constantFrom('c-1', 'c-2', 'c-3'), { nil: undefined }), amount: fc.integer({ min: 0, max: 9 }),
  }) },
  // Small steps, and onto or just short of the boundary.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.constantFrom(1, 1_000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.constantFrom(RETENTION - 1, RETENTION) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restart' as const), crash: fc.boolean() }) },
);

/** What the model remembers of a commandId: the result it stands for and when that command ran. */
interface Remembered {
  readonly result: SendResult;
  readonly at: number;
}

describe('idempotency against a model', () => {
  it('a repeated commandId returns the first result within retention and runs again after it, across restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const path = tempDataDir();
        let now = 1_800_000_000_000;
        const options = resolveOptions({ path, aggregates: [account], commandIdRetentionMs: RETENTION });
        // Runtime k is closed by the k-th restart: opened with its `crash`, that close writes nothing
        // behind and the next open rebuilds the ledger from the journal.
        const crashes = steps.flatMap((s) => (s.kind === 'restart' ? [s.crash] : []));
        const start = (): Promise<Runtime> =>
          startRuntime(options, openLmdbEventLog({ path, commandIdRetentionMs: RETENTION, clock: () => now, closeWithoutWriteBehind: crashes.shift() ?? false }));
        let runtime = await start();
        try {
          const versions = [1, 1];
          const remembered = new Map<string, Remembered>();
          for (const id of IDS) await runtime.send('account', id, { type: 'open', owner: id, initial: 0 });
          for (const current of steps) {
            if (current.kind === 'tick') {
              now += current.ms;
            } else if (current.kind === 'restart') {
              await runtime.close();
              runtime = await start();
            } else {
              const { aggregate, commandId, amount } = current;
              const id = IDS[aggregate];
              // Amount 0 is a command that appends nothing.
              const command = amount === 0 ? { type: 'noop' } : { type: 'deposit', amount };
              const result = await runtime.send('account', id, command, commandId === undefined ? {} : { commandId });
              const key = `${id}/${commandId}`;
              const first = commandId === undefined ? undefined : remembered.get(key);
              if (first && now - first.at < RETENTION) {
                expect(result, `${key} at +${now - first.at} ms`).toEqual(first.result);
                continue;
              }
              if (amount > 0) versions[aggregate]!++;
              expect([result.version, result.events.map((e) => [e.aggregateId, e.data.amount])], `${key}: a new command`)
                .toEqual([versions[aggregate], amount === 0 ? [] : [[id, amount]]]);
              if (commandId !== undefined) remembered.set(key, { result, at: now });
            }
          }
        } finally {
          await runtime.close();
          rmSync(path, { recursive: true, force: true });
        }
      }),
      { numRuns: 40, ...replay },
    );
  });
});
