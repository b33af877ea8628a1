// The load generator for "N durable operations with K in flight": keep K outstanding, and when
// the window is full wait for the oldest. It never issues → awaits → issues one at a time: on each
// wake-up it refills every freed slot in one synchronous burst, as a server does with the requests
// that arrived while it waited, so writers that batch per tick see realistic batches.
import type { LatencyRecorder } from './latency.js';

/** Options of `runPipelined`. */
export interface PipelineOptions {
  /** Operations to run. */
  readonly n: number;
  /** Operations outstanding at once. */
  readonly inflight: number;
  /** Starts operation `i`; it is complete when the returned promise resolves. */
  issue(i: number): PromiseLike<unknown>;
  /** Receives each operation's issue→resolve time in ms. */
  readonly latency?: LatencyRecorder;
}

/** Wall time of the whole run, first issue to last completion. */
export interface PipelineResult {
  readonly elapsedMs: number;
  readonly perSec: number;
}

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs `n` operations with `inflight` outstanding; rejects with the first failure. */
export async function runPipelined(options: PipelineOptions): Promise<PipelineResult> {
  const { n, inflight, issue, latency } = options;
  const ring = new Array<PromiseLike<void>>(inflight);
  const settled = new Uint8Array(inflight);
  const startedAt = new Float64Array(inflight);
  let failure: { error: unknown } | undefined;
  let next = 0;
  let oldest = 0;
  const start = performance.now();
  while (oldest < n) {
    for (; next < n && next - oldest < inflight; next++) {
      const slot = next % inflight;
      settled[slot] = 0;
      if (latency) startedAt[slot] = performance.now();
      ring[slot] = issue(next).then(
        () => {
          settled[slot] = 1;
          if (latency) latency.record(performance.now() - startedAt[slot]!);
        },
        (error: unknown) => {
          settled[slot] = 1;
          failure ??= { error };
        },
      );
    }
    if (failure) throw failure.error;
    while (oldest < next && settled[oldest % inflight] === 1) oldest++;
    if (oldest < next) {
      await ring[oldest % inflight];
      // Let every completion of the same commit run before refilling, so the refill is one burst.
      await nextMacrotask();
    }
  }
  if (failure) throw failure.error;
  const elapsedMs = performance.now() - start;
  return { elapsedMs, perSec: (n * 1000) / elapsedMs };
}
