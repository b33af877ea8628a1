// Aggregate specs without a disk: given/when/then over one in-memory aggregate of the definition.
// The kit decides a command with the runtime's own decide(), replays the given events with its
// own replay() (so the same refusals and upcasts apply), and arms, clears and fires timers as the
// runtime does (see memory-aggregate.ts): `after(ms)` lets time pass on the spec's own clock. Every
// given event, stored event and the persisted snapshot round-trips through the real event codec,
// so what the runtime could not store fails here too. Assertions throw node:assert's
// AssertionError: any test runner shows them.
import { AssertionError, deepStrictEqual } from 'node:assert';
import type { AnyStateMachine, EventFromLogic, SnapshotFrom } from 'xstate';
import type { AggregateDefinition, Command, DomainEvent } from '../actors/define-aggregate.js';
import { ReplayError } from '../actors/errors.js';
import { startActor } from '../actors/replay.js';
import type { AggregateState } from '../actors/types.js';
import { createEventCodec, type EventCodec, type StructureStore } from '../storage/codec.js';
import { EncodingError } from '../storage/errors.js';
import { streamName } from '../storage/keys.js';
import { MemoryAggregate } from './memory-aggregate.js';

/** An error class that `thenRejects` can check with `instanceof`. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** A delayed event as the runtime stores it when its timer fires: `xstate.after.<delay>.<state id>`, no data. */
export interface TimerEvent {
  readonly type: `xstate.after.${string}`;
}

/** The first steps of a spec: the command under test, or time passing first. */
export interface SpecWhen<TCommand extends { readonly type: string } = Command, TEvent extends { readonly type: string } = DomainEvent, TState extends AggregateState = AggregateState> {
  /** Runs `command` on the aggregate after the given events (and the time let pass). */
  when(command: TCommand): AggregateSpec<TEvent, TState>;
  /**
   * Lets `ms` pass: every timer pending by then fires at its deadline, earliest first, storing its
   * delayed event (`xstate.after.…`) as the runtime does. The given events all happened at time 0.
   */
  after(ms: number): SpecAfter<TCommand, TEvent, TState>;
}

/** What a spec asserts once time has passed: everything stored after the given events, or the state. */
export interface SpecOutcome<TEvent extends { readonly type: string } = DomainEvent, TState extends AggregateState = AggregateState> {
  /**
   * Every event stored after the given ones is exactly `expected` (type and data, deep-equal, in
   * order): the command's events and the delayed events of the timers that fired, as stored.
   */
  then(expected: readonly (TEvent | TimerEvent)[]): void;
  /** Every step succeeds and leaves the aggregate in `expected` (each given key deep-equal). */
  thenState(expected: Partial<TState>): void;
  /** Lets `ms` more pass (see `SpecWhen.after`). */
  after(ms: number): SpecOutcome<TEvent, TState>;
}

/** A spec after time passed and before any command: more time, the command, or the outcome. */
export interface SpecAfter<TCommand extends { readonly type: string } = Command, TEvent extends { readonly type: string } = DomainEvent, TState extends AggregateState = AggregateState>
  extends SpecWhen<TCommand, TEvent, TState>, SpecOutcome<TEvent, TState> {
  /** Lets `ms` more pass (see `SpecWhen.after`). */
  after(ms: number): SpecAfter<TCommand, TEvent, TState>;
}

/** A step after the given events: time passing, or the command. */
type Step = { readonly after: number } | { readonly command: Command };

const SPEC_ID = 'spec';

/** A structure table kept in memory: the codec shares structures exactly as it does on disk. */
function memoryStructures(): StructureStore {
  let structures: unknown[] | undefined;
  return { load: () => structures, save: (next) => void (structures = next) };
}

/** What the steps stored (as decoded from storage), and the aggregate after them. */
interface Outcome {
  readonly events: DomainEvent[];
  readonly aggregate: MemoryAggregate;
}

/** A step that threw: the command's refusal, or a delayed event's ApplyError. */
class StepFailed extends Error {
  constructor(readonly step: Step, readonly error: unknown) {
    super('a step failed');
  }
}

