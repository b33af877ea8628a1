// Aggregate specs that read as given/when/then, run on a real runtime in a temp directory: the
// `given` events are appended through the event log (history is fact, it is not re-decided),
// the `when` command goes through runtime.send, and `then` checks what send returned AND what
// the stream holds afterwards; `thenRejects` checks that nothing was stored and state is unchanged.
import { rmSync } from 'node:fs';
import { expect } from 'vitest';
import type { AggregateDefinition, Command, DomainEvent } from '../../actors/define-aggregate.js';
import { createRuntime } from '../../runtime/runtime.js';
import type { AggregateState, Runtime, SendOptions } from '../../runtime/types.js';
import { openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import { domainEvent, tempDataDir } from '../fixtures/runtime-kit.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/** Runs the scenario's command on a runtime seeded with the given events. */
export class Scenario {
  constructor(
    private readonly definition: AggregateDefinition,
    private readonly id: string,
    private readonly given: readonly DomainEvent[],
    private readonly command: Command,
    private readonly options: SendOptions | undefined,
  ) {}

  /** The command is accepted and stores exactly `expected` (after the given events). */
  then(expected: readonly DomainEvent[]): Promise<void> {
    if (!Array.isArray(expected)) throw new TypeError('then() takes the expected events; a scenario is not a promise');
    return this.run(async (runtime, type) => {
      const result = await runtime.send(type, this.id, this.command, this.options);
      const versions = expected.map((_, i) => this.given.length + i + 1);
      expect(result.events.map(domainEvent), 'events returned by send').toEqual(expected);
      expect(result.events.map((e) => [e.aggregateType, e.aggregateId, e.version, e.position])).toEqual(versions.map((v) => [type, this.id, v, v]));
      expect(result.version).toBe(this.given.length + expected.length);
      expect([...runtime.readStream(type, this.id)].map(domainEvent), 'events in the stream').toEqual([...this.given, ...expected]);
      expect((await runtime.state(type, this.id)).version).toBe(result.version);
    });
  }

  /** The command is rejected with an error whose message contains `fragment` (and of class `errorClass`). */
  thenRejects(fragment: string, errorClass?: ErrorClass): Promise<void> {
    return this.run(async (runtime, type) => {
      const before = await runtime.state(type, this.id);
      const error: unknown = await runtime.send(type, this.id, this.command, this.options).then(
        (result) => expect.fail(`expected a rejection, got ${JSON.stringify(result)}`),
        (rejection: unknown) => rejection,
      );
      if (errorClass) expect(error).toBeInstanceOf(errorClass);
      expect((error as Error).message).toContain(fragment);
      expect([...runtime.readStream(type, this.id)].map(domainEvent), 'nothing was stored').toEqual([...this.given]);
      expect(await runtime.state(type, this.id), 'state is unchanged').toEqual(before);
    });
  }

  /** The command is accepted and leaves the aggregate in a state matching `expected`. */
  thenState(expected: Partial<AggregateState>): Promise<void> {
    return this.run(async (runtime, type) => {
      await runtime.send(type, this.id, this.command, this.options);
      expect(await runtime.state(type, this.id)).toMatchObject(expected);
    });
  }

  private async run(check: (runtime: Runtime, type: string) => Promise<void>): Promise<void> {
    const path = tempDataDir();
    const type = this.definition.type;
    try {
      if (this.given.length > 0) {
        const log = openLmdbEventLog({ path });
        try {
          const events = this.given.map(({ type: eventType, ...data }) => ({ type: eventType, data, metadata: { timestamp: Date.now() } }));
          await log.stage({ stream: { type, id: this.id }, expectedVersion: 0, events }).durable;
        } finally {
          await log.close();
        }
      }
      const runtime = await createRuntime({ path, aggregates: [this.definition] });
      try {
        await check(runtime, type);
      } finally {
        await runtime.close();
      }
    } finally {
      rmSync(path, { recursive: true, force: true });
    }
  }
}

/**
 * The `given` of an aggregate's specs.
 * @example
 * const given = givenFor(account);
 * await given([opened(100)]).when(withdraw(30)).then([withdrawn(30)]);
 */
export function givenFor(definition: AggregateDefinition, id = 'spec-1') {
  return (events: readonly DomainEvent[]) => ({
    when: (command: Command, options?: SendOptions) => new Scenario(definition, id, events, command, options),
  });
}
