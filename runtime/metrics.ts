// Counters, the command-latency and the timer-lateness histograms. Recording is on the hot path,
// so it is a few integer increments and one HDR histogram record (hdr-histogram-js, pure JS build).
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
  timersArmed = 0;
  timersFailed = 0;
  /** Fired timers whose deadline had passed before this runtime started. */
  timersOverdue = 0;
  /** Command latency, µs. */
  private readonly latency = microsHistogram();
  /** How late timers fired past their deadline, µs. */
  private readonly lateness = microsHistogram();

  /** Commands submitted but not yet acknowledged or rejected. */
  get outstanding(): number {
    return this.commandsSubmitted - this.commandsAccepted - this.commandsRejected;
  }

  accepted(micros: number): void {
    this.commandsAccepted++;
    this.latency.recordValue(Math.max(1, Math.round(micros)));
  }

  /** A timer fired `latenessMs` past its deadline; `overdue` if that deadline passed before this runtime started. */
  timerFired(latenessMs: number, overdue: boolean): void {
    if (overdue) this.timersOverdue++;
    this.lateness.recordValue(Math.max(1, Math.round(latenessMs * 1000)));
  }

  get timersFired(): number {
    return this.lateness.totalCount;
  }

  latencySummary(): LatencySummary {
    return summaryOf(this.latency);
  }

  latenessSummary(): LatencySummary {
    return summaryOf(this.lateness);
  }
}

/** 1 µs to an hour, 2 significant digits. */
function microsHistogram(): Histogram {
  return build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2 });
}

function summaryOf(h: Histogram): LatencySummary {
  return { count: h.totalCount, p50Ms: h.getValueAtPercentile(50) / 1000, p99Ms: h.getValueAtPercentile(99) / 1000, maxMs: h.maxValue / 1000 };
}
