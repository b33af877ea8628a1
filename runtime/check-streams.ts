// `rehydra check` as a function: before a machine change ships, every selected stream is replayed
// from its first event through the current machine and upcasters (the one replay loop, never a
// stored snapshot), with the data directory opened read-only beside any running writer. A stream
// that fails is reported with where and why; nothing is written.
import { setImmediate as turn } from 'node:timers/promises';
import type { LiveActor } from '../actors/live-actor.js';
import type { AggregateDefinition } from '../actors/define-aggregate.js';
import { ReplayError } from '../actors/errors.js';
import { missingState } from '../actors/missing-state.js';
import { replay, startActor } from '../actors/replay.js';
import type { SnapshotStore, StoredEvent, StreamReader } from '../storage/event-log.js';
import type { StreamRef } from '../storage/keys.js';
import { openEventLog } from '../storage/lmdb-event-log.js';
import { resolveCheckOptions, type CheckOptions } from './check-options.js';
import type { CheckResult, FailedStream, UnknownStateStream } from './check-result.js';
import { selectStreams } from './stream-selection.js';

/** Replay runs synchronously; yield to the event loop this often (ms) so a writer in the same process keeps acknowledging. */
const TURN_MS = 10;

/**
 * Replays stored streams through the current aggregate definitions, read-only, and reports the
 * streams that would fail, the snapshots the new fingerprints invalidate, the snapshots in states
 * the machines no longer have, and the stored types no definition covers. In a process that also
 * runs a runtime on `path`, create the runtime first: lmdb-js keeps a path's first open flags.
 * @example
 * const report = await checkStreams({ path: './data', aggregates: [account] });
 * if (report.failed.length > 0) console.error(report.failed); // { aggregateType, aggregateId, version, eventType, state, error }
 */
export async function checkStreams(options: CheckOptions): Promise<CheckResult> {
  const check = resolveCheckOptions(options);
  const log = openEventLog({ path: check.path, readOnly: true });
  try {
    const { selected, unchecked } = selectStreams(log, check);
    const failed: FailedStream[] = [];
    const unknownStates: UnknownStateStream[] = [];
    let staleSnapshots = 0;
    let checked = 0;
    let since = performance.now();
    for (const stream of selected) {
      const definition = check.aggregates.get(stream.type)!;
      const snapshot = staleSnapshotOf(log, definition, stream);
      if (snapshot) {
        staleSnapshots++;
        if (snapshot.unknown) unknownStates.push(snapshot.unknown);
      }
      const failure = replayStream(log, definition, stream);
      if (failure) failed.push(failure);
      checked++;
      check.onProgress?.({ checked, total: selected.length, failed: failed.length });
      if (performance.now() - since >= TURN_MS) {
        await turn();
        since = performance.now();
      }
    }
    return { streams: checked, failed, staleSnapshots, unknownStates, unchecked };
  } finally {
    await log.close();
  }
}

/** The stream's stored snapshot when the definition's fingerprint no longer matches it, with its state if the machine lacks it. */
function staleSnapshotOf(
  log: Pick<SnapshotStore, 'latestSnapshot'>, definition: AggregateDefinition, stream: StreamRef,
): { unknown?: UnknownStateStream } | undefined {
  const snapshot = log.latestSnapshot(stream);
  if (!snapshot || snapshot.fingerprint === definition.fingerprint) return undefined;
  // The stored state is XState's persisted snapshot: its `value` names the states it is in.
  const state = (snapshot.state as { value?: unknown } | null)?.value;
  const missing = missingState(definition.machine, state);
  if (missing === undefined) return {};
  return { unknown: { aggregateType: stream.type, aggregateId: stream.id, version: snapshot.version, state, missing } };
}

/** Replays one stream from version 1; undefined when every event applies, else where it failed. */
function replayStream(log: Pick<StreamReader, 'readStream'>, definition: AggregateDefinition, stream: StreamRef): FailedStream | undefined {
  const actor = startActor(definition);
  const at: { event?: StoredEvent } = {};
  try {
    replay(definition, actor, tracked(log.readStream(stream), at));
    return undefined;
  } catch (error) {
    // No event in hand: reading the stream failed (corrupt data), which is not the machine's doing.
    if (!at.event) throw error;
    return failureAt(stream, at.event, actor, error);
  } finally {
    actor.stop();
  }
}

/** Passes events through, holding in `at` the one being applied (cleared once the next is asked for). */
function* tracked(events: Iterable<StoredEvent>, at: { event?: StoredEvent }): Generator<StoredEvent> {
  for (const event of events) {
    at.event = event;
    yield event;
    at.event = undefined;
  }
}

function failureAt(stream: StreamRef, event: StoredEvent, actor: LiveActor, error: unknown): FailedStream {
  // A ReplayError knows the state before the event; an upcaster that threw left the actor there.
  const state = error instanceof ReplayError ? error.state : (actor.getSnapshot() as { value: unknown }).value;
  return {
    aggregateType: stream.type, aggregateId: stream.id, version: event.version, eventType: event.type, state,
    error: error instanceof Error ? error.message : String(error),
  };
}
