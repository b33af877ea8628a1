// How promptly, and how fast, do durable timers fire? 10,000 orders (fixtures/order.ts) each arm a
// payment window on the system clock in a durable runtime. A firing counts once its delayed event
// is durable and delivered to a subscriber, as a user's projection would see it: due one after
// another over a second, how late is the 99th percentile; all due at once, how many fire per
// second; due while the runtime is closed, how long a restart takes to fire them all.
import { order, REMINDER_MS } from '../fixtures/order.js';
import { createRuntime, type Runtime } from '../runtime/index.js';
import { createLatencyRecorder, type LatencyRecorder } from './latency.js';
import { runPipelined } from './pipeline.js';
import { figureOf, type Figures, type Scenario, type ScenarioContext } from './scenario.js';

const ORDERS = 10_000;
const PLACE_INFLIGHT = 1_000;
/** The delayed event of the payment window: the order expired. */
const EXPIRY = 'xstate.after.paymentWindow.order.placed';
/** Spread deadlines come due this many per ms (10,000/s): 10,000 over one second. */
const DUE_PER_MS = 10;
/** Placing takes at most this long per order, so deadlines set this far ahead fall after it (checked). */
const PLACE_BUDGET_MS = 0.25;
/** And this long on top, for the first commits and the timer listing after placing. */
const LEAD_MS = 300;
/** The closed runtime is reopened this long after the last overdue deadline. */
const CLOSED_PAST_MS = 200;
/** A phase that has not seen every firing by then fails instead of hanging. */
const GIVE_UP_MS = 60_000;

/** When a subscriber saw an order's expiry, and the timestamp stored with it (ms since the epoch). */
interface Firing {
  readonly deliveredAt: number;
  readonly timestamp: number;
}

/**
 * Places orders `<prefix>-0` … `<prefix>-<n-1>`, order i with its payment window ending at
 * `dueAt(i)`, and returns each order's deadline as stored (the runtime's clock took it when the
 * place command was handled). Throws when a deadline passed before placing was durable.
 */
async function placeOrders(runtime: Runtime, prefix: string, n: number, dueAt: (i: number) => number): Promise<Map<string, number>> {
  await runPipelined({
    n,
    inflight: PLACE_INFLIGHT,
    issue: (i) => runtime.send(order.type, `${prefix}-${i}`, { type: 'place', total: 1, windowMs: dueAt(i) - Date.now() }),
  });
  const placed = Date.now();
  const deadlines = new Map<string, number>();
  // Each order armed its ten-minute reminder too: keep the payment windows.
  for (const timer of runtime.timers({ before: placed + REMINDER_MS / 2 })) {
    if (timer.aggregateId.startsWith(`${prefix}-`)) deadlines.set(timer.aggregateId, timer.dueAt);
  }
  const first = Math.min(...deadlines.values());
  if (deadlines.size !== n || first <= placed) {
    throw new Error(`placing ${n} orders took past their first deadline (${deadlines.size} pending, first due ${first - placed} ms after placing): raise PLACE_BUDGET_MS`);
  }
  return deadlines;
}

/** A time by which placing `n` orders, starting now, has surely ended: where their deadlines start. */
function afterPlacing(n: number): number {
  return Date.now() + LEAD_MS + n * PLACE_BUDGET_MS;
}

/** Resolves with the first `n` expiries a subscriber from `fromPosition` sees, by order id; rejects on a second expiry of one order. */
function watchExpiries(runtime: Runtime, fromPosition: number, n: number): Promise<Map<string, Firing>> {
  return new Promise((resolve, reject) => {
    const seen = new Map<string, Firing>();
    const finish = (error?: unknown): void => {
      clearTimeout(giveUp);
      stop();
      if (error === undefined) resolve(seen);
      else reject(error);
    };
    const giveUp = setTimeout(() => finish(new Error(`only ${seen.size} of ${n} payment windows fired within ${GIVE_UP_MS / 1_000} s`)), GIVE_UP_MS);
    const stop = runtime.subscribe({ fromPosition, onError: finish }, (event) => {
      if (event.type !== EXPIRY) return;
      const deliveredAt = Date.now();
      if (seen.has(event.aggregateId)) throw new Error(`order/${event.aggregateId} expired twice`);
      seen.set(event.aggregateId, { deliveredAt, timestamp: event.metadata.timestamp });
      if (seen.size === n) finish();
    });
  });
}

