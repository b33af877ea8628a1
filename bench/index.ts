// Entry of `npm run bench`: runs every scenario file in order (each run in its own temp
// directory, rounds interleaved) behind a progress bar, then prints one table and writes
// bench/results/latest.json (partial.json under --only). `--quick` shrinks every size and runs one
// round, so CI can afford it; `--cluster` runs the cluster scenarios instead (real nats-servers and
// child processes, never part of the default run); `--help` lists the options.
import { join } from 'node:path';
import { UsageError } from '../cli/command-line.js';
import { HELP, matchesKey, parseBenchArgs, type BenchArgs } from './args.js';
import { scenarios as cluster } from './cluster.bench.js';
import { scenarios as commands } from './commands.bench.js';
import { formatComparison, readPreviousRun, type PreviousRun } from './compare.js';
import { writeCurveSvg } from './curve-chart.js';
import { scenarios as curve } from './curve.bench.js';
import { scenarios as durableAck } from './durable-ack.bench.js';
import { scenarios as hotAggregate } from './hot-aggregate.bench.js';
import { describeLimit } from './limit.js';
import { describeMachine } from './machine.js';
import { scenarios as memory } from './memory.bench.js';
import { scenarios as peerEmmett } from './peer-emmett.bench.js';
import { scenarios as projections } from './projections.bench.js';
import { scenarios as projectionsLag } from './projections-lag.bench.js';
import { scenarios as rehydrate } from './rehydrate.bench.js';
import { createRunProgress, type RunProgress } from './progress.js';
import { formatSettings, packageRoot, writeResults } from './report.js';
import { combineRounds, describeRounds, spreadOf, type Spread } from './rounds.js';
import { ScenarioSkipped, type Figures, type Scenario } from './scenario.js';
import { scenarios as storageAppend } from './storage-append.bench.js';
import { formatTable, summarizeTargets } from './table.js';
import { createTempDir } from './temp-dir.js';
import { scenarios as timers } from './timers.bench.js';
import { scenarios as tracedSpans } from './traced-spans.bench.js';
import { scenarios as xstateLimits } from './xstate-limits.bench.js';

/**
 * Every scenario, in run order (ratios are computed once all have run, so order is for reading):
 * the two limits, the peer, rehydra's figures, then issue 2's storage questions (extra keys), and
 * the latency–throughput curve last, as the longest.
 */
const ALL: readonly Scenario[] = [
  ...storageAppend, ...xstateLimits, ...tracedSpans, ...peerEmmett, ...commands, ...hotAggregate, ...rehydrate, ...projections, ...projectionsLag, ...memory,
  ...timers, ...durableAck, ...curve,
];

/** The scenarios of `--cluster`, run instead of ALL: they need nats-server and take minutes. */
const CLUSTER: readonly Scenario[] = cluster;

/** The scenario whose curve is drawn as docs/benchmarks-curve.svg after a full run. */
const CURVE_KEY = 'curve.inflight';

/** Expected seconds of a full-size round when its scenario gives no hint. */
const DEFAULT_EXPECTED_SECONDS = 6;

