// Where a run is and how long it has left, on stderr: a cli-progress bar on a terminal, or one
// plain line per scenario round when stderr is a file or a CI log (no control characters there).
// Time left weighs each round by its scenario's expected seconds, scaled by the pace measured so far.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';

/** The rounds still to run and the time so far: what the time left is estimated from. */
export interface Pace {
  /** Expected seconds of every round of the run (hints, not measurements). */
  readonly totalWeight: number;
  /** Expected seconds of the rounds finished. */
  readonly doneWeight: number;
  /** Wall time the finished rounds took. */
  readonly doneMs: number;
  /** Expected seconds of the round running now, and how long it has run. */
  readonly currentWeight: number;
  readonly currentMs: number;
  /** Wall ms per expected second before any round has finished (≈ 0.1 under --quick). */
  readonly initialMsPerWeight: number;
}

/** How far the run is, in expected seconds, and the ms left at the pace of the rounds already run. */
export interface Estimate {
  readonly doneWeight: number;
  readonly leftMs: number;
}

/** Where the run stands, counting the running round as done in proportion to its time so far. */
export function estimate(pace: Pace): Estimate {
  const msPerWeight = pace.doneWeight > 0 ? pace.doneMs / pace.doneWeight : pace.initialMsPerWeight;
  // A round running longer than expected is not counted as more than done: it stays "almost done".
  const doneWeight = pace.doneWeight + Math.min(pace.currentWeight * 0.95, pace.currentMs / msPerWeight);
  return { doneWeight, leftMs: Math.max(0, (pace.totalWeight - doneWeight) * msPerWeight) };
}

/** "42s", "3m 05s". */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

/** The runner's view of the display. */
export interface RunProgress {
  /** Round `label` starts; `weight` is its scenario's expected seconds. */
  start(label: string, weight: number): void;
  /** A line of the running scenario (its progress messages, a failure), printed above the bar. */
  log(line: string): void;
  /** The round started last has ended. */
  finish(): void;
  stop(): void;
}

/** Options of `createRunProgress`. */
export interface RunProgressOptions {
  readonly rounds: number;
  readonly totalWeight: number;
  readonly initialMsPerWeight: number;
  readonly stream: NodeJS.WriteStream;
}

/** A bar when `stream` is a terminal, plain lines otherwise. */
export function createRunProgress(options: RunProgressOptions): RunProgress {
  const startedAt = performance.now();
  let doneWeight = 0;
  let doneMs = 0;
  let done = 0;
  let current = { label: '', weight: 0, startedAt };
  const pace = (): Pace => ({
    totalWeight: options.totalWeight, doneWeight, doneMs, currentWeight: current.weight,
    currentMs: performance.now() - current.startedAt, initialMsPerWeight: options.initialMsPerWeight,
  });
  const status = () => ({
    done, rounds: options.rounds, label: current.label,
    elapsed: formatDuration(performance.now() - startedAt), left: formatDuration(estimate(pace()).leftMs),
  });
  const begin = (label: string, weight: number) => {
    current = { label, weight, startedAt: performance.now() };
  };
  const finish = () => {
    doneWeight += current.weight;
    doneMs = performance.now() - startedAt;
    done++;
  };
  if (!options.stream.isTTY) return createPlainProgress(options.stream, status, begin, finish);

  const bars = new MultiBar({
    stream: options.stream,
    format: '{bar} {percentage}% · {done}/{rounds} rounds · {elapsed} elapsed, ~{left} left · {label}',
    barsize: 24,
    hideCursor: true,
    gracefulExit: true,
    linewrap: false,
  }, Presets.shades_classic);
  const bar: SingleBar = bars.create(options.totalWeight, 0, status());
  // The bar's own timer only redraws; this one moves it on while a long round runs.
  const ticker = setInterval(() => bar.update(estimate(pace()).doneWeight, status()), 1_000);
  ticker.unref();
  return {
    start: (label, weight) => {
      begin(label, weight);
      bar.update(doneWeight, status());
    },
    log: (line) => bars.log(`${line}\n`),
    finish: () => {
      finish();
      bar.update(doneWeight, status());
    },
    stop: () => {
      clearInterval(ticker);
      bars.stop();
    },
  };
}

interface Status {
  readonly done: number;
  readonly rounds: number;
  readonly label: string;
  readonly elapsed: string;
  readonly left: string;
}

/** One line per round and the scenarios' own lines, nothing redrawn. */
function createPlainProgress(
  stream: NodeJS.WriteStream, status: () => Status, begin: (label: string, weight: number) => void, finish: () => void,
): RunProgress {
  return {
    start: (label, weight) => {
      begin(label, weight);
      const now = status();
      stream.write(`[${now.done + 1}/${now.rounds}] ${now.elapsed} elapsed, ~${now.left} left · ${label}\n`);
    },
    log: (line) => stream.write(`${line}\n`),
    finish,
    stop: () => undefined,
  };
}
