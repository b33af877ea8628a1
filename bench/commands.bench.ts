// How many bank commands per second does rehydra take across 10,000 aggregates, against the
// design's limit and against Emmett, and what do they cost in latency and disk bytes, with and
// without a commandId on every command? Durable (ack after fsync) unless the scenario says
// otherwise; the same seeded workload for each. Rates count accepted commands only (one ~100-byte
// event each); the withdrawals refused for insufficient funds are reported beside them.
import { ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { admit } from '../actors/decide.js';
import { createRuntime, type Durability, type RuntimeOptions } from '../runtime/index.js';
import { account, validatedAccount } from '../fixtures/bank-account.js';
import { BANK_COMMANDS, acceptedPerSec, bankCommand, commandIdOf, createBankWorkload, createCommandIds, eventBytes } from './bank-workload.js';
import { fillLedger } from './aged-ledger.js';
import { startDiskWrites } from './disk-io.js';
import { registerDroppingTracer } from './dropping-tracer.js';
import { createLatencyRecorder } from './latency.js';
import { LIMIT } from './limit.js';
import { measureMicro } from './micro.js';
import { runPipelined } from './pipeline.js';
import { NO_OPTIONS, createTally, openAccounts, sendBankCommand, type BankSendOptions } from './rehydra-bank.js';
import { figureOf, type Figures, type Reference, type Scenario, type ScenarioContext } from './scenario.js';
import { TRACED_CEILING } from './traced-spans.bench.js';

const ACCOUNTS = 10_000;
const SEED = 5;
/** Accounts are opened with this many in flight, whatever the scenario's window. */
const OPEN_INFLIGHT = 1_000;
const PEER = figureOf('peer.emmett.memory', 'perSec');
const POSTGRES_PEER = figureOf('peer.emmett.postgresql', 'perSec');

/** One run of the bank workload, as a scenario configures it. */
interface BankRun {
  /** The account definition: the plain one, or the one with a zod schema on every command. @default account */
  readonly definition?: typeof account | typeof validatedAccount;
  readonly inflight: number;
  readonly durability: Durability;
  /** Commands timed in a full run (a tenth in --quick). */
  readonly commands: number;
  /** Send every command (the opens too) with a fresh random commandId, as retrying clients do. */
  readonly commandIds?: boolean;
  /**
   * Observability as a service wires it: the metrics' registry (and, once traces land, the
   * tracer) given to createRuntime; scraped once after the timed part. @default none
   */
  readonly observe?: Pick<RuntimeOptions, 'metrics'>;
  /** Retained commandIds already in the ledger journal before the runtime opens (bench/aged-ledger.ts). @default 0 */
  readonly agedLedger?: number;
}

/**
 * A fresh commandId per command, the opens too (`count` of them): random UUIDs, the ledger's
 * least favourable order, drawn before the timed part like the rest of the workload.
 */
function withCommandIds(count: number): BankSendOptions {
  const ids = createCommandIds(count);
  let next = 0;
  return () => ({ commandId: commandIdOf(ids, next++) });
}

/** Everything one run measures; each scenario reports the figures issue 5 names for it. */
interface BankMeasurement {
  /** Accepted commands per second. */
  readonly perSec: number;
  /** Commands refused by the domain: issued and answered, not counted in perSec. */
  readonly refused: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly diskBytesPerEvent: number | undefined;
  readonly n: number;
}

/** Opens the accounts (untimed), then times the deposits and withdrawals. */
async function measureBank(context: ScenarioContext, run: BankRun): Promise<BankMeasurement> {
  const n = context.quick ? run.commands / 10 : run.commands;
  const workload = createBankWorkload({ accounts: ACCOUNTS, commands: n, seed: SEED });
  const definition = run.definition ?? account;
  if (run.agedLedger) {
    await fillLedger(context.dir, workload.ids, run.agedLedger);
    context.progress(`the ledger holds ${run.agedLedger.toLocaleString('en-US')} retained commandIds`);
  }
  const opening = performance.now();
  const runtime = await createRuntime({ path: context.dir, aggregates: [definition], durability: run.durability, ...run.observe });
  if (run.agedLedger) context.progress(`the runtime opened in ${Math.round(performance.now() - opening).toLocaleString('en-US')} ms`);
  const options = run.commandIds === true ? withCommandIds(ACCOUNTS + n) : NO_OPTIONS;
  try {
    await openAccounts(runtime, account.type, workload, OPEN_INFLIGHT, options);
    context.progress(
      `${ACCOUNTS.toLocaleString('en-US')} accounts open; timing ${n.toLocaleString('en-US')} commands, ${run.inflight} in flight; ` +
        `events ${Math.round(eventBytes(workload))} B each as stored`,
    );
    const before = runtime.metrics();
    const tally = createTally();
    const latency = createLatencyRecorder();
    const disk = startDiskWrites();
    const { elapsedMs } = await runPipelined({
      n, inflight: run.inflight, latency, issue: (i) => sendBankCommand(runtime, account.type, workload, i, tally, options),
    });
    const after = runtime.metrics();
    const registry = run.observe?.metrics?.registry;
    if (registry) context.progress(`scraped the service registry: ${(await registry.metrics()).length.toLocaleString('en-US')} characters of metrics`);
    // Counted through close(): the heads written behind are these commands' writes too.
    await runtime.close();
    const written = disk();
    const commits = after.commits - before.commits;
    const events = after.eventsCommitted - before.eventsCommitted;
    const diskBytesPerEvent = written === undefined ? undefined : written.storage / tally.accepted;
    const perSec = acceptedPerSec(tally.accepted, elapsedMs);
    context.progress(
      `${Math.round(perSec).toLocaleString('en-US')} accepted/s; ${tally.accepted.toLocaleString('en-US')} accepted, ` +
        `${tally.refused.toLocaleString('en-US')} refused (insufficient funds); ${commits} commits of ${Math.round(events / Math.max(1, commits))} events; ` +
        `p50 ${latency.percentileMs(50).toFixed(2)} ms, p99 ${latency.percentileMs(99).toFixed(2)} ms` +
        (diskBytesPerEvent === undefined ? '' : `; ${Math.round(diskBytesPerEvent).toLocaleString('en-US')} B to storage per event`),
    );
    return { perSec, refused: tally.refused, p50Ms: latency.percentileMs(50), p99Ms: latency.percentileMs(99), diskBytesPerEvent, n };
  } finally {
    await runtime.close();
  }
}

/** Throughput, latency and (on Linux) disk bytes per event of one run. */
function figuresOf(measured: BankMeasurement): Figures {
  const { perSec, refused, p50Ms, p99Ms, diskBytesPerEvent, n } = measured;
  const figures: Figures = { perSec, refused, p50Ms, p99Ms, n };
  if (diskBytesPerEvent !== undefined) figures.diskBytesPerEvent = diskBytesPerEvent;
  return figures;
}

/** The p50 of a scenario in this run, for a p99 bound relative to it. */
function p50Of(key: string): Reference {
  return { label: `${key} p50`, value: (results) => results.get(key)?.p50Ms };
}

const throughput: Scenario = {
  key: 'commands.10k',
  title: 'bank workload on 10,000 aggregates, 1,000 in flight, durable',
  rounds: 3,
  settings: "durability 'sync' (ack after fsync), runtime defaults; 10,000 accounts opened first (untimed), deposits/withdrawals uniformly at random, 1,000 in flight",
  figures: {
    perSec: {
      against: LIMIT,
      peer: [PEER, POSTGRES_PEER],
      targets: [{ op: '>=', value: 0.8, of: LIMIT }, { op: '>=', value: 10, of: PEER }, { op: '>=', value: 50, of: POSTGRES_PEER }],
    },
    p99Ms: { against: p50Of('commands.10k'), targets: [{ op: '<=', value: 2.5, of: p50Of('commands.10k') }] },
    diskBytesPerEvent: { targets: [{ op: '<=', value: 2_500 }] },
  },
  run: async (context) => figuresOf(await measureBank(context, { inflight: 1_000, durability: 'sync', commands: BANK_COMMANDS })),
};

const THROUGHPUT = figureOf('commands.10k', 'perSec');

/**
 * commands.10k observed as a service wires it: the metrics in the service's prom-client registry
 * (scraped once after the timed part) and a registered tracer sampling with `sampler` (every trace by default).
 */
async function measureObserved(context: ScenarioContext, sampler?: Sampler): Promise<Figures> {
  const unregister = registerDroppingTracer(sampler);
  try {
    return figuresOf(await measureBank(context, { inflight: 1_000, durability: 'sync', commands: BANK_COMMANDS, observe: { metrics: { registry: new Registry() } } }));
  } finally {
    await unregister();
  }
}

const observed: Scenario = {
  key: 'commands.10k.observed',
  title: "commands.10k observed: metrics in a service's prom-client registry and an active OpenTelemetry tracer",
  rounds: 3,
  settings:
    "as commands.10k, createRuntime({ metrics: { registry } }) with a service's prom-client Registry (scraped once after the timed part), and a " +
    'registered BasicTracerProvider (every span sampled, a batch processor, an exporter that drops them): rehydra.send, rehydra.decide, rehydra.commit per command',
  // Shown against the traced ceiling (raw.otel.spans): how much of the distance to the target the spans alone explain.
  figures: { perSec: { against: TRACED_CEILING, targets: [{ op: '>=', value: 0.9, of: THROUGHPUT }] }, p99Ms: { against: p50Of('commands.10k.observed') } },
  run: (context) => measureObserved(context),
};

/** One trace in ten, decided at the root and followed by every child: what a production service configures. */
const ONE_IN_TEN = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) });

