// The runtime's prom-client metrics on a real runtime with a real projection worker, read the way
// Prometheus reads them: scrape the text and check names, labels and counts after known commands,
// in the runtime's own registry (metricsText) and in a caller's registry beside the service's own.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { defineProjection } from '../../projections/define-projection.js';
import { createTestRuntime, type TestRuntime } from '../../testing/index.js';
import { account, accountMachine } from '../../fixtures/bank-account.js';
import { defineAggregate } from '../../actors/define-aggregate.js';
import { projectionModule } from '../fixtures/projection-kit.js';
import { balancesProjectionUrl } from '../../fixtures/bank-events.js';
import { RuntimeClosedError } from '../../storage/errors.js';

const ODD_NAME = 'bal"ances\\v2\nx';
const ODD_LABEL = 'bal\\"ances\\\\v2\\nx';

const runtimes: TestRuntime[] = [];

afterEach(async () => {
  for (const test of runtimes.splice(0)) await test.dispose();
});

async function start(options: Omit<Parameters<typeof createTestRuntime>[0], 'aggregates'> = {}): Promise<TestRuntime> {
  const test = await createTestRuntime({ aggregates: [account], ...options });
  runtimes.push(test);
  return test;
}

/** Prometheus text → sample (name and labels as written) → value; every sample after its family's # TYPE. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const declared = new Set<string>();
  for (const line of text.trimEnd().split('\n')) {
    // prom-client writes a family with no series (no projections yet) as its HELP and TYPE and a blank line.
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\w+) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') declared.add(meta[2]!);
      continue;
    }
    const sample = /^(\w+)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const family = sample[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!declared.has(family) && !declared.has(sample[1]!)) throw new Error(`sample before its # TYPE: ${line}`);
    samples.set(`${sample[1]}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return samples;
}

/** Three accepted commands, one domain refusal, one refused at the door. */
async function knownCommands(test: TestRuntime): Promise<number> {
  const { runtime } = test;
  await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
  await runtime.send('account', 'a-2', { type: 'open', owner: 'bob', initial: 0 });
  const last = await runtime.send('account', 'a-1', { type: 'deposit', amount: 5 });
  await expect(runtime.send('account', 'a-2', { type: 'withdraw', amount: 1 })).rejects.toThrow('insufficient funds');
  await expect(runtime.send('account', 'a-2', { type: 'teleport' })).rejects.toMatchObject({ code: 'ERR_UNKNOWN_COMMAND' });
  return last.position;
}

