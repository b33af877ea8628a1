// metrics() in the Prometheus text exposition format (version 0.0.4), for a /metrics endpoint:
// counters end in _total, latency is in seconds, and label values are escaped as the format
// requires (backslash, double quote, newline) because projection names are user text.
import type { RuntimeMetrics } from './types.js';

type Kind = 'counter' | 'gauge' | 'summary';

/** Escapes a label value: `\` → `\\`, `"` → `\"`, newline → `\n`. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

// Go's ParseFloat spellings, which Prometheus expects for non-finite values.
function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function family(lines: string[], name: string, kind: Kind, help: string, samples: readonly [string, number][]): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${kind}`);
  for (const [suffix, value] of samples) lines.push(`${name}${suffix} ${formatNumber(value)}`);
}

function projectionSamples(metrics: RuntimeMetrics, field: 'position' | 'lag'): [string, number][] {
  return Object.entries(metrics.projections).map(([name, p]) => [`{projection="${escapeLabelValue(name)}"}`, p[field]]);
}

/** Formats a metrics() result as Prometheus text, one family per metric, ending in a newline. */
export function formatMetricsText(metrics: RuntimeMetrics): string {
  const lines: string[] = [];
  const counter = (name: string, help: string, value: number): void => family(lines, name, 'counter', help, [['', value]]);
  const gauge = (name: string, help: string, value: number): void => family(lines, name, 'gauge', help, [['', value]]);
  counter('rehydra_commands_accepted_total', 'Commands acknowledged (their events durable).', metrics.commandsAccepted);
  counter('rehydra_commands_rejected_total', 'Commands rejected.', metrics.commandsRejected);
  counter('rehydra_commits_total', 'Group commits of the event log.', metrics.commits);
  counter('rehydra_events_committed_total', 'Events committed to the log.', metrics.eventsCommitted);
  counter('rehydra_rehydrations_total', 'Actors rebuilt from storage.', metrics.rehydrations);
  counter('rehydra_passivations_total', 'Idle actors passivated.', metrics.passivations);
  counter('rehydra_snapshots_written_total', 'Aggregate snapshots written.', metrics.snapshotsWritten);
  counter('rehydra_snapshots_failed_total', 'Aggregate snapshot writes that failed (commands unaffected).', metrics.snapshotsFailed);
  counter('rehydra_timers_armed_total', 'Durable timers armed.', metrics.timersArmed);
  counter('rehydra_timers_fired_total', 'Durable timers fired.', metrics.timersFired);
  counter('rehydra_timers_overdue_total', 'Timers fired whose deadline passed before the runtime started.', metrics.timersOverdue);
  counter('rehydra_timers_failed_total', 'Timer firings that failed (retried).', metrics.timersFailed);
  gauge('rehydra_live_actors', 'Actors in memory.', metrics.liveActors);
  gauge('rehydra_queued_commands', 'Commands queued or waiting for durability, over all actors.', metrics.queuedCommands);
  gauge('rehydra_max_mailbox_depth', 'Deepest mailbox of a live actor.', metrics.maxMailboxDepth);
  gauge('rehydra_head_position', 'Position of the last durable event.', metrics.headPosition);
  family(lines, 'rehydra_projection_position', 'gauge', 'Last position a projection applied.', projectionSamples(metrics, 'position'));
  family(lines, 'rehydra_projection_lag', 'gauge', 'Events a projection is behind the head.', projectionSamples(metrics, 'lag'));
  // No _sum: the HDR histogram keeps counts per bucket, not the total; Prometheus accepts a summary without it.
  family(lines, 'rehydra_command_latency_seconds', 'summary', 'Command latency from send to acknowledgement.', [
    ['{quantile="0.5"}', metrics.latency.p50Ms / 1000],
    ['{quantile="0.99"}', metrics.latency.p99Ms / 1000],
    ['_count', metrics.latency.count],
  ]);
  family(lines, 'rehydra_timer_lateness_seconds', 'summary', 'How late durable timers fired past their deadline, until durable.', [
    ['{quantile="0.5"}', metrics.timerLateness.p50Ms / 1000],
    ['{quantile="0.99"}', metrics.timerLateness.p99Ms / 1000],
    ['_count', metrics.timerLateness.count],
  ]);
  return `${lines.join('\n')}\n`;
}
