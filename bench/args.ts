// The command line of `npm run bench`: what each option means (--help), and a mistake told in one
// line that names the option and what it expected, before anything runs (a full run takes minutes).
import { parseArgs } from 'node:util';

/** A mistake on the command line: its message is printed as it is, and the bench exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What the command line asked for. */
export interface BenchArgs {
  readonly help: boolean;
  readonly quick: boolean;
  /** Scenario keys or prefixes (`raw.*`); undefined runs every scenario. */
  readonly only: readonly string[] | undefined;
  /** A previous results file to print the change against. */
  readonly compare: string | undefined;
}

/** The text of `--help`. */
export const HELP = `usage: npm run bench -- [options]

Runs every benchmark scenario (each in a fresh temp LMDB), prints one table and writes
bench/results/latest.json (partial.json under --only).

options:
  --quick             small sizes and one round per scenario (what CI runs; for catching
                      breakage, not for reading figures)
  --only <keys>       comma-separated scenario keys; a trailing * matches a prefix
  --compare <file>    after the table, print the change of every figure against a previous
                      results file (e.g. a saved copy of bench/results/latest.json)
  -h, --help          print this and exit

example:
  cp bench/results/latest.json /tmp/before.json
  npm run bench -- --only 'commands.*,raw.*' --compare /tmp/before.json`;

const OPTIONS = {
  quick: { type: 'boolean' },
  only: { type: 'string' },
  compare: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What each option taking a value expects, for the message when it is missing. */
const EXPECTS: Record<string, string> = {
  only: "a comma-separated list of scenario keys, e.g. --only 'raw.*,commands.10k'",
  compare: 'the path of a results file, e.g. --compare bench/results/latest.json',
};

/** Parses `argv` (without node and the script) against the known scenario keys. */
export function parseBenchArgs(argv: readonly string[], keys: readonly string[]): BenchArgs {
  // Not strict: node's own messages for unknown options run to three sentences; ours name the option.
  const { tokens } = parseArgs({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const known = Object.keys(OPTIONS).map((name) => `--${name}`).join(', ');
  const values = new Map<string, string | true>();
  for (const token of tokens) {
    if (token.kind === 'positional') throw new UsageError(`unexpected argument "${token.value}": options start with -- (expected one of ${known})`);
    if (token.kind === 'option-terminator') continue;
    if (!Object.hasOwn(OPTIONS, token.name)) throw new UsageError(`unknown option ${token.rawName}: expected one of ${known}`);
    const type = OPTIONS[token.name as keyof typeof OPTIONS].type;
    if (type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value (got "${token.value}")`);
      values.set(token.name, true);
    } else {
      // `--only --quick`: node takes the next option as the value; a value never starts with --.
      const missing = token.value === undefined || token.value.trim() === '' || (!token.inlineValue && token.value.startsWith('-'));
      if (missing) throw new UsageError(`${token.rawName} expects ${EXPECTS[token.name]}`);
      values.set(token.name, token.value);
    }
  }
  const only = stringOf(values, 'only')?.split(',').map((key) => key.trim()).filter((key) => key.length > 0);
  for (const pattern of only ?? []) {
    if (!keys.some((key) => matchesKey(pattern, key))) {
      throw new UsageError(`--only: no scenario "${pattern}" (expected one of ${keys.join(', ')}; a trailing * matches a prefix)`);
    }
  }
  return { help: values.get('help') === true, quick: values.get('quick') === true, only, compare: stringOf(values, 'compare') };
}

/** Whether a `--only` pattern selects `key`: equal, or a prefix of it when it ends with `*`. */
export function matchesKey(pattern: string, key: string): boolean {
  return pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : key === pattern;
}

function stringOf(values: ReadonlyMap<string, string | true>, name: string): string | undefined {
  const value = values.get(name);
  return typeof value === 'string' ? value : undefined;
}