/** Deadlines one after another, 10 per ms: the p99 of how late each expiry was durable and delivered. */
async function measureLateness(context: ScenarioContext, runtime: Runtime, n: number): Promise<number> {
  const start = afterPlacing(n);
  const deadlines = await placeOrders(runtime, 'spread', n, (i) => start + Math.floor(i / DUE_PER_MS));
  const firings = await watchExpiries(runtime, runtime.metrics().headPosition + 1, n);
  const delivered = createLatencyRecorder();
  const applied = createLatencyRecorder();
  for (const [id, { deliveredAt, timestamp }] of firings) {
    delivered.record(deliveredAt - deadlines.get(id)!);
    applied.record(timestamp - deadlines.get(id)!);
  }
  const ms = (recorder: LatencyRecorder, percentile: number) => `${recorder.percentileMs(percentile).toFixed(1)} ms`;
  context.progress(
    `${n.toLocaleString('en-US')} deadlines over ${n / DUE_PER_MS} ms: late until delivered p50 ${ms(delivered, 50)}, p99 ${ms(delivered, 99)}, ` +
      `max ${ms(delivered, 100)}; until applied (the event's timestamp) p50 ${ms(applied, 50)}, p99 ${ms(applied, 99)}; ` +
      `metrics().timerLateness.maxMs ${runtime.metrics().timerLateness.maxMs} ms`,
  );
  return delivered.percentileMs(99);
}

/** Every deadline at the same ms: firings/s from that ms to the last expiry delivered. */
async function measureBurst(context: ScenarioContext, runtime: Runtime, n: number): Promise<number> {
  const at = afterPlacing(n);
  const deadlines = await placeOrders(runtime, 'burst', n, () => at);
  const cpu = process.cpuUsage();
  const firings = await watchExpiries(runtime, runtime.metrics().headPosition + 1, n);
  const cpuMicros = cpuMicrosSince(cpu);
  // The stored deadlines, not `at`: each took the clock when its place command was handled.
  const first = Math.min(...deadlines.values());
  const last = Math.max(...[...firings.values()].map((firing) => firing.deliveredAt));
  const perSec = (n * 1_000) / (last - first);
  context.progress(
    `${n.toLocaleString('en-US')} deadlines within ${Math.max(...deadlines.values()) - first} ms: the last delivered ${last - first} ms after the first deadline, ` +
      `${Math.round(perSec).toLocaleString('en-US')}/s; ${(cpuMicros / n).toFixed(1)} µs of CPU per firing (whole process)`,
  );
  return perSec;
}

/** User and system CPU time of the whole process (every thread) since `start`, in µs. */
function cpuMicrosSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return user + system;
}

/** Orders placed for the restart: their stored deadlines, and where their expiries will start in the log. */
interface Overdue {
  readonly deadlines: ReadonlyMap<string, number>;
  readonly fromPosition: number;
}

/** Places `n` orders due together, for the runtime to be closed before their deadline. */
async function placeOverdue(runtime: Runtime, n: number): Promise<Overdue> {
  const at = afterPlacing(n);
  const deadlines = await placeOrders(runtime, 'overdue', n, () => at);
  return { deadlines, fromPosition: runtime.metrics().headPosition + 1 };
}

/**
 * Waits past the deadlines of the orders a closed runtime left, then times a reopen until every
 * expiry is delivered: opening the directory, the scheduler's first pass, rehydrating each
 * passivated order and committing its expiry.
 */
