#!/usr/bin/env node
// The `rehydra` executable. Owns the exit protocol: the report on stdout, or a one-line message on
// stderr; 2 for a bad command line (whatever the command), otherwise `inspect` exits 0 or 1 (it
// failed), `check` 0 (pass), 1 (a stream fails) or 2 (the check could not run: unreadable
// directory or module). exitCode (not exit()) so stdout is flushed first.
import { commandWord, parseInvocation } from './args.js';
import { check } from './check.js';
import { UsageError } from './command-line.js';
import { formatJson, formatText } from './format.js';
import { inspect } from './inspect.js';
import { helpText } from './usage.js';

/** Runs `rehydra` with `argv` (without node and the script); resolves to the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  // 1 is check's verdict "a stream fails": a check that could not run must not look like one.
  const trouble = commandWord(argv) === 'check' ? 2 : 1;
  try {
    const invocation = parseInvocation(argv);
    if (invocation.command === 'help') {
      process.stdout.write(`${helpText(invocation.topic)}\n`);
      return 0;
    }
    if (invocation.command === 'check') return await check(invocation);
    const report = await inspect(invocation);
    process.stdout.write(`${invocation.json ? formatJson(report) : formatText(report)}\n`);
    return 0;
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
    if (error instanceof UsageError) {
      const command = commandWord(argv);
      const help = command === 'inspect' || command === 'check' ? `rehydra ${command} --help` : 'rehydra --help';
      process.stderr.write(`rehydra: ${message} (see ${help})\n`);
      return 2;
    }
    process.stderr.write(`rehydra: ${message}\n`);
    return trouble;
  }
}

process.exitCode = await main(process.argv.slice(2));
