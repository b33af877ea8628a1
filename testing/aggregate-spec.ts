// Aggregate specs without a disk: given/when/then over one in-memory actor of the definition.
// The kit decides a command with the runtime's own decide() and replays the given events with its
// own replay() (so the same refusals and upcasts apply), and every given event, produced event and the
// persisted snapshot round-trips through the real event codec, so what the runtime could not
// store fails here too. Assertions throw node:assert's AssertionError: any test runner shows them.
import { AssertionError, deepStrictEqual } from 'node:assert';
import type { AnyActor, AnyStateMachine, EventFromLogic, SnapshotFrom } from 'xstate';
import { admit, decide } from '../actors/decide.js';
import type { AggregateDefinition, Command, DomainEvent } from '../actors/define-aggregate.js';
import { ReplayError } from '../actors/errors.js';
import { replay, startActor } from '../actors/replay.js';
import type { AggregateState } from '../actors/types.js';
import { createEventCodec, type EventCodec, type StructureStore } from '../storage/codec.js';
import { EncodingError } from '../storage/errors.js';
import type { StoredEvent } from '../storage/event-log.js';
import { streamName, type StreamRef } from '../storage/keys.js';

/** An error class that `thenRejects` can check with `instanceof`. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** The `when` step of a spec: the command under test, typed by the definition's command union. */
export interface SpecWhen<TCommand extends { readonly type: string } = Command, TEvent extends { readonly type: string } = DomainEvent, TState extends AggregateState = AggregateState> {
  /** Runs `command` on the aggregate after the given events. */
  when(command: TCommand): AggregateSpec<TEvent, TState>;
}

const SPEC_ID = 'spec';

/** A structure table kept in memory: the codec shares structures exactly as it does on disk. */
function memoryStructures(): StructureStore {
  let structures: unknown[] | undefined;
  return { load: () => structures, save: (next) => void (structures = next) };
}

/** What running the command produced: its events (as decoded from storage) and the actor after them. */
interface Outcome {
  readonly events: DomainEvent[];
  readonly actor: AnyActor;
  readonly version: number;
}

/**
 * One scenario; the `then*` methods run it synchronously and throw an AssertionError on mismatch.
 * `TEvent` and `TState` are the definition's events and state, as `given` infers them.
 */
export class AggregateSpec<TEvent extends { readonly type: string } = DomainEvent, TState extends AggregateState = AggregateState> {
  private readonly ref: StreamRef;
  private readonly stream: string;

  constructor(
    private readonly definition: AggregateDefinition,
    private readonly given: readonly DomainEvent[],
    private readonly command: Command,
  ) {
    this.ref = { type: definition.type, id: SPEC_ID };
    this.stream = streamName(this.ref);
  }

  /** The command is accepted and produces exactly `expected` (type and data, deep-equal, in order). */
  then(expected: readonly TEvent[]): void {
    if (!Array.isArray(expected)) throw new TypeError('then() takes an array of the expected events (use [] for none)');
    const { events } = this.runAccepted('then');
    deepStrictEqual(events, expected.map((event) => ({ ...event })), `${this.title()}: produced events differ from the expected ones`);
  }

  /** The command is rejected with an error of class `expected` or whose message contains it (and `fragment`, if given). */
  thenRejects(expected: string | ErrorClass, fragment?: string): void {
    // A given history the aggregate refuses is a broken spec, not the expected rejection: outside the try.
    const actor = this.replayGiven();
    let outcome: Outcome;
    try {
      outcome = this.run(actor, this.newCodec());
    } catch (error) {
      actor.stop();
      const message = String((error as Error)?.message ?? error);
      if (typeof expected === 'function' && !(error instanceof expected)) {
        this.fail(`expected a rejection of class ${expected.name}, got ${describeError(error)}`, error);
      }
      const wanted = typeof expected === 'string' ? expected : fragment;
      if (wanted !== undefined && !message.includes(wanted)) {
        this.fail(`expected a rejection whose message contains ${JSON.stringify(wanted)}, got ${describeError(error)}`, error);
      }
      return;
    }
    outcome.actor.stop();
    this.fail(`expected a rejection, but the command was accepted with ${JSON.stringify(outcome.events)}`);
  }

