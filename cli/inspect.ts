// The inspect commands as plain data, shared by the human and the --json output. Owns: the
// event log is opened read-only (never taking the writer lock) and always closed again.
import { rehydrate, versionPastHead } from '../actors/replay.js';
import type { EventLog, StoredEvent, StoredSnapshot, StreamHead } from '../storage/event-log.js';
import { openEventLog } from '../storage/lmdb-event-log.js';
import type { Invocation } from './args.js';
import { readCheckpoints } from './checkpoints.js';
import { requireDirectory } from './data-directory.js';
import { loadAggregate } from './load-aggregate.js';

/** An event as printed: the stored event with its timestamp as ISO 8601. */
export type InspectedEvent = StoredEvent & { readonly time: string };

/** A snapshot as printed: its cut and the persisted statechart's value and context. */
export interface InspectedSnapshot {
  readonly version: number;
  readonly position: number;
  readonly fingerprint: string;
  readonly value: unknown;
  readonly context: unknown;
}

/** What a stream's `state` shows: the stored snapshot + tail, or the state computed by the user's aggregate. */
export type InspectedState =
  | { readonly mode: 'stored'; readonly version: number; readonly snapshot?: InspectedSnapshot; readonly events: InspectedEvent[] }
  | { readonly mode: 'computed'; readonly version: number; readonly value: unknown; readonly context: unknown; readonly replayed: number };

/** The result of one inspect command. */
export type Report =
  | { readonly command: 'streams'; readonly streams: { type: string; id: string; version: number; position: number }[] }
  | { readonly command: 'events' | 'log'; readonly events: InspectedEvent[] }
  | { readonly command: 'state'; readonly type: string; readonly id: string; readonly state: InspectedState }
  | { readonly command: 'projections'; readonly head: number; readonly projections: InspectedProjection[] }
  | { readonly command: 'timers'; readonly now: string; readonly timers: InspectedTimer[] };

/** A pending durable timer as printed: its stream, the delayed event it fires, and when. */
export interface InspectedTimer {
  readonly type: string;
  readonly id: string;
  readonly timer: string;
  readonly dueAt: number;
  readonly due: string;
  /** Past due when inspected: it fires as soon as a runtime serves the directory. */
  readonly overdue: boolean;
}

/** A projection's checkpoint and lag behind the log's head, overall and per partition. */
export interface InspectedProjection {
  readonly name: string;
  readonly generation: number;
  readonly position: number;
  readonly lag: number;
  readonly partitions: { partition: number; position: number; lag: number }[];
}

/** Runs one inspect command against the data directory, read-only. */
export async function inspect(invocation: Exclude<Invocation, { command: 'help' }>): Promise<Report> {
  const { path } = invocation;
  requireDirectory(path);
  const log = openEventLog({ path, readOnly: true });
  try {
    switch (invocation.command) {
      case 'streams':
        return { command: 'streams', streams: [...log.streams(invocation.type)].map(({ type, id, version, position }) => ({ type, id, version, position })) };
      case 'events': {
        const stream = requireStream(log, invocation.type, invocation.id);
        return { command: 'events', events: [...log.readStream(stream.ref, { fromVersion: invocation.from })].map(withTime) };
      }
      case 'log':
        return { command: 'log', events: [...log.readAll({ fromPosition: invocation.from, limit: invocation.limit })].map(withTime) };
      case 'state':
        return { command: 'state', type: invocation.type, id: invocation.id, state: await stateOf(log, invocation) };
      case 'projections':
        return { command: 'projections', ...(await projections(log, path)) };
      case 'timers':
        return timers(log, invocation.before, invocation.limit);
    }
  } finally {
    await log.close();
  }
}

function timers(log: EventLog, before = Number.POSITIVE_INFINITY, limit?: number): Report {
  const now = Date.now();
  const pending = log.dueTimers(before, limit).map(({ stream, id, dueAt }): InspectedTimer => ({
    type: stream.type, id: stream.id, timer: id, dueAt, due: new Date(dueAt).toISOString(), overdue: dueAt <= now,
  }));
  return { command: 'timers', now: new Date(now).toISOString(), timers: pending };
}

function withTime(event: StoredEvent): InspectedEvent {
  const { timestamp } = event.metadata;
  return { ...event, time: Number.isFinite(timestamp) ? new Date(timestamp).toISOString() : String(timestamp) };
}

function requireStream(log: EventLog, type: string, id: string): { ref: { type: string; id: string }; head: StreamHead } {
  const ref = { type, id };
  const head = log.streamHead(ref);
  // Like a version past the head, a fact of the data rather than a malformed command line (exit 1, not 2).
  if (!head) throw new RangeError(`stream ${type}/${id} has no events in ${log.path}: list them with "streams"`);
  return { ref, head };
}

async function stateOf(log: EventLog, invocation: Extract<Invocation, { command: 'state' }>): Promise<InspectedState> {
  const { ref, head } = requireStream(log, invocation.type, invocation.id);
  const toVersion = invocation.version ?? head.version;
  const pastHead = versionPastHead(ref, toVersion, head.version);
  if (pastHead) throw pastHead;
  if (invocation.module !== undefined) {
    const definition = await loadAggregate(invocation.module, ref.type);
    const { actor, version, replayed } = rehydrate(definition, log, ref, { toVersion });
    const snapshot = actor.getSnapshot() as { value: unknown; context: unknown };
    actor.stop();
    return { mode: 'computed', version, value: snapshot.value, context: snapshot.context, replayed };
  }
  const stored = log.latestSnapshot(ref);
  const snapshot = stored && stored.version <= toVersion ? inspectSnapshot(stored) : undefined;
  const events = [...log.readStream(ref, { fromVersion: (snapshot?.version ?? 0) + 1, toVersion })].map(withTime);
  return { mode: 'stored', version: toVersion, ...(snapshot && { snapshot }), events };
}

function inspectSnapshot(stored: StoredSnapshot): InspectedSnapshot {
  // The state is XState's persisted snapshot; without the machine only its value and context mean anything.
  const state = (typeof stored.state === 'object' && stored.state !== null ? stored.state : {}) as { value?: unknown; context?: unknown };
  return { version: stored.version, position: stored.position, fingerprint: stored.fingerprint, value: state.value, context: state.context };
}

async function projections(log: EventLog, path: string): Promise<{ head: number; projections: InspectedProjection[] }> {
  const head = log.headPosition();
  const found = (await readCheckpoints(path)).map(({ projection, generation, partitions }): InspectedProjection => {
    const position = partitions.length === 0 ? 0 : Math.min(...partitions);
    return {
      name: projection, generation, position, lag: Math.max(0, head - position),
      partitions: partitions.map((applied, partition) => ({ partition, position: applied, lag: Math.max(0, head - applied) })),
    };
  });
  return { head, projections: found };
}