async function measureRestart(context: ScenarioContext, { deadlines, fromPosition }: Overdue, orders: number): Promise<number> {
  const first = Math.min(...deadlines.values());
  if (Date.now() >= first) throw new Error(`the runtime closed ${Date.now() - first} ms after the first overdue deadline: raise LEAD_MS`);
  await new Promise((resolve) => setTimeout(resolve, Math.max(...deadlines.values()) + CLOSED_PAST_MS - Date.now()));
  const opened = Date.now();
  const cpu = process.cpuUsage();
  const reopened = await createRuntime({ path: context.dir, aggregates: [order] });
  try {
    const firings = await watchExpiries(reopened, fromPosition, deadlines.size);
    const ms = Math.max(...[...firings.values()].map((firing) => firing.deliveredAt)) - opened;
    context.progress(
      `${deadlines.size.toLocaleString('en-US')} timers overdue by ${opened - first} ms at reopen: all delivered ${ms} ms after it began; ` +
        `${(cpuMicrosSince(cpu) / deadlines.size).toFixed(1)} µs of CPU per timer (whole process)`,
    );
    checkExpiredOnce(reopened, orders);
    return ms;
  } finally {
    await reopened.close();
  }
}

/** Every order of the run expired exactly once, and no timer is left (each expiry cleared the reminder). */
function checkExpiredOnce(runtime: Runtime, orders: number): void {
  const expired = new Set<string>();
  let expiries = 0;
  for (const event of runtime.readAll()) {
    if (event.type !== EXPIRY) continue;
    expiries++;
    expired.add(event.aggregateId);
  }
  const left = runtime.timers().length;
  if (expiries !== orders || expired.size !== orders || left > 0) {
    throw new Error(`${orders} orders: ${expiries} expiries stored for ${expired.size} orders, ${left} timers left`);
  }
}

const timers: Scenario = {
  key: 'timers.10k',
  title: 'durable timers of 10,000 orders: lateness, firings/s, and a restart with all of them overdue',
  rounds: 3,
  settings:
    "durability 'sync', system clock, runtime defaults; order fixture, 10,000 orders per phase (--quick: 1,000) placed with 1,000 in flight, " +
    `deadlines starting ${LEAD_MS} ms + ${PLACE_BUDGET_MS} ms per order after placing began; a firing counts when its expiry is durable and delivered ` +
    `to runtime.subscribe. p99LateMs: deadlines ${DUE_PER_MS} per ms (10,000/s), delivery − stored deadline; perSec: all set for one ms (stored within ~100 ms: each ` +
    `place took the clock when handled), orders / (last delivery − first stored deadline); restartOverdueMs: runtime closed before the deadlines, reopened ${CLOSED_PAST_MS} ms past them, ` +
    'createRuntime call → last delivery',
  figures: {
    perSec: { against: figureOf('commands.10k', 'perSec'), targets: [{ op: '>=', value: 0.5, of: figureOf('commands.10k', 'perSec') }] },
    p99LateMs: { targets: [{ op: '<=', value: 50 }] },
    restartOverdueMs: { targets: [{ op: '<=', value: 2_000 }] },
  },
  run: async (context): Promise<Figures> => {
    const n = context.quick ? ORDERS / 10 : ORDERS;
    const runtime = await createRuntime({ path: context.dir, aggregates: [order] });
    let live: { p99LateMs: number; perSec: number; overdue: Overdue };
    try {
      live = { p99LateMs: await measureLateness(context, runtime, n), perSec: await measureBurst(context, runtime, n), overdue: await placeOverdue(runtime, n) };
    } finally {
      await runtime.close();
    }
    const restartOverdueMs = await measureRestart(context, live.overdue, 3 * n);
    return { perSec: live.perSec, p99LateMs: live.p99LateMs, restartOverdueMs, n };
  },
};

export const scenarios: readonly Scenario[] = [timers];
