// The CLI's contract with its caller: the usage text and the one error class for a bad command
// line. A usage error prints its message on stderr and exits like every other failure of its
// command (inspect 1, check 2).
import { RehydraError } from '../storage/errors.js';

/** The `--help` text of `rehydra`. */
export const USAGE = `Usage: rehydra inspect <path> <command> [options]
       rehydra check <path> --aggregates <module.js> [options]

Both read a rehydra data directory read-only; safe while a runtime writes to it.

inspect commands:
  streams [--type T]                    every stream: type, id, version, last position
  events <type> <id> [--from V]         one stream's events from version V
  state <type> <id> [--version V]       the stored snapshot and the events after it
        [--module FILE]                 or, with the built JS module exporting the
                                        aggregate definition, the computed state
  log [--from P] [--limit N]            the global log from position P
  projections                           checkpoint and lag per projection and partition
                                        (partition errors live in the running runtime only)
  timers [--before T] [--limit N]       pending durable timers, earliest first: stream,
                                        delayed event, deadline; T is ISO 8601 or epoch ms

check replays every stored stream through the current machines and upcasters and
reports the streams that would fail, the snapshots the machines invalidate, snapshots
in states the machines no longer have, and stored types no module defines:
  --aggregates FILE                     the built JS module exporting your aggregate
                                        definitions (repeatable; required)
  --type T                              only the streams of aggregate type T (repeatable)
  --stream T/ID                         only this stream (repeatable; with --type, also)
  --sample N                            a random sample of N of those streams
  --progress                            progress on stderr even when it is not a terminal

Options:
  --json                                one JSON document on stdout, for scripts and CI
  -h, --help                            this text

Exit codes: inspect 0 on success, 1 on any error (message on stderr).
check 0 when every stream replays, 1 when a stream fails or a stored type has no
definition, 2 when the check cannot run (bad usage, unreadable directory or module).`;

/** The command line is wrong: unknown command, missing or bad argument. */
export class UsageError extends RehydraError {
  constructor(message: string) {
    super('ERR_CLI_USAGE', `${message} (see rehydra --help)`);
  }
}
