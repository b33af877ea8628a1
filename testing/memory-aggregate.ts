// One aggregate in memory, with the runtime's notion of time: the testing kit's specs and the
// model-path generator run on it. Commands are decided by the runtime's decide(), past events
// replayed by its replay(), and timers armed, cleared and fired through actors/timers.ts exactly
// as the runtime's actor does, on a clock that only moves when told: the kit cannot disagree with
// the runtime about which timer fires when, or what it stores.
import type { LiveActor } from '../actors/live-actor.js';
import { failureOf } from '../actors/apply-event.js';
import { admit, decide } from '../actors/decide.js';
import type { AggregateDefinition, Command, DomainEvent } from '../actors/define-aggregate.js';
import { ApplyError } from '../actors/errors.js';
import { acceptedEvents } from '../actors/refusal.js';
import { replay, startActor } from '../actors/replay.js';
import { applyTimerActions, fireTimer, recordTimers, type TimerAction } from '../actors/timers.js';
import type { AggregateState } from '../actors/types.js';
import type { PendingTimer, StoredEvent } from '../storage/event-log.js';
import { streamName, type StreamRef } from '../storage/keys.js';
import { ledgerKey } from '../storage/ledger-keys.js';

/** A stream's events and pending timers, kept as the runtime would store them (time starts at 0). */
export class MemoryAggregate {
  /** Every event the stream holds, as stored: timer events carry `metadata.timer`. */
  readonly history: StoredEvent[] = [];
  private timers = new Map<string, number>();
  /** A new stream's initial state armed these when its actor started: they are stored with its first events. */
  private initialTimers: readonly TimerAction[] = [];
  private clock = 0;

  private constructor(
    readonly definition: AggregateDefinition,
    readonly stream: StreamRef,
    private readonly actor: LiveActor,
  ) {}

  /** A new stream of `definition` named `id`: version 0, the machine's initial state, time 0. */
  static start(definition: AggregateDefinition, id: string): MemoryAggregate {
    const { value: actor, actions } = recordTimers(() => startActor(definition));
    const aggregate = new MemoryAggregate(definition, { type: definition.type, id }, actor);
    aggregate.initialTimers = actions;
    return aggregate;
  }

  get version(): number {
    return this.history.length;
  }

  /** The stream's clock (ms since it started). */
  get now(): number {
    return this.clock;
  }

  state(): AggregateState {
    const { value, context } = this.actor.getSnapshot();
    return { value, context, version: this.version };
  }

  /** The domain event types the current state has a transition for (guards aside). */
  accepts(): string[] {
    return acceptedEvents(this.actor.getSnapshot());
  }

  /** The XState persisted snapshot the runtime would write now. */
  persistedSnapshot(): unknown {
    return this.actor.getPersistedSnapshot();
  }

  /** Pending timers in firing order: by deadline, ties in the order of the runtime's deadline index. */
  pending(): PendingTimer[] {
    return [...this.timers]
      .map(([id, dueAt]) => ({ id, dueAt }))
      .sort((a, b) => a.dueAt - b.dueAt || ledgerKey(this.stream, a.id).compare(ledgerKey(this.stream, b.id)));
  }

  /**
   * Applies a past event as replay does (throws ReplayError when the state refuses it), arming and
   * clearing timers as the command that stored it did; a timer event fires its pending timer, at its deadline.
   */
  replayEvent(event: DomainEvent): void {
    const { type, ...data } = event;
    const dueAt = this.timers.get(type);
    if (dueAt !== undefined) this.clock = Math.max(this.clock, dueAt);
    // decide() refuses `xstate.*` types: only a fired timer can have stored one.
    const stored = this.stored(type, data, type.startsWith('xstate.'));
    const { actions } = recordTimers(() => replay(this.definition, this.actor, [stored], this.version));
    this.append([stored], actions, dueAt === undefined ? undefined : type);
  }

  /** Decides `command` as the runtime does and stores its events; throws what send() would reject with. */
  send(command: Command): DomainEvent[] {
    const stream = streamName(this.stream);
    const { value: events, actions } = recordTimers(() => decide(this.definition, this.stream, this.actor, admit(this.definition, stream, command)));
    // The runtime stores (and so arms) nothing for a command without events.
    if (events.length > 0) this.append(events.map(({ type, ...data }, i) => this.stored(type, data, false, this.version + 1 + i)), actions);
    return events;
  }

  /**
   * Moves time `ms` forward, firing each timer due by then, earliest first, each at its deadline,
   * as the runtime's scheduler does; returns the events stored. A delayed transition whose action
   * throws is an ApplyError, as the runtime's firing is.
   */
  advance(ms: number): StoredEvent[] {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new RangeError(`after(ms) needs a non-negative number of milliseconds (got ${String(ms)})`);
    const target = this.clock + ms;
    const fired: StoredEvent[] = [];
    for (let next = this.pending()[0]; next !== undefined && next.dueAt <= target; next = this.pending()[0]) {
      this.clock = Math.max(this.clock, next.dueAt);
      const firing = fireTimer(this.actor, this.timers, next.id, this.clock);
      if (firing.outcome === 'failed') throw new ApplyError(streamName(this.stream), next.id, failureOf(this.actor));
      this.timers = firing.next;
      for (const { type, data } of firing.events) fired.push(this.push(this.stored(type, data, true)));
    }
    this.clock = target;
    return fired;
  }

  /** An independent copy at the same version, timers and time: its actor rebuilt by a full replay of the history. */
  fork(): MemoryAggregate {
    if (this.version === 0) return MemoryAggregate.start(this.definition, this.stream.id);
    const copy = new MemoryAggregate(this.definition, this.stream, startActor(this.definition));
    replay(this.definition, copy.actor, this.history);
    copy.history.push(...this.history);
    copy.timers = new Map(this.timers);
    copy.clock = this.clock;
    return copy;
  }

  stop(): void {
    this.actor.stop();
  }

  private stored(type: string, data: Record<string, unknown>, timer: boolean, version = this.version + 1): StoredEvent {
    return {
      position: version, aggregateType: this.stream.type, aggregateId: this.stream.id, version, type, data,
      metadata: timer ? { timestamp: this.clock, timer: true } : { timestamp: this.clock },
    };
  }

  private push(event: StoredEvent): StoredEvent {
    this.history.push(event);
    return event;
  }

  /** Stores `events` and applies the timer actions they caused, as the runtime's append of them does. */
  private append(events: StoredEvent[], actions: readonly TimerAction[], fired?: string): void {
    for (const event of events) this.push(event);
    const all = this.initialTimers.length > 0 ? [...this.initialTimers, ...actions] : actions;
    this.timers = applyTimerActions(this.timers, all, this.clock, fired).next;
    this.initialTimers = [];
  }
}
