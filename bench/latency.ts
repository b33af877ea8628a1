// Latency percentiles with an HDR histogram (3 significant digits, nanosecond units), using the
// pure-JS build so that no WebAssembly start-up or memory sits inside a measured run.
import { build, type Histogram } from 'hdr-histogram-js';

/** Records durations in milliseconds; reads p50/p99 back in milliseconds. */
export interface LatencyRecorder {
  record(ms: number): void;
  readonly count: number;
  percentileMs(percentile: number): number;
}

export function createLatencyRecorder(): LatencyRecorder {
  const histogram: Histogram = build({ useWebAssembly: false, numberOfSignificantValueDigits: 3 });
  return {
    // Nanosecond integers: HDR histograms count integers, and sub-µs gaps must not round to zero.
    record: (ms) => histogram.recordValue(Math.max(0, Math.round(ms * 1e6))),
    get count() {
      return histogram.totalCount;
    },
    percentileMs: (percentile) => histogram.getValueAtPercentile(percentile) / 1e6,
  };
}
