// Durable timers across SIGKILL: a child places orders with payment windows of 2–200 ms and pays
// some while their timers fire, on the system clock, and is killed at random points on one data
// directory: after a number of acknowledgements, as soon as it is open (while the timers that came
// due meanwhile fire at start), and after some timer events were durable (with more in flight).
// After each kill the directory, read as it was left, holds every acknowledged command and every
// timer event seen durable, at most one timer event per order and never one before its deadline,
// and a timer index equal to what the log says is pending. Finally a runtime reopens it and every
// remaining timer comes due: each order is paid or expired exactly once, the index is empty, and
// replay equals the live state.
import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../runtime/types.js';
import type { StoredEvent } from '../../storage/event-log.js';
import { openLmdbEventLog, type LmdbEventLog } from '../../storage/lmdb-event-log.js';
import { order, REMINDER_MS } from '../../fixtures/order.js';
import type { TimerCrashLine } from '../fixtures/timer-crash-child.js';
import { compiledFixture, runFixture, type FixtureProcess } from '../fixtures/child-fixture.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const EXPIRY = 'xstate.after.paymentWindow.order.placed';
const REMINDER = `xstate.after.${REMINDER_MS}.order.placed`;

/** When a round's child is killed. */
type Kill = { readonly lines: number } | { readonly ready: true } | { readonly fired: number };

/** A timer as the test compares them: `order-id timer-id deadline`. */
const timerRow = (id: string, timer: string, dueAt: number): string => `${id} ${timer} ${dueAt}`;

interface Verified {
  readonly head: number;
  /** Orders still in `placed`: their expiry has not fired. */
  readonly placed: readonly string[];
  /** Every order with a stream. */
  readonly orders: readonly string[];
}

/**
 * Checks the directory as stored against the lines printed so far: the log, each order's stream,
 * the timer index; `settled` demands that every order is paid or expired.
 */
function verify(log: LmdbEventLog, lines: readonly TimerCrashLine[], context: string, settled = false): Verified {
  const all = [...log.readAll()];
  expect(all.map((e) => e.position), `${context}: gapless log`).toEqual(all.map((_, i) => i + 1));
  const streams = new Map<string, StoredEvent[]>();
  for (const event of all) streams.set(event.aggregateId, [...(streams.get(event.aggregateId) ?? []), event]);

  const placed: string[] = [];
  const indexed: string[] = [];
  for (const [id, events] of streams) {
    const where = `${context}: ${id}`;
    expect(events.map((e) => e.version), `${where} versions`).toEqual(events.map((_, i) => i + 1));
    const [first, second, ...more] = events;
    expect([first!.type, first!.metadata.timer], `${where} starts placed`).toEqual(['OrderPlaced', undefined]);
    // Paid or expired, never both, never a second timer event (the reminder is ten minutes away).
    expect(more.map((e) => e.type), `${where} has at most two events`).toEqual([]);
    const placedAt = first!.metadata.timestamp;
    const dueAt = placedAt + (first!.data.windowMs as number);
    // Each stream's own timers are exactly those of its state: none once it left `placed`.
    const pending = second === undefined ? [timerRow(id, EXPIRY, dueAt), timerRow(id, REMINDER, placedAt + REMINDER_MS)] : [];
    expect(log.pendingTimers({ type: 'order', id }).map((t) => timerRow(id, t.id, t.dueAt)).sort(), `${where} pending timers`).toEqual(pending.sort());
    indexed.push(...pending);
    if (second === undefined) {
      expect(settled, `${where} is still placed`).toBe(false);
      placed.push(id);
    } else if (second.type === EXPIRY) {
      expect(second.metadata.timer, `${where} expiry is a timer event`).toBe(true);
      expect(second.metadata.timestamp, `${where} expired no earlier than its deadline`).toBeGreaterThanOrEqual(dueAt);
    } else {
      expect([second.type, second.metadata.timer], `${where} second event`).toEqual(['OrderPaid', undefined]);
    }
  }
  // The deadline index holds the pending timers of the orders still placed, and nothing else.
  const due = log.dueTimers(Number.POSITIVE_INFINITY).map((t) => timerRow(t.stream.id, t.id, t.dueAt));
  expect(due.sort(), `${context}: deadline index`).toEqual(indexed.sort());

  for (const line of lines) {
    const where = `${context}: acknowledged ${JSON.stringify(line)}`;
    if (line.op === 'placed') {
      const event = all[line.position - 1];
      expect([event?.aggregateId, event?.version, event?.type, event?.data.windowMs], where).toEqual([line.id, line.version, 'OrderPlaced', line.windowMs]);
    } else if (line.op === 'paid') {
      // An acknowledged pay came before any expiry: the order never expires.
      expect(streams.get(line.id)?.map((e) => e.type), where).toEqual(['OrderPlaced', 'OrderPaid']);
      expect(all[line.position - 1]?.version, where).toBe(line.version);
    } else if (line.op === 'refused') {
      expect(streams.get(line.id)?.map((e) => e.type), where).toEqual(['OrderPlaced', EXPIRY]);
    } else if (line.op === 'fired') {
      const event = all[line.position - 1];
      expect([event?.aggregateId, event?.version, event?.type, event?.metadata.timer], where).toEqual([line.id, line.version, EXPIRY, true]);
    }
  }
  return { head: all.length, placed, orders: [...streams.keys()] };
}

