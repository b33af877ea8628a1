// Entry of `npm run bench`: runs every scenario file in order (each run in its own temp
// directory, rounds interleaved), prints a progress line per scenario, then one table, and writes
// bench/results/latest.json (partial.json under --only). `--quick` shrinks every size and runs one
// round, so CI can afford it.
import { parseArgs } from 'node:util';
import { scenarios as commands } from './commands.bench.js';
import { scenarios as durableAck } from './durable-ack.bench.js';
import { scenarios as hotAggregate } from './hot-aggregate.bench.js';
import { describeLimit } from './limit.js';
import { describeMachine } from './machine.js';
import { scenarios as memory } from './memory.bench.js';
import { scenarios as peerEmmett } from './peer-emmett.bench.js';
import { scenarios as projections } from './projections.bench.js';
import { scenarios as rehydrate } from './rehydrate.bench.js';
import { formatSettings, formatTable, writeResults } from './report.js';
import { combineRounds, describeRounds } from './rounds.js';
import { ScenarioSkipped, type Figures, type Scenario } from './scenario.js';
import { scenarios as storageAppend } from './storage-append.bench.js';
import { createTempDir } from './temp-dir.js';
import { scenarios as timers } from './timers.bench.js';
import { scenarios as xstateLimits } from './xstate-limits.bench.js';

/**
 * Every scenario, in run order (ratios are computed once all have run, so order is for reading):
 * the two limits, the peer, rehydra's figures, then issue 2's storage questions (extra keys).
 */
const ALL: readonly Scenario[] = [
  ...storageAppend, ...xstateLimits, ...peerEmmett, ...commands, ...hotAggregate, ...rehydrate, ...projections, ...memory,
  ...timers, ...durableAck,
];

interface BenchArgs {
  readonly quick: boolean;
  readonly only: readonly string[] | undefined;
}

function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
    strict: true,
  });
  const only = values.only?.split(',').map((key) => key.trim()).filter((key) => key.length > 0);
  for (const pattern of only ?? []) {
    if (!ALL.some((scenario) => matches(pattern, scenario.key))) {
      throw new RangeError(`--only: no scenario "${pattern}" (known: ${ALL.map((s) => s.key).join(', ')}; a trailing * matches a prefix)`);
    }
  }
  return { quick: values.quick ?? false, only };
}

function matches(pattern: string, key: string): boolean {
  return pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : key === pattern;
}

async function runScenario(scenario: Scenario, quick: boolean, round: string): Promise<Figures> {
  const dir = createTempDir(scenario.key);
  const started = performance.now();
  process.stderr.write(`▶ ${scenario.key}${round}: ${scenario.title}\n`);
  try {
    const figures = await scenario.run({
      quick,
      dir: dir.path,
      progress: (message) => process.stderr.write(`  ${scenario.key}: ${message}\n`),
    });
    process.stderr.write(`  ${scenario.key}: done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return figures;
  } finally {
    dir.remove();
  }
}

/** Runs round 1 of every scenario, then round 2 of those that want more, and so on. */
async function runAll(selected: readonly Scenario[], quick: boolean): Promise<Map<string, Figures>> {
  const rounds = new Map<Scenario, Figures[]>(selected.map((scenario) => [scenario, []]));
  const failed = new Set<Scenario>();
  const roundsOf = (scenario: Scenario) => (quick ? 1 : (scenario.rounds ?? 1));
  const most = Math.max(0, ...selected.map(roundsOf));
  for (let round = 1; round <= most; round++) {
    for (const scenario of selected) {
      if (round > roundsOf(scenario) || failed.has(scenario)) continue;
      const label = roundsOf(scenario) > 1 ? ` (round ${round}/${roundsOf(scenario)})` : '';
      try {
        rounds.get(scenario)!.push(await runScenario(scenario, quick, label));
      } catch (error) {
        failed.add(scenario);
        if (error instanceof ScenarioSkipped) {
          process.stderr.write(`  ${error.message}\n`);
          continue;
        }
        // One broken scenario must not hide the others' figures, but the run must fail (CI runs it).
        process.exitCode = 1;
        process.stderr.write(`  ${scenario.key}: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      }
    }
  }
  const results = new Map<string, Figures>();
  for (const [scenario, figures] of rounds) {
    const combined = failed.has(scenario) ? undefined : combineRounds(figures);
    if (!combined) continue;
    if (figures.length > 1) process.stderr.write(`  ${scenario.key}: rounds ${describeRounds(figures)} (median kept)\n`);
    results.set(scenario.key, combined);
  }
  return results;
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    // A usage mistake: say what is wrong, not where in the parser it was noticed.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\nusage: npm run bench -- [--quick] [--only key,prefix*,...]\n`);
    process.exitCode = 2;
    return;
  }
  const selected = ALL.filter((scenario) => !args.only || args.only.some((pattern) => matches(pattern, scenario.key)));
  const machine = describeMachine();
  const results = await runAll(selected, args.quick);
  // A run of some scenarios must not overwrite the full run's file: latest.json holds every key.
  const file = writeResults({ ...machine, quick: args.quick, scenarios: Object.fromEntries(results) }, args.only ? 'partial.json' : 'latest.json');
  console.log(`\nrehydra bench${args.quick ? ' (quick)' : ''}: ${machine.date}, node ${machine.node}, ${machine.cpu}, commit ${machine.commit}\n`);
  console.log(formatTable(selected, results));
  console.log(`\n${describeLimit(results)}`);
  console.log(`\n${formatSettings(selected, results, args.quick)}\n\nwrote ${file}`);
}

await main();
