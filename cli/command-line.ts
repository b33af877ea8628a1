// Reads a command line against the options a tool declares and reports a mistake as one line that
// names the option and what it expected, before anything runs. Shared by `rehydra`, the bench and
// the example's load test, so every tool words its mistakes alike (node's own parseArgs messages
// run to three sentences and never say what a value should have been).
import { parseArgs } from 'node:util';
import { RehydraError } from '../storage/errors.js';

/** The command line is wrong: an unknown option, a missing or bad value, a missing argument. Entry points exit with 2. */
export class UsageError extends RehydraError {
  constructor(message: string) {
    super('ERR_CLI_USAGE', message);
  }
}

/** One option a tool accepts. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** May be given more than once (a string option's values are then collected in order). */
  readonly multiple?: boolean;
  /** For a string option: what its value must be, said when it is missing, e.g. `a number of seconds, e.g. --duration 10`. */
  readonly expects?: string;
}

/** The values of the options given: true for a boolean, the text (or texts, when `multiple`) for a string. */
export type OptionValues<TOptions extends Readonly<Record<string, OptionSpec>>> = {
  -readonly [K in keyof TOptions]?: TOptions[K]['type'] extends 'boolean' ? true : TOptions[K]['multiple'] extends true ? string[] : string;
};

/** A command line read against its options. */
export interface CommandLine<TOptions extends Readonly<Record<string, OptionSpec>>> {
  readonly values: OptionValues<TOptions>;
  readonly positionals: string[];
}

/**
 * Reads `argv` (without node and the script) against `options`; throws UsageError at the first
 * unknown option, a boolean given a value, a string option without one, or (unless
 * `allowPositionals`) an argument that is not an option.
 */
export function readCommandLine<const TOptions extends Readonly<Record<string, OptionSpec>>>(
  argv: readonly string[], options: TOptions, allowPositionals = false,
): CommandLine<TOptions> {
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const known = Object.keys(options).map((name) => `--${name}`).join(', ');
  const values: Record<string, string | string[] | true> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (!allowPositionals) throw new UsageError(`unexpected argument "${token.value}": options start with -- (expected one of ${known})`);
      positionals.push(token.value);
      continue;
    }
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (spec === undefined) throw new UsageError(`unknown option ${token.rawName}: expected one of ${known}`);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value (got "${token.value}")`);
      values[token.name] = true;
      continue;
    }
    // `--only --quick`: parseArgs takes the next option as the value; a value never starts with -.
    const missing = token.value === undefined || token.value.trim() === '' || (!token.inlineValue && token.value.startsWith('-'));
    if (missing) throw new UsageError(`${token.rawName} expects ${spec.expects ?? 'a value'}`);
    const previous = values[token.name];
    values[token.name] = spec.multiple === true ? [...(Array.isArray(previous) ? previous : []), token.value] : token.value;
  }
  return { values: values as OptionValues<TOptions>, positionals };
}

/** The integer value of option `--name`, at least `min`; throws UsageError naming the option otherwise. */
export function integerOption(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be an integer of at least ${min} (got ${JSON.stringify(raw)})`);
  }
  return value;
}
