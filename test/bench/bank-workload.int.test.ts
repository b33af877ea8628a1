// The benchmark's bank workload is what DESIGN.md's targets assume: every deposit and withdrawal
// is stored as a ~100-byte event carrying its memo, and eventBytes (the figure the bench prints)
// agrees with what the real event log stores.
import { open } from 'lmdb';
import { afterEach, expect, test } from 'vitest';
import { account } from '../../fixtures/bank-account.js';
import { InsufficientFundsError } from '../../fixtures/insufficient-funds-error.js';
import { bankCommand, createBankWorkload, eventBytes, memoOf, openCommand } from '../../bench/bank-workload.js';
import { createRuntime } from '../../runtime/index.js';
import { eventsPath } from '../../storage/lmdb-event-log.js';
import { removeDir, tempDataDir } from '../fixtures/storage-kit.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeDir));

/** Sizes of the log's raw values from `fromPosition` on; the environment must be closed. */
async function storedSizes(path: string, fromPosition: number): Promise<number[]> {
  const env = open({ path: eventsPath(path), maxDbs: 8, readOnly: true });
  try {
    const log = env.openDB<Buffer, number>('log', { encoding: 'binary' });
    return [...log.getRange({ start: fromPosition })].map(({ value }) => value.length);
  } finally {
    await env.close();
  }
}

test('deposits and withdrawals are stored as ~100-byte events carrying their memo, as eventBytes says', async () => {
  const path = tempDataDir();
  dirs.push(path);
  const workload = createBankWorkload({ accounts: 2, commands: 40, seed: 5 });
  const runtime = await createRuntime({ path, aggregates: [account] });
  const stored: unknown[] = [];
  const sent: string[] = [];
  try {
    for (let i = 0; i < 2; i++) await runtime.send('account', workload.ids[i]!, openCommand(i));
    for (let i = 0; i < workload.size; i++) {
      const result = await runtime.send('account', workload.ids[workload.account[i]!]!, bankCommand(workload, i)).catch((error: unknown) => {
        if (!(error instanceof InsufficientFundsError)) throw error;
      });
      if (!result) continue;
      stored.push(result.events[0]!.data.memo);
      sent.push(memoOf(i));
    }
  } finally {
    await runtime.close();
  }
  expect(stored).toEqual(sent);
  const sizes = await storedSizes(path, 3);
  expect(sizes.length).toBe(sent.length);
  expect(Math.min(...sizes)).toBeGreaterThanOrEqual(90);
  expect(Math.max(...sizes)).toBeLessThanOrEqual(110);
  const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  expect(Math.abs(eventBytes(workload) - mean)).toBeLessThan(5);
});