/** `steps` and then `step`: `after` takes a non-negative ms, `when` a command. */
function withStep(steps: readonly Step[], step: Step): Step[] {
  if ('after' in step && (typeof step.after !== 'number' || !Number.isFinite(step.after) || step.after < 0)) {
    throw new RangeError(`after(ms) needs a non-negative number of milliseconds (got ${String(step.after)})`);
  }
  if ('command' in step && (typeof step.command !== 'object' || step.command === null || typeof step.command.type !== 'string')) {
    throw new TypeError('when() takes a command: an object with a string `type`');
  }
  return [...steps, step];
}

/**
 * One scenario; the `then*` methods run it synchronously and throw an AssertionError on mismatch.
 * `TEvent` and `TState` are the definition's events and state, as `given` infers them.
 */
export class AggregateSpec<TEvent extends { readonly type: string } = DomainEvent, TState extends AggregateState = AggregateState>
  implements SpecOutcome<TEvent, TState> {
  private readonly stream: string;

  constructor(
    private readonly definition: AggregateDefinition,
    private readonly given: readonly DomainEvent[],
    private readonly steps: readonly Step[],
  ) {
    this.stream = streamName({ type: definition.type, id: SPEC_ID });
  }

  /** Lets `ms` pass after the command: every timer pending by then fires at its deadline, earliest first. */
  after(ms: number): SpecOutcome<TEvent, TState> {
    return new AggregateSpec(this.definition, this.given, withStep(this.steps, { after: ms }));
  }

  /**
   * The command is accepted and everything stored after the given events is exactly `expected`
   * (type and data, deep-equal, in order): with `after`, the delayed events of the timers that fired too.
   */
  then(expected: readonly (TEvent | TimerEvent)[]): void {
    if (!Array.isArray(expected)) throw new TypeError('then() takes an array of the expected events (use [] for none)');
    const { events, aggregate } = this.runAccepted('then');
    aggregate.stop();
    deepStrictEqual(events, expected.map((event) => ({ ...event })), `${this.title()}: produced events differ from the expected ones`);
  }

  /** The command is rejected with an error of class `expected` or whose message contains it (and `fragment`, if given). */
  thenRejects(expected: string | ErrorClass, fragment?: string): void {
    const at = this.steps.findIndex((step) => 'command' in step);
    if (at !== this.steps.length - 1) throw new TypeError('thenRejects() checks the command: call it right after when()');
    const codec = this.newCodec();
    // A given history the aggregate refuses, or time before the command that fails, is a broken
    // spec, not the expected rejection: outside the try.
    const aggregate = this.arrange(codec);
    this.play(aggregate, codec, this.steps.slice(0, at));
    let events: DomainEvent[];
    try {
      events = this.play(aggregate, codec, this.steps.slice(at));
    } catch (failure) {
      aggregate.stop();
      const error = failure instanceof StepFailed ? failure.error : failure;
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
    aggregate.stop();
    this.fail(`expected a rejection, but the command was accepted with ${JSON.stringify(events)}`);
  }

  /**
   * The command is accepted and leaves the aggregate in `expected` (each given key deep-equal);
   * the state is read from the persisted snapshot restored through the codec, as after a restart.
   */
  thenState(expected: Partial<TState>): void {
    const { aggregate } = this.runAccepted('thenState');
    const codec = this.newCodec();
    const version = aggregate.version;
    // Encoded as a record after the stream's last one: a stream still at version 0 has none before it.
    const restored = startActor(this.definition, this.roundTrip(codec, version + 1, '$snapshot', { state: aggregate.persistedSnapshot() }).state);
    const live = aggregate.state();
    const fromSnapshot = restored.getSnapshot();
    aggregate.stop();
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

  private runAccepted(assertion: string): Outcome {
    const codec = this.newCodec();
    const aggregate = this.arrange(codec);
    try {
      return { events: this.play(aggregate, codec, this.steps), aggregate };
    } catch (failure) {
      aggregate.stop();
      if (!(failure instanceof StepFailed)) throw failure;
      const { step, error } = failure;
      const what = 'command' in step
        ? 'expected the command to be accepted, but it was rejected'
        : `expected the timers due within after(${step.after}) to fire, but one failed`;
      return this.fail(`${assertion}() ${what}: ${describeError(error)}`, error);
    }
  }

  /** A new stream holding the given events, encoded and decoded like stored ones; each must be accepted. */
  private arrange(codec: EventCodec): MemoryAggregate {
    const aggregate = MemoryAggregate.start(this.definition, SPEC_ID);
    try {
      for (const [index, { type, ...data }] of this.given.entries()) {
        aggregate.replayEvent({ type, ...this.roundTrip(codec, index + 1, type, data) });
      }
    } catch (error) {
      aggregate.stop();
      if (!(error instanceof ReplayError)) throw error;
      const cause = error.cause;
      const reason = cause === undefined ? `is not accepted in state ${JSON.stringify(error.state)}` : `made an action throw: ${describeError(cause)}`;
      throw new Error(`given event #${error.version} "${error.eventType}" of ${this.stream} ${reason}: the given history must be one the aggregate accepts`);
    }
    return aggregate;
  }

  /**
   * Runs `steps` as the runtime would (commands decided, timers fired at their deadlines), and
   * returns what they stored, encoded and decoded as the log would; a failed step is a StepFailed.
   */
  private play(aggregate: MemoryAggregate, codec: EventCodec, steps: readonly Step[]): DomainEvent[] {
    const stored: DomainEvent[] = [];
    for (const step of steps) {
      const from = aggregate.version;
      try {
        if ('command' in step) aggregate.send(step.command);
        else aggregate.advance(step.after);
        // What the runtime cannot encode fails the step that produced it, as its append would.
        for (const event of aggregate.history.slice(from)) stored.push({ type: event.type, ...this.roundTrip(codec, event.version, event.type, event.data) });
      } catch (error) {
        throw new StepFailed(step, error);
      }
    }
    return stored;
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
    const steps = this.steps.map((step) => ('command' in step ? `when ${JSON.stringify(step.command)}` : `after ${step.after} ms`));
    return [`given ${this.given.length} event(s) of ${this.definition.type}`, ...steps].join(', ');
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
 * Starts an aggregate spec: the events the aggregate already holds (its history, in order, all at
 * time 0; a stored timer event fires its timer). The events, the command and the expected state are
 * typed by the definition, as `runtime.aggregate` is.
 * @example
 * given(account, [{ type: 'AccountOpened', owner: 'ann', initial: 100 }]).when({ type: 'withdraw', amount: 150 }).thenRejects('insufficient funds');
 * given(order, [{ type: 'OrderPlaced', total: 30, windowMs: 1_800_000 }]).after(30 * 60_000).thenState({ value: 'expired' });
 */
export function given<TMachine extends AnyStateMachine, TCommand extends { readonly type: string }>(
  definition: AggregateDefinition<TMachine, TCommand>,
  events: readonly NoInfer<EventFromLogic<TMachine> | TimerEvent>[] = [],
): SpecWhen<TCommand, EventFromLogic<TMachine>, AggregateState<SnapshotFrom<TMachine>['context'], SnapshotFrom<TMachine>['value']>> {
  if (!Array.isArray(events)) throw new TypeError('given() takes the aggregate definition and an array of its past events');
  // The definition's own command type is one of its commands: the runtime admits it the same way.
  return beforeCommand(definition, events, []) as unknown as SpecWhen<TCommand, EventFromLogic<TMachine>, AggregateState<SnapshotFrom<TMachine>['context'], SnapshotFrom<TMachine>['value']>>;
}

/** A spec before its command: time can pass, then the command comes, or the outcome is asserted. */
function beforeCommand(definition: AggregateDefinition, history: readonly DomainEvent[], steps: readonly Step[]): SpecAfter {
  return {
    when: (command) => new AggregateSpec(definition, history, withStep(steps, { command })),
    after: (ms) => beforeCommand(definition, history, withStep(steps, { after: ms })),
    then: (expected) => new AggregateSpec(definition, history, steps).then(expected),
    thenState: (expected) => new AggregateSpec(definition, history, steps).thenState(expected),
  };
}