async function runScenario(scenario: Scenario, quick: boolean, progress: RunProgress): Promise<Figures> {
  const dir = createTempDir(scenario.key);
  const started = performance.now();
  try {
    const figures = await scenario.run({
      quick,
      dir: dir.path,
      progress: (message) => progress.log(`  ${scenario.key}: ${message}`),
    });
    progress.log(`  ${scenario.key}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return figures;
  } finally {
    dir.remove();
  }
}

/** Every figure of the run by scenario key, and the spread of the rounds of each. */
interface RunResults {
  readonly figures: Map<string, Figures>;
  readonly spreads: Map<string, Spread>;
}

/** Runs round 1 of every scenario, then round 2 of those that want more, and so on. */
async function runAll(selected: readonly Scenario[], quick: boolean): Promise<RunResults> {
  const rounds = new Map<Scenario, Figures[]>(selected.map((scenario) => [scenario, []]));
  const failed = new Set<Scenario>();
  const roundsOf = (scenario: Scenario) => (quick ? 1 : (scenario.rounds ?? 1));
  const weightOf = (scenario: Scenario) => scenario.expectedSeconds ?? DEFAULT_EXPECTED_SECONDS;
  const progress = createRunProgress({
    rounds: selected.reduce((sum, scenario) => sum + roundsOf(scenario), 0),
    totalWeight: selected.reduce((sum, scenario) => sum + roundsOf(scenario) * weightOf(scenario), 0),
    // --quick sizes are about a tenth of the full ones.
    initialMsPerWeight: quick ? 100 : 1_000,
    stream: process.stderr,
  });
  const most = Math.max(0, ...selected.map(roundsOf));
  try {
    for (let round = 1; round <= most; round++) {
      for (const scenario of selected) {
        if (round > roundsOf(scenario) || failed.has(scenario)) continue;
        progress.start(`${scenario.key}${roundsOf(scenario) > 1 ? ` (round ${round}/${roundsOf(scenario)})` : ''}: ${scenario.title}`, weightOf(scenario));
        try {
          rounds.get(scenario)!.push(await runScenario(scenario, quick, progress));
        } catch (error) {
          failed.add(scenario);
          if (error instanceof ScenarioSkipped) {
            progress.log(`  ${error.message}`);
            progress.finish();
            continue;
          }
          // One broken scenario must not hide the others' figures, but the run must fail (CI runs it).
          process.exitCode = 1;
          progress.log(`  ${scenario.key}: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        }
        progress.finish();
      }
    }
  } finally {
    progress.stop();
  }
  const results: RunResults = { figures: new Map(), spreads: new Map() };
  for (const [scenario, figures] of rounds) {
    const combined = failed.has(scenario) ? undefined : combineRounds(figures);
    if (!combined) continue;
    if (figures.length > 1) process.stderr.write(`  ${scenario.key}: rounds ${describeRounds(figures)} (median kept)\n`);
    results.figures.set(scenario.key, combined);
    results.spreads.set(scenario.key, spreadOf(figures));
  }
  return results;
}

/** The command line, or undefined once a usage mistake was reported (exit code 2) or --help printed. */
function readArgs(): { args: BenchArgs; previous: PreviousRun | undefined } | undefined {
  try {
    const args = parseBenchArgs(process.argv.slice(2), ALL.map((scenario) => scenario.key), CLUSTER.map((scenario) => scenario.key));
    if (args.help) {
      console.log(HELP);
      return undefined;
    }
    return { args, previous: args.compare === undefined ? undefined : readPreviousRun(args.compare) };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // A usage mistake: one line saying what is wrong, not where in the parser it was noticed.
    process.stderr.write(`${error.message}; see --help\n`);
    process.exitCode = 2;
    return undefined;
  }
}

async function main(): Promise<void> {
  const command = readArgs();
  if (!command) return;
  const { args, previous } = command;
  const selected = (args.cluster ? CLUSTER : ALL).filter((scenario) => !args.only || args.only.some((pattern) => matchesKey(pattern, scenario.key)));
  const machine = describeMachine();
  const { figures: results, spreads } = await runAll(selected, args.quick);
  // A run of some scenarios must not overwrite the full run's file: latest.json holds every key.
  const report = { ...machine, quick: args.quick, scenarios: Object.fromEntries(results) };
  const file = writeResults(report, spreads, args.cluster ? 'cluster.json' : args.only ? 'partial.json' : 'latest.json');
  console.log(`\nrehydra bench${args.cluster ? ' --cluster' : ''}${args.quick ? ' (quick)' : ''}: ${machine.date}, node ${machine.node}, ${machine.cpu}, commit ${machine.commit}\n`);
  console.log(formatTable(selected, results, spreads));
  console.log(`\n${summarizeTargets(selected, results)}`);
  // The design's single-node limit is not what the cluster scenarios are judged against.
  if (!args.cluster) console.log(`\n${describeLimit(results)}`);
  console.log(`\n${formatSettings(selected, results, args.quick)}`);
  if (previous) console.log(`\n${formatComparison(previous, results, args.quick)}`);
  console.log(`\nwrote ${file}`);
  // Only a full run redraws the docs' chart: CI's --quick and a partial --only must not rewrite docs.
  const curve = results.get(CURVE_KEY)?.curve;
  if (curve && !args.quick && !args.only) {
    const svg = join(packageRoot(), 'docs', 'benchmarks-curve.svg');
    await writeCurveSvg(svg, curve, `${machine.date.slice(0, 10)}, commit ${machine.commit}, node ${machine.node}, ${machine.cpu}`);
    console.log(`wrote ${svg}`);
  }
}

await main();
