// Counters and the command-latency histogram. Recording is on the hot path, so it is a few
// integer increments and one HDR histogram record (hdr-histogram-js, pure JS build).
import { build, type Histogram } from 'hdr-histogram-js';
import type { LatencySummary } from './types.js';

/** Mutable counters owned by one runtime. */
export class MetricsRecorder {
  commandsSubmitted = 0;
  commandsAccepted = 0;
  commandsRejected = 0;
  rehydrations = 0;
  passivations = 0;
  snapshotsWritten = 0;
  snapshotsFailed = 0;
  timersFired = 0;
  timersFailed = 0;
  timerLateness = { maxMs: 0, lastMs: 0 };
  private readonly latency: Histogram = build({
    useWebAssembly: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 2,
  });

  /** Commands submitted but not yet acknowledged or rejected. */
  get outstanding(): number {
    return this.commandsSubmitted - this.commandsAccepted - this.commandsRejected;
  }

  accepted(micros: number): void {
    this.commandsAccepted++;
    this.latency.recordValue(Math.max(1, Math.round(micros)));
  }

  latencySummary(): LatencySummary {
    const h = this.latency;
    return {
      count: h.totalCount,
      p50Ms: h.getValueAtPercentile(50) / 1000,
      p99Ms: h.getValueAtPercentile(99) / 1000,
      maxMs: h.maxValue / 1000,
    };
  }
}