const sampled: Scenario = {
  key: 'commands.10k.sampled',
  title: 'commands.10k.observed with one trace in ten sampled, as services run in production',
  rounds: 3,
  settings:
    'as commands.10k.observed, the provider with ParentBasedSampler(TraceIdRatioBasedSampler(0.1)): a command outside the sample makes no ' +
    'span, and its events still carry its traceparent',
  figures: { perSec: { against: THROUGHPUT }, p99Ms: { against: p50Of('commands.10k.sampled') } },
  run: (context) => measureObserved(context, ONE_IN_TEN),
};

/** Issue 10's targets with a commandId on every command: the disk target, and ≥ 0.8× the same commands without ids. */
const IDEMPOTENT_TARGETS: Scenario['figures'] = {
  perSec: { against: THROUGHPUT, targets: [{ op: '>=', value: 0.8, of: THROUGHPUT }] },
  diskBytesPerEvent: { targets: [{ op: '<=', value: 2_500 }] },
};

const idempotent: Scenario = {
  key: 'commands.10k.idempotent',
  title: 'bank workload on 10,000 aggregates, 1,000 in flight, durable, a commandId on every command',
  rounds: 3,
  settings:
    'as commands.10k with a fresh random UUID as the commandId of every command (the opens too; drawn before the timed part, read from bytes per send ' +
    'as a server reads a request), ledger retention at its defaults (24 h, 1,000,000 ids)',
  figures: IDEMPOTENT_TARGETS,
  run: async (context) => figuresOf(await measureBank(context, { inflight: 1_000, durability: 'sync', commands: 200_000, commandIds: true })),
};

