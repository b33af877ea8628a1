// What a benchmark scenario is: a key (the JSON name), a question-sized title, a run that
// returns figures, and how each figure is judged (target, baseline, peer), all against values
// measured in the same run so that ratios stay meaningful on a shared, noisy machine.

/** The figures a scenario can report; `n` is how many operations (or events) were measured. */
export interface Figures {
  perSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  ms?: number;
  bytes?: number;
  diskBytesPerEvent?: number;
  /** How late the 99th percentile of durable timers fired past their deadline (bench/timers.bench.ts). */
  p99LateMs?: number;
  /** From reopening a runtime to every overdue timer fired (bench/timers.bench.ts). */
  restartOverdueMs?: number;
  /** Commands the domain refused (withdrawals over the balance): issued and answered, but not in `perSec`. */
  refused?: number;
  n: number;
  /** Points of a latency–throughput curve (bench/curve.bench.ts), drawn as docs/benchmarks-curve.svg. */
  curve?: readonly CurvePoint[];
}

/** One system at one concurrency: its rate and latency percentiles. */
export interface CurvePoint {
  readonly system: string;
  readonly inflight: number;
  readonly perSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export type FigureName = Exclude<keyof Figures, 'n' | 'curve'>;

/** Every figure name, in the order the table shows them. */
export const FIGURE_NAMES: readonly FigureName[] = [
  'perSec', 'refused', 'ms', 'p50Ms', 'p99Ms', 'p99LateMs', 'restartOverdueMs', 'bytes', 'diskBytesPerEvent',
];

/** Every figure of this run so far, by scenario key. */
export type Results = ReadonlyMap<string, Figures>;

/** A value taken from this run's results: a limit, a baseline or a peer. */
export interface Reference {
  readonly label: string;
  value(results: Results): number | undefined;
}

/** A bound on a figure: absolute, or as a factor of a reference (`≥ 0.5 × raw.lmdb.put`). */
export interface Bound {
  readonly op: '>=' | '<=';
  readonly value: number;
  readonly of?: Reference;
}

/** How the table shows and judges one figure. */
export interface FigureSpec {
  /** Shown instead of the figure's name, e.g. "commit→flushed gap". */
  readonly label?: string;
  /** The denominator of the "vs limit/baseline" column. */
  readonly against?: Reference;
  /** The denominator of the "vs peer" column; several peers are shown side by side. */
  readonly peer?: Reference | readonly Reference[];
  readonly targets?: readonly Bound[];
}

/** Given to `run`: one fresh temp directory (removed afterwards), the size flag and a logger. */
export interface ScenarioContext {
  readonly quick: boolean;
  readonly dir: string;
  progress(message: string): void;
}

/** One measured question; `settings` (durability flags and the like) is printed with the table. */
export interface Scenario {
  readonly key: string;
  readonly title: string;
  readonly settings?: string;
  /** Rounds in a full run (interleaved with other scenarios' rounds, median kept); 1 in --quick. @default 1 */
  readonly rounds?: number;
  /** Seconds one full-size round takes on the reference machine, for the progress bar's time left. @default 6 */
  readonly expectedSeconds?: number;
  readonly figures?: Partial<Record<FigureName, FigureSpec>>;
  run(context: ScenarioContext): Promise<Figures>;
}

/**
 * Thrown by a scenario whose outside requirement is missing on this machine (e.g. no PostgreSQL
 * server): the runner notes the reason and goes on, the run does not fail, and every ratio to the
 * scenario's figures shows as not measured.
 */
export class ScenarioSkipped extends Error {
  constructor(readonly scenario: string, reason: string) {
    super(`${scenario} skipped: ${reason}`);
  }
}

/** A reference to another scenario's figure in the same run, e.g. `figureOf('raw.lmdb.put', 'perSec')`. */
export function figureOf(key: string, figure: FigureName): Reference {
  return { label: key, value: (results) => results.get(key)?.[figure] };
}
