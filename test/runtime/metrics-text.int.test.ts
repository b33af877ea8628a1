// metricsText() on a real runtime with a real projection worker: every sample parses back to the
// value metrics() reports, and a projection name with a quote, a backslash and a newline is escaped.
import { afterEach, describe, expect, it } from 'vitest';
import { escapeLabelValue, formatMetricsText } from '../../runtime/metrics-text.js';
import { defineProjection } from '../../projections/define-projection.js';
import type { RuntimeMetrics } from '../../runtime/types.js';
import { createTestRuntime, type TestRuntime } from '../../testing/index.js';
import { account } from '../../fixtures/bank-account.js';
import { balancesProjectionUrl } from '../../fixtures/bank-events.js';

const ODD_NAME = 'bal"ances\\v2\nx';

let test: TestRuntime | undefined;

afterEach(async () => {
  await test?.dispose();
  test = undefined;
});

/** Parses Prometheus text into sample → value, checking that each family has HELP and TYPE first. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const declared = new Set<string>();
  for (const line of text.trimEnd().split('\n')) {
    const meta = /^# (HELP|TYPE) (\w+) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') declared.add(meta[2]!);
      continue;
    }
    const sample = /^(\w+)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const family = sample[1]!.replace(/_count$/, '');
    if (!declared.has(family)) throw new Error(`sample before its # TYPE: ${line}`);
    samples.set(`${sample[1]}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return samples;
}

function expectedSamples(m: RuntimeMetrics): Map<string, number> {
  const entries: [string, number][] = [
    ['rehydra_commands_accepted_total', m.commandsAccepted],
    ['rehydra_commands_rejected_total', m.commandsRejected],
    ['rehydra_commits_total', m.commits],
    ['rehydra_events_committed_total', m.eventsCommitted],
    ['rehydra_rehydrations_total', m.rehydrations],
    ['rehydra_passivations_total', m.passivations],
    ['rehydra_snapshots_written_total', m.snapshotsWritten],
    ['rehydra_snapshots_failed_total', m.snapshotsFailed],
    ['rehydra_timers_armed_total', m.timersArmed],
    ['rehydra_timers_fired_total', m.timersFired],
    ['rehydra_timers_overdue_total', m.timersOverdue],
    ['rehydra_timers_failed_total', m.timersFailed],
    ['rehydra_live_actors', m.liveActors],
    ['rehydra_queued_commands', m.queuedCommands],
    ['rehydra_max_mailbox_depth', m.maxMailboxDepth],
    ['rehydra_head_position', m.headPosition],
    ['rehydra_command_latency_seconds{quantile="0.5"}', m.latency.p50Ms / 1000],
    ['rehydra_command_latency_seconds{quantile="0.99"}', m.latency.p99Ms / 1000],
    ['rehydra_command_latency_seconds_count', m.latency.count],
    ['rehydra_timer_lateness_seconds{quantile="0.5"}', m.timerLateness.p50Ms / 1000],
    ['rehydra_timer_lateness_seconds{quantile="0.99"}', m.timerLateness.p99Ms / 1000],
    ['rehydra_timer_lateness_seconds_count', m.timerLateness.count],
  ];
  for (const [name, p] of Object.entries(m.projections)) {
    entries.push([`rehydra_projection_position{projection="${escapeLabelValue(name)}"}`, p.position]);
    entries.push([`rehydra_projection_lag{projection="${escapeLabelValue(name)}"}`, p.lag]);
  }
  return new Map(entries);
}

describe('metricsText', () => {
  it('reports the same values as metrics(), projection labels escaped', async () => {
    const projection = defineProjection({ name: ODD_NAME, module: balancesProjectionUrl() });
    test = await createTestRuntime({ aggregates: [account], projections: [projection], workers: 1 });
    const { runtime } = test;
    await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
    await runtime.send('account', 'a-2', { type: 'open', owner: 'bob', initial: 0 });
    const last = await runtime.send('account', 'a-1', { type: 'deposit', amount: 5 });
    await expect(runtime.send('account', 'a-2', { type: 'withdraw', amount: 1 })).rejects.toThrow('insufficient funds');
    await runtime.projection(ODD_NAME).waitFor(last.position);

    const text = runtime.metricsText();
    const metrics = runtime.metrics();
    expect(metrics.commandsAccepted).toBe(3);
    expect(metrics.commandsRejected).toBe(1);
    expect(metrics.projections[ODD_NAME]).toEqual({ position: 3, lag: 0 });
    expect(parse(text)).toEqual(expectedSamples(metrics));
    expect(text).toContain('rehydra_projection_lag{projection="bal\\"ances\\\\v2\\nx"} 0\n');
    expect(text).toContain('# TYPE rehydra_commands_accepted_total counter\n');
    expect(text).toContain('# TYPE rehydra_live_actors gauge\n');
    expect(text).toContain('# TYPE rehydra_command_latency_seconds summary\n');
  });

  it('formats an idle runtime without projections, and non-finite values as Prometheus spells them', () => {
    const zero: RuntimeMetrics = {
      liveActors: 0, queuedCommands: 0, maxMailboxDepth: 0, commandsAccepted: 0, commandsRejected: 0, commits: 0,
      eventsCommitted: 0, meanBatchSize: 0, maxBatchSize: 0, latency: { count: 0, p50Ms: NaN, p99Ms: Infinity, maxMs: 0 },
      rehydrations: 0, passivations: 0, snapshotsWritten: 0, snapshotsFailed: 0, headPosition: 0, projections: {},
      timersArmed: 0, timersFired: 0, timersOverdue: 0, timersFailed: 0, timerLateness: { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 },
    };
    const text = formatMetricsText(zero);
    expect(text).toContain('rehydra_command_latency_seconds{quantile="0.5"} NaN\n');
    expect(text).toContain('rehydra_command_latency_seconds{quantile="0.99"} +Inf\n');
    expect(text).toContain('# TYPE rehydra_projection_lag gauge\n');
    expect(text).not.toContain('rehydra_projection_lag{');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('escapes backslash, double quote and newline in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('plain-name')).toBe('plain-name');
  });
});