/** The default retention's count: the ledger at the size it keeps from then on; a tenth in --quick. */
const AGED_LEDGER_ENTRIES = 1_000_000;

const agedIdempotent: Scenario = {
  key: 'commands.10k.idempotent.aged',
  title: 'commands.10k.idempotent on a ledger already at its default retention (1,000,000 retained commandIds)',
  rounds: 3,
  expectedSeconds: 60,
  settings:
    'as commands.10k.idempotent, the ledger journal filled first with 1,000,000 retained ids of the same accounts, so that every command ' +
    'trims one (bench/aged-ledger.ts; --quick: a tenth); the runtime opens on it (its open time is in the progress line), untimed',
  figures: IDEMPOTENT_TARGETS,
  run: async (context) =>
    figuresOf(
      await measureBank(context, {
        inflight: 1_000, durability: 'sync', commands: 200_000, commandIds: true, agedLedger: context.quick ? AGED_LEDGER_ENTRIES / 10 : AGED_LEDGER_ENTRIES,
      }),
    ),
};

const validated: Scenario = {
  key: 'commands.10k.validated',
  title: 'commands.10k with a zod schema on every command: the cost of validation',
  rounds: 3,
  settings: 'as commands.10k, the account defined with a zod 4 schema per command (fixtures/bank-account.ts validatedAccount)',
  figures: { perSec: { against: figureOf('commands.10k', 'perSec') }, p99Ms: { against: p50Of('commands.10k.validated') } },
  run: async (context) => {
    const { perSec, refused, p50Ms, p99Ms, n } = await measureBank(context, { definition: validatedAccount, inflight: 1_000, durability: 'sync', commands: 200_000 });
    return { perSec, refused, p50Ms, p99Ms, n };
  },
};

