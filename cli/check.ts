// `rehydra check`: loads the user's built aggregate modules and runs checkStreams against a data
// directory, read-only. Owns the report's channels: the report alone on stdout (so --json stays
// parseable), progress on stderr and only for a terminal or --progress; the exit code says pass or fail.
import { checkStreams } from '../runtime/check-streams.js';
import type { AggregateDefinition } from '../actors/define-aggregate.js';
import type { CheckInvocation } from './args.js';
import { formatCheckText, passed } from './check-report.js';
import { UsageError } from './command-line.js';
import { requireDirectory } from './data-directory.js';
import { formatJson } from './format.js';
import { loadAggregates } from './load-aggregate.js';
import { createProgressLine, type ProgressStream } from './progress-line.js';

/** Where a check writes: the report, and progress (with whether it is a terminal). */
export interface CheckOutput {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
}

/** Runs `rehydra check`; resolves to its exit code (0 pass, 1 fail); throws when the check cannot run. */
export async function check(invocation: CheckInvocation, output: CheckOutput = process): Promise<number> {
  requireDirectory(invocation.path);
  const aggregates = await loadAggregates(invocation.modules);
  requireDefinitions(aggregates, invocation);
  const progress = createProgressLine(output.stderr, invocation.progress);
  let result;
  try {
    result = await checkStreams({
      path: invocation.path, aggregates,
      ...(invocation.types && { types: invocation.types }),
      ...(invocation.streams && { streams: invocation.streams }),
      ...(invocation.sample !== undefined && { sample: invocation.sample }),
      ...(progress && {
        onProgress: (p) => progress.update(`checked ${p.checked}/${p.total} streams, ${p.failed} failed`, p.checked === p.total),
      }),
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
