// `rehydra check`: loads the user's built aggregate modules and runs checkStreams against a data
// directory, read-only. Owns the report's channels: the report alone on stdout (so --json stays
// parseable), progress on stderr and only for a terminal or --progress; the exit code says pass or fail.
import { checkStreams } from '../runtime/check-streams.js';
import type { CheckProgress } from '../runtime/check-options.js';
import type { AggregateDefinition } from '../actors/define-aggregate.js';
import type { CheckInvocation } from './args.js';
import { formatCheckText, passed } from './check-report.js';
import { requireDirectory } from './data-directory.js';
import { formatJson } from './format.js';
import { loadAggregates } from './load-aggregate.js';
import { UsageError } from './usage.js';

/** Where a check writes: the report, and progress (with whether it is a terminal). */
export interface CheckOutput {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
}

/** Runs `rehydra check`; resolves to its exit code (0 pass, 1 fail); throws when the check cannot run. */
export async function check(invocation: CheckInvocation, output: CheckOutput = process): Promise<number> {
  requireDirectory(invocation.path);
  const aggregates = await loadAggregates(invocation.modules);
  requireDefinitions(aggregates, invocation);
  const progress = progressLine(output.stderr, invocation.progress);
  let result;
  try {
    result = await checkStreams({
      path: invocation.path, aggregates,
      ...(invocation.types && { types: invocation.types }),
      ...(invocation.streams && { streams: invocation.streams }),
      ...(invocation.sample !== undefined && { sample: invocation.sample }),
      ...(progress && { onProgress: progress.update }),
    });
  } finally {
    progress?.end();
  }
  output.stdout.write(`${invocation.json ? formatJson(result) : formatCheckText(result)}\n`);
  return passed(result) ? 0 : 1;
}

/** --type and --stream may only name types the modules define: otherwise nothing could check them. */
function requireDefinitions(aggregates: readonly AggregateDefinition[], invocation: CheckInvocation): void {
  const known = new Set(aggregates.map((definition) => definition.type));
  const named = [
    ...(invocation.types ?? []).map((type) => ({ option: `--type ${type}`, type })),
    ...(invocation.streams ?? []).map((stream) => ({ option: `--stream ${stream.type}/${stream.id}`, type: stream.type })),
  ];
  const unknown = named.find(({ type }) => !known.has(type));
  if (unknown) {
    throw new UsageError(`${unknown.option}: no module passed to --aggregates defines aggregate "${unknown.type}" (found: ${[...known].join(', ')})`);
  }
}

/** Most updates a second on a terminal, where the line is redrawn; elsewhere one line a second. */
const REDRAW_MS = 100;
const LINE_MS = 1_000;

/** A progress line on stderr when it is a terminal or `forced`; undefined when neither. */
function progressLine(stderr: CheckOutput['stderr'], forced: boolean): { update: (progress: CheckProgress) => void; end: () => void } | undefined {
  const terminal = stderr.isTTY === true;
  if (!terminal && !forced) return undefined;
  let last = 0;
  let latest: CheckProgress | undefined;
  const text = (p: CheckProgress) => `checked ${p.checked}/${p.total} streams, ${p.failed} failed`;
  return {
    update(progress) {
      latest = progress;
      const now = performance.now();
      if (now - last < (terminal ? REDRAW_MS : LINE_MS) && progress.checked < progress.total) return;
      last = now;
      stderr.write(terminal ? `\r${text(progress)}\x1b[K` : `${text(progress)}\n`);
    },
    end() {
      // A terminal's line is erased so the report starts clean; a log keeps its last line.
      if (terminal && latest) stderr.write('\r\x1b[K');
    },
  };
}
