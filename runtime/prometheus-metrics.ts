// The runtime's metrics as prom-client families in one registry (the caller's or its own), so they
// aggregate across instances and sit beside the service's own. Durations and sizes are histograms
// observed as they happen, through label children bound once per aggregate type at start; every
// counter and gauge is read from the runtime when the registry is scraped (prom-client `collect`),
// so a command costs one histogram observation and two integer increments, nothing more.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { RehydraError, RuntimeClosedError } from '../storage/errors.js';
import type { RuntimeMetrics } from './types.js';

/** What a scrape reads from the runtime, once per scrape. */
export interface ScrapeView {
  readonly metrics: RuntimeMetrics;
  /** Projections with a partition stopped on an event its handler failed. */
  readonly failedProjections: ReadonlySet<string>;
}

type Observer = ReturnType<Histogram<string>['labels']>;

/** The series of one aggregate type, bound once so the hot path does no label lookup. */
interface AggregateSeries {
  accepted: number;
  rejected: number;
  readonly acceptedSeconds: Observer;
  readonly rejectedSeconds: Observer;
  readonly rehydrationSeconds: Observer;
}

/** Commands from a fraction of a millisecond (async, idle) to seconds (a saturated fsync'ing disk). */
const COMMAND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const COMMIT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
const REHYDRATION_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1];
/** Late timers range from a scheduler tick to a runtime that was down for hours. */
const LATENESS_BUCKETS = [0.001, 0.01, 0.1, 1, 10, 60, 600, 3600];

/** The error-code label of a refused command: RehydraError's code, else the error's class name (a domain refusal). */
export function refusalCode(error: unknown): string {
  if (error instanceof RehydraError) return error.code;
  const name = (error as { constructor?: { name?: unknown } } | null | undefined)?.constructor?.name;
  return typeof name === 'string' && name.length > 0 ? name : 'unknown';
}

/** One runtime's families in `registry`; throws TypeError if the registry holds another open runtime's. */
export class PrometheusMetrics {
  /** By name: prom-client's types do not expose a metric's name. */
  private readonly families = new Map<string, Counter<string> | Gauge<string> | Histogram<string>>();
  private readonly byType = new Map<string, AggregateSeries>();
  private readonly refusals = new Map<string, number>();
  private readonly commitBatch: Histogram<string>;
  private readonly commitSeconds: Histogram<string>;
  private readonly latenessSeconds: Histogram<string>;
  private current: ScrapeView | undefined;
  /** Set once the runtime is up: a scrape before that reports no counts or gauges. */
  private scrape: (() => ScrapeView) | undefined;
  private closed = false;

  constructor(private readonly registry: Registry, aggregateTypes: Iterable<string>) {
    const commandSeconds = this.histogram('rehydra_command_duration_seconds', 'Command latency from send to its acknowledgement (events durable) or rejection.', ['aggregate', 'outcome'], COMMAND_BUCKETS);
    const rehydrationSeconds = this.histogram('rehydra_rehydration_duration_seconds', 'Time to rebuild an actor from its snapshot and events.', ['aggregate'], REHYDRATION_BUCKETS);
    this.commitBatch = this.histogram('rehydra_commit_batch_events', 'Events per group commit of the event log.', [], BATCH_BUCKETS);
    this.commitSeconds = this.histogram('rehydra_commit_duration_seconds', "Group commit time from issue to durable (fsync'd; committed under durability 'async').", [], COMMIT_BUCKETS);
    this.latenessSeconds = this.histogram('rehydra_timer_lateness_seconds', 'How late durable timers fired past their deadline, until their event was durable.', [], LATENESS_BUCKETS);
    for (const aggregate of aggregateTypes) {
      this.byType.set(aggregate, {
        accepted: 0,
        rejected: 0,
        acceptedSeconds: commandSeconds.labels(aggregate, 'accepted'),
        rejectedSeconds: commandSeconds.labels(aggregate, 'rejected'),
        rehydrationSeconds: rehydrationSeconds.labels(aggregate),
      });
      // Every series present from the start, so an alert's rate() has a zero to start from.
      commandSeconds.zero({ aggregate, outcome: 'accepted' });
      commandSeconds.zero({ aggregate, outcome: 'rejected' });
      rehydrationSeconds.zero({ aggregate });
    }
    this.counters();
    this.gauges();
  }

  /** Where scrapes read the counters and gauges from. */
  readFrom(scrape: () => ScrapeView): void {
    this.scrape = scrape;
  }

  /** A command of `aggregate` was acknowledged after `seconds`. */
  accepted(aggregate: string, seconds: number): void {
    const series = this.byType.get(aggregate);
    if (!series) return;
    series.accepted++;
    series.acceptedSeconds.observe(seconds);
  }

  /** A command an actor took was rejected after `seconds` with `error`. */
  rejected(aggregate: string, seconds: number, error: unknown): void {
    const series = this.byType.get(aggregate);
    if (series) {
      series.rejected++;
      series.rejectedSeconds.observe(seconds);
    }
    this.refused(error);
  }

