// `rehydra inspect <dir> timers` as users run it (the built CLI in a child process): pending
// durable timers earliest first with their stream, delayed event and deadline, overdue ones
// marked, --before and --limit narrowing the list, and a bad --before refused in one line.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../runtime/options.js';
import { startRuntime } from '../../runtime/runtime.js';
import { openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import { ManualClock } from '../../testing/manual-clock.js';
import { order, PAYMENT_WINDOW_MS, REMINDER_MS } from '../../fixtures/order.js';
import { rehydra } from '../fixtures/cli-kit.js';
import { tempDataDir } from '../fixtures/runtime-kit.js';

const HOUR = 3_600_000;
/** Orders placed an hour ago (by a clock set back): their reminder and default window are overdue now. */
const placedAt = Date.now() - HOUR;
let dir: string;

beforeAll(async () => {
  dir = tempDataDir();
  const clock = new ManualClock(placedAt);
  const runtime = await startRuntime(resolveOptions({ path: dir, aggregates: [order] }), openLmdbEventLog({ path: dir }), clock);
  await runtime.send('order', 'late', { type: 'place', total: 1 });
  await runtime.send('order', 'later', { type: 'place', total: 2, windowMs: 3 * HOUR });
  await runtime.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Listed {
  readonly timers: { type: string; id: string; timer: string; dueAt: number; due: string; overdue: boolean }[];
}

async function listed(...options: string[]): Promise<Listed['timers']> {
  const run = await rehydra('inspect', dir, 'timers', ...options, '--json');
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return (JSON.parse(run.stdout) as Listed).timers;
}

describe('rehydra inspect timers', () => {
  it('lists every pending timer earliest first, overdue ones marked', async () => {
    const reminder = `xstate.after.${REMINDER_MS}.order.placed`;
    const expiry = 'xstate.after.paymentWindow.order.placed';
    const due = (offset: number) => ({ dueAt: placedAt + offset, due: new Date(placedAt + offset).toISOString() });
    expect(await listed()).toEqual([
      { type: 'order', id: 'late', timer: reminder, ...due(REMINDER_MS), overdue: true },
      { type: 'order', id: 'later', timer: reminder, ...due(REMINDER_MS), overdue: true },
      { type: 'order', id: 'late', timer: expiry, ...due(PAYMENT_WINDOW_MS), overdue: true },
      { type: 'order', id: 'later', timer: expiry, ...due(3 * HOUR), overdue: false },
    ]);
    const text = await rehydra('inspect', dir, 'timers');
    expect(text.stdout.split('\n')[0]).toMatch(/^DUE\s+STREAM\s+TIMER\s+OVERDUE$/);
    expect(text.stdout.trimEnd().split('\n')).toHaveLength(5);
    expect(text.stdout).toMatch(new RegExp(`order/later\\s+${expiry.replaceAll('.', '\\.')}\\s+no$`, 'm'));
  });

  it('narrows by --before (ISO or epoch ms) and --limit', async () => {
    expect((await listed('--before', new Date(placedAt + REMINDER_MS + 1).toISOString())).map((t) => t.id)).toEqual(['late', 'later']);
    expect((await listed('--before', String(placedAt + REMINDER_MS))).map((t) => t.id)).toEqual([]);
    expect((await listed('--limit', '3')).map((t) => [t.id, t.dueAt - placedAt])).toEqual([['late', REMINDER_MS], ['later', REMINDER_MS], ['late', PAYMENT_WINDOW_MS]]);
  });

  it('refuses a --before that is no time, naming it', async () => {
    const run = await rehydra('inspect', dir, 'timers', '--before', 'tomorrow');
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining('--before must be an ISO 8601 date-time or epoch milliseconds (got "tomorrow")')]);
  });
});