  /**
   * The command is accepted and leaves the aggregate in `expected` (each given key deep-equal);
   * the state is read from the persisted snapshot restored through the codec, as after a restart.
   */
  thenState(expected: Partial<TState>): void {
    const { actor, version } = this.runAccepted('thenState');
    const codec = this.newCodec();
    const restored = startActor(this.definition, this.roundTrip(codec, version, '$snapshot', { state: actor.getPersistedSnapshot() }).state);
    const live = actor.getSnapshot();
    const fromSnapshot = restored.getSnapshot();
    actor.stop();
    restored.stop();
    deepStrictEqual(
      { value: fromSnapshot.value, context: fromSnapshot.context },
      { value: live.value, context: live.context },
      `${this.title()}: the persisted snapshot does not restore the live state (it holds data the codec changes)`,
    );
    const actual: AggregateState = { value: fromSnapshot.value, context: fromSnapshot.context, version };
    const wanted: Partial<AggregateState> = expected;
    for (const key of ['value', 'context', 'version'] as const) {
      if (key in wanted) deepStrictEqual(actual[key], wanted[key], `${this.title()}: state.${key} differs`);
    }
  }

  private runAccepted(step: string): Outcome {
    const actor = this.replayGiven();
    try {
      return this.run(actor, this.newCodec());
    } catch (error) {
      actor.stop();
      return this.fail(`${step}() expected the command to be accepted, but it was rejected: ${describeError(error)}`, error);
    }
  }

  /** The given events, encoded and decoded like stored ones, replayed; each must be accepted. */
  private replayGiven(): AnyActor {
    const codec = this.newCodec();
    const actor = startActor(this.definition);
    const stored = this.given.map(({ type, ...data }, index): StoredEvent => {
      const version = index + 1;
      return {
        position: version, aggregateType: this.definition.type, aggregateId: SPEC_ID, version, type,
        data: this.roundTrip(codec, version, type, data), metadata: { timestamp: 0 },
      };
    });
    try {
      replay(this.definition, actor, stored);
    } catch (error) {
      if (!(error instanceof ReplayError)) throw error;
      const cause = error.cause;
      const reason = cause === undefined ? `is not accepted in state ${JSON.stringify(error.state)}` : `made an action throw: ${describeError(cause)}`;
      throw new Error(`given event #${error.version} "${error.eventType}" of ${this.stream} ${reason}: the given history must be one the aggregate accepts`);
    }
    return actor;
  }

  /** Decides the command as the runtime does, then encodes its events as the log would. */
  private run(actor: AnyActor, codec: EventCodec): Outcome {
    const events = decide(this.definition, this.ref, actor, admit(this.definition, this.stream, this.command));
    const version = this.given.length + events.length;
    const decoded = events.map(({ type: eventType, ...data }, i) => ({
      type: eventType, ...this.roundTrip(codec, this.given.length + i + 1, eventType, data),
    }));
    return { events: decoded, actor, version };
  }

  /** Encodes and decodes `data` as the log would store it; an EncodingError like the runtime's if it cannot. */
  private roundTrip(codec: EventCodec, version: number, type: string, data: Record<string, unknown>): Record<string, unknown> {
    let value: Buffer;
    try {
      value = codec.encode(
        { aggregateType: this.definition.type, aggregateId: SPEC_ID, version, type, data, metadata: { timestamp: 0 } },
        version - 1,
      );
    } catch (error) {
      throw new EncodingError(this.stream, `event "${type}"`, error);
    }
    return codec.decode(value, version).data;
  }

  private newCodec(): EventCodec {
    return createEventCodec(memoryStructures(), false);
  }

  private title(): string {
    return `given ${this.given.length} event(s) of ${this.definition.type}, when ${JSON.stringify(this.command)}`;
  }

  private fail(message: string, cause?: unknown): never {
    const error = new AssertionError({ message: `${this.title()}: ${message}` });
    if (cause !== undefined) error.cause = cause;
    throw error;
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message}`;
  return String(error);
}

/**
 * Starts an aggregate spec: the events the aggregate already holds (its history, in order). The
 * events, the command and the expected state are typed by the definition, as `runtime.aggregate` is.
 * @example
 * given(account, [{ type: 'AccountOpened', owner: 'ann', initial: 100 }]).when({ type: 'withdraw', amount: 150 }).thenRejects('insufficient funds');
 */
export function given<TMachine extends AnyStateMachine, TCommand extends { readonly type: string }>(
  definition: AggregateDefinition<TMachine, TCommand>,
  events: readonly NoInfer<EventFromLogic<TMachine>>[] = [],
): SpecWhen<TCommand, EventFromLogic<TMachine>, AggregateState<SnapshotFrom<TMachine>['context'], SnapshotFrom<TMachine>['value']>> {
  if (!Array.isArray(events)) throw new TypeError('given() takes the aggregate definition and an array of its past events');
  const history: readonly DomainEvent[] = events;
  return {
    when: (command) => {
      if (typeof command !== 'object' || command === null || typeof command.type !== 'string') {
        throw new TypeError('when() takes a command: an object with a string `type`');
      }
      // The definition's own command type is one of its commands: the runtime admits it the same way.
      return new AggregateSpec(definition, history, command as unknown as Command);
    },
  };
}
