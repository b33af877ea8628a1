#!/usr/bin/env node
// The `rehydra` executable. Owns the exit protocol: the report on stdout and exit code 0, or a
// message on stderr and exit code 1; exitCode (not exit()) so stdout is flushed first.
import { parseInvocation } from './args.js';
import { formatJson, formatText } from './format.js';
import { inspect } from './inspect.js';
import { USAGE } from './usage.js';

/** Runs `rehydra` with `argv` (without node and the script); resolves to the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  try {
    const invocation = parseInvocation(argv);
    if (invocation.command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const report = await inspect(invocation);
    process.stdout.write(`${invocation.json ? formatJson(report) : formatText(report)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`rehydra: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
