// The `--help` texts of `rehydra`: one per command (`rehydra inspect --help`, `rehydra check
// --help`) and the whole tool (`rehydra --help`), each with its options, an example and the exit
// codes, so a user never has to open the docs to run a command.

const INSPECT = `Usage: rehydra inspect <path> <command> [options]

Reads a rehydra data directory read-only; safe while a runtime writes to it.

commands:
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

options:
  --json                                one JSON document on stdout, for scripts and CI
  -h, --help                            this text

examples:
  rehydra inspect ./data streams --type account
  rehydra inspect ./data state account a-1 --version 3 --module ./dist/account.js

exit codes: 0 success, 1 the command failed (message on stderr), 2 bad usage.`;

const CHECK = `Usage: rehydra check <path> --aggregates <module.js> [options]

Replays every stored stream through the current machines and upcasters and reports the
streams that would fail, the snapshots the machines invalidate, snapshots in states the
machines no longer have, and stored types no module defines. Read-only; safe while a
runtime writes to the directory.

options:
  --aggregates FILE                     the built JS module exporting your aggregate
                                        definitions (repeatable; required)
  --type T                              only the streams of aggregate type T (repeatable)
  --stream T/ID                         only this stream (repeatable; with --type, also)
  --sample N                            a random sample of N of those streams
  --progress                            progress on stderr even when it is not a terminal
  --json                                one JSON document on stdout, for scripts and CI
  -h, --help                            this text

example:
  rehydra check ./data --aggregates ./dist/domain/aggregates.js --type account --sample 1000

exit codes: 0 every stream replays, 1 a stream fails or a stored type has no definition,
2 the check cannot run (bad usage, unreadable directory or module).`;

/** The `--help` text of one command, or of the whole tool when `topic` is undefined. */
export function helpText(topic?: 'inspect' | 'check'): string {
  if (topic === 'inspect') return INSPECT;
  if (topic === 'check') return CHECK;
  return `rehydra: look into a rehydra data directory, and check it against changed machines.\n\n${INSPECT}\n\n${CHECK}`;
}
