// Parses `inspect <path> <command> …` with node:util parseArgs. Owns: every option is checked
// against the command it was given to, and numbers are validated before any storage is opened.
import { parseArgs } from 'node:util';
import { UsageError } from './usage.js';

/** A parsed, validated `rehydra` command line. */
export type Invocation =
  | { readonly command: 'help' }
  | { readonly command: 'streams'; readonly path: string; readonly json: boolean; readonly type?: string }
  | { readonly command: 'events'; readonly path: string; readonly json: boolean; readonly type: string; readonly id: string; readonly from?: number }
  | {
      readonly command: 'state'; readonly path: string; readonly json: boolean; readonly type: string; readonly id: string;
      readonly version?: number; readonly module?: string;
    }
  | { readonly command: 'log'; readonly path: string; readonly json: boolean; readonly from?: number; readonly limit?: number }
  | { readonly command: 'projections'; readonly path: string; readonly json: boolean };

const OPTIONS = {
  type: { type: 'string' },
  from: { type: 'string' },
  limit: { type: 'string' },
  version: { type: 'string' },
  module: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Options each command accepts besides --json and --help. */
const ALLOWED: Readonly<Record<string, readonly OptionName[]>> = {
  streams: ['type'],
  events: ['from'],
  state: ['version', 'module'],
  log: ['from', 'limit'],
  projections: [],
};

/** Positional arguments after `<command>`. */
const POSITIONALS: Readonly<Record<string, readonly string[]>> = {
  streams: [], events: ['type', 'id'], state: ['type', 'id'], log: [], projections: [],
};

/** Parses `argv` (without node and the script); throws UsageError on a bad command line. */
export function parseInvocation(argv: readonly string[]): Invocation {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true || argv.length === 0) return { command: 'help' };
  const [verb, path, command, ...rest] = positionals;
  if (verb !== 'inspect') throw new UsageError(`unknown command "${verb ?? ''}": the only command is inspect`);
  if (path === undefined) throw new UsageError('missing <path>: the data directory to inspect');
  if (command === undefined) throw new UsageError(`missing <command> after ${path}: one of ${Object.keys(ALLOWED).join(', ')}`);
  const allowed = ALLOWED[command];
  const names = POSITIONALS[command];
  if (allowed === undefined || names === undefined) throw new UsageError(`unknown inspect command "${command}": one of ${Object.keys(ALLOWED).join(', ')}`);
  for (const name of Object.keys(values) as OptionName[]) {
    if (name !== 'json' && name !== 'help' && !allowed.includes(name)) throw new UsageError(`${command} does not take --${name}`);
  }
  if (rest.length < names.length) throw new UsageError(`${command} needs <${names.join('> <')}> (missing <${names[rest.length]}>)`);
  if (rest.length > names.length) throw new UsageError(`${command} got an unexpected argument "${rest[names.length]}"`);
  const json = values.json === true;
  const [type, id] = rest as [string, string];
  switch (command) {
    case 'streams':
      return { command, path, json, ...(values.type !== undefined && { type: values.type }) };
    case 'events':
      return { command, path, json, type, id, ...optionalInt('from', values.from, 1) };
    case 'state':
      return { command, path, json, type, id, ...optionalInt('version', values.version, 0), ...(values.module !== undefined && { module: values.module }) };
    case 'log':
      return { command, path, json, ...optionalInt('from', values.from, 1), ...optionalInt('limit', values.limit, 0) };
    default:
      return { command: 'projections', path, json };
  }
}

/** `{ [name]: n }` for a given integer option at least `min`, `{}` when absent. */
function optionalInt<N extends string>(name: N, raw: string | undefined, min: number): { [K in N]?: number } {
  if (raw === undefined) return {};
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be an integer of at least ${min} (got ${JSON.stringify(raw)})`);
  }
  return { [name]: value } as { [K in N]?: number };
}