  /** A send refused before any actor took it (invalid, unknown, at the actor cap, closed). */
  refused(error: unknown): void {
    const code = refusalCode(error);
    this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1);
  }

  rehydrated(aggregate: string, seconds: number): void {
    this.byType.get(aggregate)?.rehydrationSeconds.observe(seconds);
  }

  committed(events: number, seconds: number): void {
    this.commitBatch.observe(events);
    this.commitSeconds.observe(seconds);
  }

  timerFired(latenessSeconds: number): void {
    this.latenessSeconds.observe(latenessSeconds);
  }

  /** This runtime's families in the Prometheus text format, rendered by prom-client. */
  async text(): Promise<string> {
    if (this.closed) throw new RuntimeClosedError('metricsText');
    const texts = await Promise.all([...this.families.keys()].map((name) => this.registry.getSingleMetricAsString(name)));
    return `${texts.join('\n')}\n`;
  }

  /** Removes this runtime's families from the registry (at close: nothing is left to read them from). */
  unregister(): void {
    this.closed = true;
    for (const [name, family] of this.families) {
      if (this.registry.getSingleMetric(name) === family) this.registry.removeSingleMetric(name);
    }
  }

  /** The scrape's view of the runtime, read once for all families: every collect of one scrape runs in the same tick. */
  private view(): ScrapeView | undefined {
    if (!this.current && this.scrape) {
      this.current = this.scrape();
      queueMicrotask(() => (this.current = undefined));
    }
    return this.current;
  }

  private histogram(name: string, help: string, labelNames: string[], buckets: number[]): Histogram<string> {
    return this.add(name, new Histogram({ name, help, labelNames, buckets, registers: [] }));
  }

  /** Registers `family`; on a name the registry already holds, takes back this runtime's and throws. */
  private add<T extends Counter<string> | Gauge<string> | Histogram<string>>(name: string, family: T): T {
    if (this.registry.getSingleMetric(name) !== undefined) {
      this.unregister();
      throw new TypeError(
        `options.metrics.registry already holds ${name} (another open rehydra runtime's): ` +
          'give each runtime its own registry, or close the other runtime first',
      );
    }
    this.registry.registerMetric(family);
    this.families.set(name, family);
    return family;
  }

  private counter(name: string, help: string, labelNames: string[], read: (view: ScrapeView) => Iterable<readonly [Record<string, string>, number]>): void {
    const view = (): ScrapeView | undefined => this.view();
    this.add(name, new Counter({
      name, help, labelNames, registers: [],
      // Counters mirror the runtime's own tallies (what metrics() reports): set, not incremented.
      collect() {
        this.reset();
        const current = view();
        if (current) for (const [labels, value] of read(current)) this.inc(labels, value);
      },
    }));
  }

  private gauge(name: string, help: string, labelNames: string[], read: (view: ScrapeView) => Iterable<readonly [Record<string, string>, number]>): void {
    const view = (): ScrapeView | undefined => this.view();
    this.add(name, new Gauge({
      name, help, labelNames, registers: [],
      collect() {
        this.reset();
        const current = view();
        if (current) for (const [labels, value] of read(current)) this.set(labels, value);
      },
    }));
  }

  private counters(): void {
    const total = (name: string, help: string, read: (m: RuntimeMetrics) => number): void =>
      this.counter(name, help, [], (view) => [[{}, read(view.metrics)]]);
    this.counter('rehydra_commands_total', 'Commands taken by an actor, by aggregate type and outcome (accepted: events durable).', ['aggregate', 'outcome'], () =>
      [...this.byType].flatMap(([aggregate, s]) => [[{ aggregate, outcome: 'accepted' }, s.accepted], [{ aggregate, outcome: 'rejected' }, s.rejected]] as const));
    this.counter('rehydra_refusals_total', 'Rejected sends by error code (a domain refusal by its error class), at the door or by the aggregate.', ['code'], () =>
      [...this.refusals].map(([code, count]) => [{ code }, count] as const));
    total('rehydra_commits_total', 'Group commits of the event log.', (m) => m.commits);
    total('rehydra_events_committed_total', 'Events committed to the log.', (m) => m.eventsCommitted);
    total('rehydra_rehydrations_total', 'Actors rebuilt from storage.', (m) => m.rehydrations);
    total('rehydra_passivations_total', 'Idle actors passivated.', (m) => m.passivations);
    total('rehydra_snapshots_written_total', 'Aggregate snapshots written.', (m) => m.snapshotsWritten);
    total('rehydra_snapshots_failed_total', 'Aggregate snapshot writes that failed (commands unaffected).', (m) => m.snapshotsFailed);
    total('rehydra_timers_armed_total', 'Durable timers armed.', (m) => m.timersArmed);
    total('rehydra_timers_fired_total', 'Durable timers fired.', (m) => m.timersFired);
    total('rehydra_timers_overdue_total', 'Timers fired whose deadline passed before the runtime started.', (m) => m.timersOverdue);
    total('rehydra_timers_failed_total', 'Timer firings that failed (retried).', (m) => m.timersFailed);
  }

  private gauges(): void {
    const single = (name: string, help: string, read: (m: RuntimeMetrics) => number): void =>
      this.gauge(name, help, [], (view) => [[{}, read(view.metrics)]]);
    single('rehydra_live_actors', 'Actors in memory.', (m) => m.liveActors);
    single('rehydra_queued_commands', 'Commands queued or waiting for durability, over all actors.', (m) => m.queuedCommands);
    single('rehydra_max_mailbox_depth', 'Deepest mailbox of a live actor.', (m) => m.maxMailboxDepth);
    single('rehydra_head_position', 'Position of the last durable event.', (m) => m.headPosition);
    const perProjection = (read: (p: RuntimeMetrics['projections'][string], name: string, view: ScrapeView) => number) => (view: ScrapeView) =>
      Object.entries(view.metrics.projections).map(([projection, p]) => [{ projection }, read(p, projection, view)] as const);
    this.gauge('rehydra_projection_position', 'Last position a projection applied.', ['projection'], perProjection((p) => p.position));
    this.gauge('rehydra_projection_lag', 'Events a projection is behind the head.', ['projection'], perProjection((p) => p.lag));
    this.gauge('rehydra_projection_failed', '1 while a partition of the projection is stopped on an event its handler failed, else 0.', ['projection'],
      perProjection((_p, name, view) => (view.failedProjections.has(name) ? 1 : 0)));
  }
}
