// The command line of `npm run bench`: what each option means (--help), and a mistake told in one
// line that names the option and what it expected, before anything runs (a full run takes minutes).
// The parsing is the CLI's, so every tool of the repository words a mistake alike.
import { readCommandLine, UsageError } from '../cli/command-line.js';

/** What the command line asked for. */
export interface BenchArgs {
  readonly help: boolean;
  readonly quick: boolean;
  /** Run the cluster scenarios (real nats-servers and child processes) instead of the default ones. */
  readonly cluster: boolean;
  /** Scenario keys or prefixes (`raw.*`); undefined runs every scenario. */
  readonly only: readonly string[] | undefined;
  /** A previous results file to print the change against. */
  readonly compare: string | undefined;
}

/** The text of `--help`. */
export const HELP = `usage: npm run bench -- [options]

Runs every benchmark scenario (each in a fresh temp LMDB), prints one table and writes
bench/results/latest.json (partial.json under --only, cluster.json under --cluster).

options:
  --quick             small sizes and one round per scenario (what CI runs; for catching
                      breakage, not for reading figures)
  --only <keys>       comma-separated scenario keys; a trailing * matches a prefix
  --cluster           run only the cluster scenarios instead: 3 runtimes in child processes
                      over a 3-node JetStream cluster (nats-server 2.9+ on loopback), against
                      raw JetStream publishes, and the failover time (a few minutes; not in
                      the default run; --quick shrinks it; --only picks among them)
  --compare <file>    after the table, print the change of every figure against a previous
                      results file (e.g. a saved copy of bench/results/latest.json)
  -h, --help          print this and exit

example:
  cp bench/results/latest.json /tmp/before.json
  npm run bench -- --only 'commands.*,raw.*' --compare /tmp/before.json
  npm run bench -- --cluster --quick`;

const OPTIONS = {
  quick: { type: 'boolean' },
  only: { type: 'string', expects: "a comma-separated list of scenario keys, e.g. --only 'raw.*,commands.10k'" },
  compare: { type: 'string', expects: 'the path of a results file, e.g. --compare bench/results/latest.json' },
  help: { type: 'boolean', short: 'h' },
  cluster: { type: 'boolean' },
} as const;

/**
 * Parses `argv` (without node and the script) against the known scenario keys: `keys` of the
 * default run, `clusterKeys` of the --cluster one (what --only may name depends on the flag).
 */
export function parseBenchArgs(argv: readonly string[], keys: readonly string[], clusterKeys: readonly string[] = []): BenchArgs {
  const { values } = readCommandLine(argv, OPTIONS);
  const cluster = values.cluster === true;
  const known = cluster ? clusterKeys : keys;
  const only = values.only?.split(',').map((key) => key.trim()).filter((key) => key.length > 0);
  for (const pattern of only ?? []) {
    if (!known.some((key) => matchesKey(pattern, key))) {
      if (!cluster && clusterKeys.some((key) => matchesKey(pattern, key))) {
        throw new UsageError(`--only: "${pattern}" names cluster scenarios, which run under --cluster only`);
      }
      throw new UsageError(`--only: no scenario "${pattern}" (expected one of ${known.join(', ')}; a trailing * matches a prefix)`);
    }
  }
  return { help: values.help === true, quick: values.quick === true, cluster, only, compare: values.compare };
}

/** Whether a `--only` pattern selects `key`: equal, or a prefix of it when it ends with `*`. */
export function matchesKey(pattern: string, key: string): boolean {
  return pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : key === pattern;
}
