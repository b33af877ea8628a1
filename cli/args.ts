// Parses `inspect <path> <command> …` and `check <path> --aggregates <module> …` with node:util
// parseArgs. Owns: every option is checked against the command it was given to, and numbers and
// stream names are validated before any storage is opened.
import { parseArgs } from 'node:util';
import type { StreamRef } from '../storage/keys.js';
import { integerOption, readCommandLine, UsageError } from './command-line.js';

/** A parsed, validated `rehydra` command line. */
export type Invocation =
  | Help
  | { readonly command: 'streams'; readonly path: string; readonly json: boolean; readonly type?: string }
  | { readonly command: 'events'; readonly path: string; readonly json: boolean; readonly type: string; readonly id: string; readonly from?: number }
  | {
      readonly command: 'state'; readonly path: string; readonly json: boolean; readonly type: string; readonly id: string;
      readonly version?: number; readonly module?: string;
    }
  | { readonly command: 'log'; readonly path: string; readonly json: boolean; readonly from?: number; readonly limit?: number }
  | { readonly command: 'projections'; readonly path: string; readonly json: boolean }
  | { readonly command: 'timers'; readonly path: string; readonly json: boolean; readonly before?: number; readonly limit?: number };

/** `--help`, for one command or (without one) for the whole tool. */
export interface Help {
  readonly command: 'help';
  readonly topic?: 'inspect' | 'check';
}

/** A parsed, validated `rehydra check` command line. */
export interface CheckInvocation {
  readonly command: 'check';
  readonly path: string;
  /** The built modules exporting the aggregate definitions (--aggregates, repeatable). */
  readonly modules: readonly string[];
  readonly types?: readonly string[];
  readonly streams?: readonly StreamRef[];
  readonly sample?: number;
  readonly json: boolean;
  /** Progress on stderr even when it is not a terminal. */
  readonly progress: boolean;
}

const OPTIONS = {
  type: { type: 'string', expects: 'an aggregate type, e.g. --type account' },
  from: { type: 'string', expects: 'a version or position to start from, e.g. --from 1' },
  limit: { type: 'string', expects: 'a number of entries, e.g. --limit 100' },
  version: { type: 'string', expects: 'a stream version, e.g. --version 3' },
  module: { type: 'string', expects: 'the built JS module exporting the aggregate, e.g. --module dist/account.js' },
  before: { type: 'string', expects: 'an ISO 8601 date-time or epoch milliseconds, e.g. --before 2030-01-01T00:00:00Z' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionName = keyof typeof OPTIONS;

const CHECK_OPTIONS = {
  aggregates: { type: 'string', multiple: true, expects: 'the built JS module exporting your aggregates, e.g. --aggregates dist/aggregates.js' },
  type: { type: 'string', multiple: true, expects: 'an aggregate type, e.g. --type account' },
  stream: { type: 'string', multiple: true, expects: '<type>/<id>, e.g. --stream account/a-1' },
  sample: { type: 'string', expects: 'a number of streams, e.g. --sample 100' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The command word (`inspect`, `check`): the first argument that is neither an option nor an option's value. */
export function commandWord(argv: readonly string[]): string | undefined {
  return parseArgs({ args: [...argv], options: { ...OPTIONS, ...CHECK_OPTIONS }, allowPositionals: true, strict: false }).positionals[0];
}

/** Options each command accepts besides --json and --help. */
const ALLOWED: Readonly<Record<string, readonly OptionName[]>> = {
  streams: ['type'],
  events: ['from'],
  state: ['version', 'module'],
  log: ['from', 'limit'],
  projections: [],
  timers: ['before', 'limit'],
};

/** Positional arguments after `<command>`. */
const POSITIONALS: Readonly<Record<string, readonly string[]>> = {
  streams: [], events: ['type', 'id'], state: ['type', 'id'], log: [], projections: [], timers: [],
};

/** Parses `argv` (without node and the script); throws UsageError on a bad command line. */
export function parseInvocation(argv: readonly string[]): Invocation | CheckInvocation {
  if (commandWord(argv) === 'check') return parseCheck(argv);
  const { values, positionals } = readCommandLine(argv, OPTIONS, true);
  const [verb, path, command, ...rest] = positionals;
  if (values.help === true || argv.length === 0) return verb === 'inspect' ? { command: 'help', topic: 'inspect' } : { command: 'help' };
  if (verb !== 'inspect') throw new UsageError(`unknown command "${verb ?? ''}": one of inspect, check`);
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
    case 'timers':
      return { command, path, json, ...optionalTime('before', values.before), ...optionalInt('limit', values.limit, 1) };
    default:
      return { command: 'projections', path, json };
  }
}

function parseCheck(argv: readonly string[]): CheckInvocation | Help {
  const { values, positionals } = readCommandLine(argv, CHECK_OPTIONS, true);
  if (values.help === true) return { command: 'help', topic: 'check' };
  const [, path, extra] = positionals;
  if (path === undefined) throw new UsageError('check needs <path>: the data directory to check');
  if (extra !== undefined) throw new UsageError(`check got an unexpected argument "${extra}"`);
  const modules = values.aggregates ?? [];
  if (modules.length === 0) throw new UsageError('check needs --aggregates <module.js>: the built module exporting your aggregate definitions');
  return {
    command: 'check', path, modules, json: values.json === true, progress: values.progress === true,
    ...(values.type !== undefined && { types: values.type }),
    ...(values.stream !== undefined && { streams: values.stream.map(streamRefOf) }),
    ...optionalInt('sample', values.sample, 1),
  };
}

/** `account/a-1` as a stream reference: the type ends at the first '/', the id may hold more. */
function streamRefOf(raw: string): StreamRef {
  const slash = raw.indexOf('/');
  if (slash < 1 || slash === raw.length - 1) throw new UsageError(`--stream must be <type>/<id>, e.g. account/a-1 (got ${JSON.stringify(raw)})`);
  return { type: raw.slice(0, slash), id: raw.slice(slash + 1) };
}

/** A time option: an ISO 8601 date-time or epoch milliseconds. */
function optionalTime<N extends string>(name: N, raw: string | undefined): { [K in N]?: number } {
  if (raw === undefined) return {};
  const value = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be an ISO 8601 date-time or epoch milliseconds (got ${JSON.stringify(raw)})`);
  return { [name]: value } as { [K in N]?: number };
}

/** `{ [name]: n }` for a given integer option at least `min`, `{}` when absent. */
function optionalInt<N extends string>(name: N, raw: string | undefined, min: number): { [K in N]?: number } {
  return raw === undefined ? {} : ({ [name]: integerOption(name, raw, min) } as { [K in N]?: number });
}