/** Workload commands cycled by the validation micro-benchmark (a power of two). */
const ADMITS = 1 << 14;

const validation: Scenario = {
  key: 'commands.validate',
  title: 'admitting one bank command through its zod schema alone (what validation adds to a command)',
  rounds: 3,
  settings: 'admit() of the commands.10k workload commands against validatedAccount, in process, no runtime; tinybench, one command per iteration',
  // Against commands.10k's rate: 40× means validating costs 1/40 of a whole durable command.
  figures: { perSec: { against: figureOf('commands.10k', 'perSec') } },
  run: async (context) => {
    const workload = createBankWorkload({ accounts: ACCOUNTS, commands: ADMITS, seed: SEED });
    const commands = Array.from({ length: ADMITS }, (_, i) => bankCommand(workload, i));
    let next = 0;
    const { perSec, n } = await measureMicro('admit, validated', () => void admit(validatedAccount, 'account/a-1', commands[next++ & (ADMITS - 1)]!), {
      quick: context.quick,
    });
    if (perSec === undefined) throw new Error('tinybench gave no rate for "admit, validated"');
    context.progress(`${(1e6 / perSec).toFixed(2)} µs per validated command over ${n.toLocaleString('en-US')} samples`);
    return { perSec, n };
  },
};

const opens: Scenario = {
  key: 'commands.open',
  title: "first commands on 10,000 new aggregates (the bank workload's opens), 1,000 in flight, durable",
  rounds: 3,
  settings: "durability 'sync', runtime defaults; an empty log, one open per new account id (10,000 in --quick too), 1,000 in flight: every command starts an actor",
  figures: {
    perSec: { against: THROUGHPUT, targets: [{ op: '>=', value: 0.8, of: THROUGHPUT }] },
    p99Ms: { against: p50Of('commands.open') },
  },
  run: async (context) => {
    const workload = createBankWorkload({ accounts: ACCOUNTS, commands: 0, seed: SEED });
    const runtime = await createRuntime({ path: context.dir, aggregates: [account] });
    try {
      const latency = createLatencyRecorder();
      const { perSec } = await openAccounts(runtime, account.type, workload, OPEN_INFLIGHT, NO_OPTIONS, latency);
      const p50Ms = latency.percentileMs(50);
      const p99Ms = latency.percentileMs(99);
      context.progress(`${Math.round(perSec).toLocaleString('en-US')}/s; p50 ${p50Ms.toFixed(2)} ms, p99 ${p99Ms.toFixed(2)} ms`);
      return { perSec, p50Ms, p99Ms, n: ACCOUNTS };
    } finally {
      await runtime.close();
    }
  },
};

const latency: Scenario = {
  key: 'latency.c64',
  title: 'bank workload on 10,000 aggregates, 64 in flight, durable: latency',
  rounds: 3,
  settings: "as commands.10k with 64 commands in flight (durability 'sync')",
  // No peer ratio: Emmett runs at 1,000 in flight, so its rate is not comparable with this one's.
  figures: { perSec: { against: LIMIT }, p99Ms: { targets: [{ op: '<=', value: 5 }] } },
  run: async (context) => {
    const { perSec, refused, p50Ms, p99Ms, n } = await measureBank(context, { inflight: 64, durability: 'sync', commands: 60_000 });
    return { perSec, refused, p50Ms, p99Ms, n };
  },
};

const asyncDurability: Scenario = {
  key: 'commands.async',
  title: "bank workload on 10,000 aggregates, 1,000 in flight, durability 'async' (ack at commit)",
  rounds: 3,
  settings: "as commands.10k with durability 'async': acked at commit, before fsync (a power loss may take the last commits)",
  figures: { perSec: { against: LIMIT, peer: PEER } },
  run: async (context) => {
    const { perSec, refused, p99Ms, n } = await measureBank(context, { inflight: 1_000, durability: 'async', commands: 200_000 });
    return { perSec, refused, p99Ms, n };
  },
};

export const scenarios: readonly Scenario[] = [throughput, observed, sampled, opens, idempotent, agedIdempotent, validated, validation, latency, asyncDurability];
