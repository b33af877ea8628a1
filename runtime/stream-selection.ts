// Which streams a check replays: every stored stream, those of named types, named streams, or a
// random sample of them. Streams of a type no definition covers are counted, never dropped
// silently. The selection is listed up front, so progress can say how far the check has got.
import type { StreamReader } from '../storage/event-log.js';
import { streamName, type StreamRef } from '../storage/keys.js';
import type { UncheckedType } from './check-result.js';
import type { ResolvedCheck } from './check-options.js';

/** The streams to replay, in stream key order, and the types that cannot be. */
export interface StreamSelection {
  readonly selected: readonly StreamRef[];
  readonly unchecked: readonly UncheckedType[];
}

/** Lists the streams `check` asks for; throws RangeError for a named stream without events. */
export function selectStreams(log: Pick<StreamReader, 'streams' | 'streamHead'>, check: ResolvedCheck): StreamSelection {
  const { selected, unchecked } = check.types === undefined && check.streams === undefined ? everyStream(log, check) : named(log, check);
  return { selected: check.sample === undefined ? selected : sampleOf(selected, check.sample), unchecked };
}

function everyStream(log: Pick<StreamReader, 'streams'>, check: ResolvedCheck): StreamSelection {
  const selected: StreamRef[] = [];
  const unchecked = new Map<string, number>();
  for (const { type, id } of log.streams()) {
    if (check.aggregates.has(type)) selected.push({ type, id });
    else unchecked.set(type, (unchecked.get(type) ?? 0) + 1);
  }
  return { selected, unchecked: [...unchecked].map(([aggregateType, streams]) => ({ aggregateType, streams })) };
}

function named(log: Pick<StreamReader, 'streams' | 'streamHead'>, check: ResolvedCheck): StreamSelection {
  const types = new Set(check.types);
  const selected: StreamRef[] = [];
  for (const type of types) for (const { id } of log.streams(type)) selected.push({ type, id });
  const seen = new Set<string>();
  for (const stream of check.streams ?? []) {
    const name = streamName(stream);
    if (types.has(stream.type) || seen.has(name)) continue;
    if (!log.streamHead(stream)) throw new RangeError(`stream ${name} has no events in ${check.path}`);
    seen.add(name);
    selected.push({ type: stream.type, id: stream.id });
  }
  return { selected, unchecked: [] };
}

/** `size` of `streams` drawn uniformly at random, kept in their order (a partial Fisher–Yates shuffle). */
function sampleOf(streams: readonly StreamRef[], size: number): readonly StreamRef[] {
  if (size >= streams.length) return streams;
  const order = Array.from(streams.keys());
  for (let drawn = 0; drawn < size; drawn++) {
    const pick = drawn + Math.floor(Math.random() * (order.length - drawn));
    [order[drawn], order[pick]] = [order[pick]!, order[drawn]!];
  }
  return order.slice(0, size).sort((a, b) => a - b).map((index) => streams[index]!);
}
