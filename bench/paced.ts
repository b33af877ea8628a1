// The load generator for "a steady rate of operations": unlike pipeline.ts (as fast as K in
// flight allow), it issues operations on a schedule, as independent clients do, whether or not
// earlier ones have completed; each wake-up issues, in one burst, every operation now due.

/** Options of `runPaced`. */
export interface PacedOptions {
  /** Operations per second to issue. */
  readonly rate: number;
  /** How long to issue for, in ms: `rate × durationMs / 1000` operations in all. */
  readonly durationMs: number;
  /** Starts operation `i`; it is complete when the returned promise resolves. */
  issue(i: number): PromiseLike<unknown>;
}

/** What a paced run achieved: operations issued, and the rate they were issued at (below `rate` if the issuer fell behind). */
export interface PacedResult {
  readonly n: number;
  readonly issuedPerSec: number;
}

/** How often the pacer wakes up (ms): 20 wake-ups a second keep bursts small at any rate. */
const TICK_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Issues `rate` operations per second for `durationMs`, then waits for all of them; rejects with the first failure. */
export async function runPaced(options: PacedOptions): Promise<PacedResult> {
  const { rate, durationMs, issue } = options;
  const n = Math.round((rate * durationMs) / 1_000);
  const pending: Promise<void>[] = [];
  // Caught as issued: a failure seen only after the last issue would be an unhandled rejection.
  let failure: { error: unknown } | undefined;
  const start = performance.now();
  let next = 0;
  while (next < n && !failure) {
    const due = Math.min(n, Math.floor(((performance.now() - start) * rate) / 1_000));
    for (; next < due; next++) pending.push(Promise.resolve(issue(next)).then(() => undefined, (error: unknown) => void (failure ??= { error })));
    if (next < n) await sleep(TICK_MS);
  }
  const issuedPerSec = (next * 1_000) / (performance.now() - start);
  await Promise.all(pending);
  if (failure) throw failure.error;
  return { n, issuedPerSec };
}