/** Reads the directory without a writer, as the crash left it (no runtime fires anything meanwhile). */
async function readAsLeft<T>(path: string, read: (log: LmdbEventLog) => T): Promise<T> {
  const log = openLmdbEventLog({ path, readOnly: true });
  try {
    return read(log);
  } finally {
    await log.close();
  }
}

/** Resolves once `count` timer events after `head` are durable. */
function timerEventsAfter(runtime: Runtime, head: number, count: number): Promise<void> {
  if (count === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let seen = 0;
    const stop = runtime.subscribe({ fromPosition: head + 1, onError: reject }, (event) => {
      if (event.metadata.timer === true && ++seen === count) {
        stop();
        resolve();
      }
    });
  });
}

async function killWhen(child: FixtureProcess, kill: Kill): Promise<number> {
  if ('lines' in kill) await child.waitForLines(kill.lines);
  else if ('ready' in kill) await child.lineWhere((line) => line.includes('"op":"ready"'));
  else {
    let fired = 0;
    await child.lineWhere((line) => line.includes('"op":"fired"') && ++fired === kill.fired);
  }
  const killedAt = Date.now();
  await child.kill();
  return killedAt;
}

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

describe('durable timers after SIGKILL', () => {
  it('every order is paid or expires exactly once, whatever the kill interrupted; replay equals the live state', async () => {
    const script = compiledFixture('timer-crash-child');
    const path = harness.dir();
    const seed = Date.now() % 1_000_000;
    const kills: Kill[] = [
      { lines: 300 + (seed % 700) },
      // At once: the timers that came due while no process ran are firing.
      { ready: true },
      // Timer events are durable and more are in flight.
      { fired: 1 + (seed % 40) },
      { lines: 100 + ((seed * 7919) % 900) },
      { fired: 1 },
    ];
    const lines: TimerCrashLine[] = [];
    let overdueAtKills = 0;
    let left: Verified = { head: 0, placed: [], orders: [] };
    for (const [round, kill] of kills.entries()) {
      const context = `seed ${seed}, round ${round + 1} (kill ${JSON.stringify(kill)})`;
      const child = runFixture(script, [path, String(seed + round)]);
      const killedAt = await killWhen(child, kill);
      lines.push(...child.lines.map((line) => JSON.parse(line) as TimerCrashLine));
      const verified = await readAsLeft(path, (log) => {
        // Due before the kill and not appended: the crash fell between a deadline and its firing.
        overdueAtKills += log.dueTimers(killedAt).length;
        return verify(log, lines, context);
      });
      expect(verified.head, `${context}: the log only grows`).toBeGreaterThanOrEqual(left.head);
      left = verified;
    }

    const runtime = await harness.open({ path, aggregates: [order] });
    // Every order still placed expires (most are overdue by now and fire at start).
    await timerEventsAfter(runtime, left.head, left.placed.length);
    expect(runtime.timers()).toEqual([]);
    for (const id of left.orders) {
      const live = await runtime.state('order', id);
      expect(['paid', 'expired'], id).toContain(live.value);
      expect(await runtime.state('order', id, { version: live.version }), `replay of ${id}`).toEqual(live);
    }
    await harness.close(runtime);
    await readAsLeft(path, (log) => verify(log, lines, 'after every timer came due', true));

    // The scenario did what it is for: firings before and during the kills, and pays that won.
    const count = (op: TimerCrashLine['op']) => lines.filter((line) => line.op === op).length;
    expect(count('fired'), 'timer events the children saw durable').toBeGreaterThan(0);
    expect(overdueAtKills, 'timers due before a kill and not yet appended').toBeGreaterThan(0);
    expect(count('paid'), 'pays acknowledged before expiry').toBeGreaterThan(0);
  });
});
