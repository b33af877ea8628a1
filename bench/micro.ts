// Fixed-op microbenchmarks (one synchronous call measured many times, e.g. a bare XState send)
// through tinybench, turned into the harness's figures. Pipelines of durable operations are not
// this: they are timed as a whole by pipeline.ts.
import { Bench } from 'tinybench';
import type { Figures } from './scenario.js';

/** Options of `measureMicro`. */
export interface MicroOptions {
  readonly quick: boolean;
  /** Runs before the warm-up and before the timed iterations, outside both. */
  readonly setup?: () => void | Promise<void>;
}

/** Times `fn` with tinybench (2 s, or 200 ms in --quick); perSec is 1 / mean latency. */
export async function measureMicro(name: string, fn: () => void, options: MicroOptions): Promise<Figures> {
  const bench = new Bench({
    time: options.quick ? 200 : 2_000,
    warmupTime: options.quick ? 50 : 300,
    throws: true,
    ...(options.setup ? { setup: options.setup } : {}),
  });
  bench.add(name, fn);
  const [task] = await bench.run();
  const result = task?.result;
  if (!result || !('latency' in result)) throw new Error(`tinybench did not complete "${name}" (state ${result?.state ?? 'missing'})`);
  return { perSec: 1_000 / result.latency.mean, p50Ms: result.latency.p50, p99Ms: result.latency.p99, n: result.latency.samplesCount };
}
