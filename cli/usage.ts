// The CLI's contract with its caller: the usage text and the one error class for a bad command
// line. A usage error exits 1 with its message on stderr, like every other failure.
import { RehydraError } from '../storage/errors.js';

/** The `--help` text of `rehydra`. */
export const USAGE = `Usage: rehydra inspect <path> <command> [options]

Reads a rehydra data directory read-only; safe while a runtime writes to it.

Commands:
  streams [--type T]                    every stream: type, id, version, last position
  events <type> <id> [--from V]         one stream's events from version V
  state <type> <id> [--version V]       the stored snapshot and the events after it
        [--module FILE]                 or, with the built JS module exporting the
                                        aggregate definition, the computed state
  log [--from P] [--limit N]            the global log from position P
  projections                           checkpoint and lag per projection and partition
                                        (partition errors live in the running runtime only)

Options:
  --json                                one JSON document on stdout, for scripts
  -h, --help                            this text

Exit code 0 on success, 1 on any error (message on stderr).`;

/** The command line is wrong: unknown command, missing or bad argument. */
export class UsageError extends RehydraError {
  constructor(message: string) {
    super('ERR_CLI_USAGE', `${message} (see rehydra --help)`);
  }
}
