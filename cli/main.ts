#!/usr/bin/env node
// The `rehydra` executable. Owns the exit protocol: the report on stdout, or a one-line message on
// stderr; `inspect` exits 0 or 1 (any error), `check` exits 0 (pass), 1 (a stream fails) or 2 (the
// check could not run: bad usage, unreadable directory or module). exitCode (not exit()) so stdout
// is flushed first.
import { commandWord, parseInvocation } from './args.js';
import { check } from './check.js';
import { formatJson, formatText } from './format.js';
import { inspect } from './inspect.js';
import { USAGE } from './usage.js';

/** Runs `rehydra` with `argv` (without node and the script); resolves to the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  // 1 is check's verdict "a stream fails": a check that could not run must not look like one.
  const trouble = commandWord(argv) === 'check' ? 2 : 1;
  try {
    const invocation = parseInvocation(argv);
    if (invocation.command === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (invocation.command === 'check') return await check(invocation);
    const report = await inspect(invocation);
    process.stdout.write(`${invocation.json ? formatJson(report) : formatText(report)}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`rehydra: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return trouble;
  }
}

process.exitCode = await main(process.argv.slice(2));