describe('prometheus metrics', () => {
  it("renders the runtime's own registry: histograms with buckets, counters by outcome and code, projection gauges", async () => {
    const projection = defineProjection({ name: ODD_NAME, module: balancesProjectionUrl() });
    const test = await start({ projections: [projection], workers: 1 });
    const position = await knownCommands(test);
    await test.runtime.projection(ODD_NAME).waitFor(position);

    const text = await test.runtime.metricsText();
    const samples = parse(text);
    const { commits } = test.runtime.metrics();
    expect(text).toContain('# TYPE rehydra_command_duration_seconds histogram\n');
    expect(text).toContain('# TYPE rehydra_commands_total counter\n');
    expect(text).toContain('# TYPE rehydra_live_actors gauge\n');
    const expected: Record<string, number> = {
      'rehydra_command_duration_seconds_count{aggregate="account",outcome="accepted"}': 3,
      'rehydra_command_duration_seconds_bucket{le="+Inf",aggregate="account",outcome="accepted"}': 3,
      'rehydra_command_duration_seconds_count{aggregate="account",outcome="rejected"}': 1,
      'rehydra_commands_total{aggregate="account",outcome="accepted"}': 3,
      'rehydra_commands_total{aggregate="account",outcome="rejected"}': 1,
      'rehydra_refusals_total{code="InsufficientFundsError"}': 1,
      'rehydra_refusals_total{code="ERR_UNKNOWN_COMMAND"}': 1,
      'rehydra_rehydration_duration_seconds_count{aggregate="account"}': 2,
      'rehydra_rehydrations_total': 2,
      'rehydra_events_committed_total': 3,
      'rehydra_commits_total': commits,
      'rehydra_commit_batch_events_count': commits,
      'rehydra_commit_batch_events_sum': 3,
      'rehydra_commit_duration_seconds_count': commits,
      'rehydra_live_actors': 2,
      'rehydra_queued_commands': 0,
      'rehydra_head_position': 3,
      [`rehydra_projection_position{projection="${ODD_LABEL}"}`]: 3,
      [`rehydra_projection_lag{projection="${ODD_LABEL}"}`]: 0,
      [`rehydra_projection_failed{projection="${ODD_LABEL}"}`]: 0,
      'rehydra_timer_lateness_seconds_count': 0,
    };
    for (const [sample, value] of Object.entries(expected)) expect([sample, samples.get(sample)]).toEqual([sample, value]);
    // Buckets are cumulative: each at most the next, the last equal to the count.
    const buckets = [...samples].filter(([name]) => name.startsWith('rehydra_command_duration_seconds_bucket') && name.endsWith('outcome="accepted"}'));
    expect(buckets.length).toBeGreaterThan(5);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]![1]).toBeGreaterThanOrEqual(buckets[i - 1]![1]);
    expect(samples.get('rehydra_command_duration_seconds_sum{aggregate="account",outcome="accepted"}')).toBeGreaterThan(0);
  });

  it("registers into a caller's registry beside the service's own metrics, and takes its families back at close", async () => {
    const registry = new Registry();
    const requests = new Counter({ name: 'service_requests_total', help: 'Requests.', registers: [registry] });
    requests.inc(7);
    const test = await start({ metrics: { registry } });
    await knownCommands(test);

    const scraped = parse(await registry.metrics());
    expect(scraped.get('service_requests_total')).toBe(7);
    expect(scraped.get('rehydra_commands_total{aggregate="account",outcome="accepted"}')).toBe(3);
    expect(scraped.get('rehydra_command_duration_seconds_count{aggregate="account",outcome="rejected"}')).toBe(1);
    // metricsText renders the runtime's families only, not the service's.
    const own = await test.runtime.metricsText();
    expect(own).toContain('rehydra_commands_total{aggregate="account",outcome="accepted"} 3\n');
    expect(own).not.toContain('service_requests_total');

    await test.runtime.close();
    const after = await registry.metrics();
    expect(after).toContain('service_requests_total 7');
    expect(after).not.toContain('rehydra_');
    await expect(test.runtime.metricsText()).rejects.toBeInstanceOf(RuntimeClosedError);
  });

  it('refuses a second open runtime on the same registry, and takes it once the first is closed', async () => {
    const registry = new Registry();
    const first = await start({ metrics: { registry } });
    const refused = createTestRuntime({ aggregates: [account], metrics: { registry } });
    await expect(refused).rejects.toThrow(TypeError);
    await expect(refused).rejects.toThrow('options.metrics.registry already holds rehydra_command_duration_seconds');
    // The refusal left the first runtime's families in place.
    await first.runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 1 });
    expect(await registry.metrics()).toContain('rehydra_commands_total{aggregate="account",outcome="accepted"} 1\n');

    await first.runtime.close();
    const second = await start({ metrics: { registry } });
    await second.runtime.send('account', 'a-9', { type: 'open', owner: 'cy', initial: 1 });
    expect(await registry.metrics()).toContain('rehydra_commands_total{aggregate="account",outcome="accepted"} 1\n');
  });

  it('flags a projection stopped on a failing event, and clears the flag once it resumes past it', async () => {
    // The account, its deposits carrying the poison projection's flag file in their data.
    const poisonable = defineAggregate({
      type: 'account', machine: accountMachine,
      commands: { ...account.commands, deposit: (cmd: { amount: number; poisonFlag: string }) => ({ type: 'MoneyDeposited' as const, amount: cmd.amount, poisonFlag: cmd.poisonFlag }) },
    });
    const dir = mkdtempSync(join(tmpdir(), 'rehydra-poison-'));
    try {
      const flag = join(dir, 'poison.flag');
      writeFileSync(flag, '');
      const poisoned = defineProjection({ name: 'poisoned', module: projectionModule('poison') });
      const test = await createTestRuntime({ aggregates: [poisonable], projections: [poisoned], workers: 1 });
      runtimes.push(test);
      const { runtime } = test;
      await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
      const { position } = await runtime.send('account', 'a-1', { type: 'deposit', amount: 5, poisonFlag: flag });
      await expect(runtime.projection('poisoned').waitFor(position)).rejects.toMatchObject({ code: 'ERR_PROJECTION_FAILED' });

      const stopped = parse(await runtime.metricsText());
      expect(stopped.get('rehydra_projection_failed{projection="poisoned"}')).toBe(1);
      expect(stopped.get('rehydra_projection_lag{projection="poisoned"}')).toBe(1);

      rmSync(flag);
      await runtime.projection('poisoned').resume();
      await runtime.projection('poisoned').waitFor(position);
      const resumed = parse(await runtime.metricsText());
      expect(resumed.get('rehydra_projection_failed{projection="poisoned"}')).toBe(0);
      expect(resumed.get('rehydra_projection_lag{projection="poisoned"}')).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a metrics option that is not a prom-client registry, naming the field', async () => {
    await expect(createTestRuntime({ aggregates: [account], metrics: { registry: {} as Registry } }))
      .rejects.toThrow('options.metrics.registry must be a prom-client Registry');
    await expect(createTestRuntime({ aggregates: [account], metrics: { registery: new Registry() } as never }))
      .rejects.toThrow('options.metrics.registery is not a metrics option (known: registry)');
  });
});
