// The package's types as an ES module consumer in TypeScript sees them: type-checked (not run) under
// moduleResolution node16, bundler and node10 (tsconfig.*.json). The bundler check also checks the
// declarations (no skipLibCheck); the others skip them, since lmdb's own index.d.ts fails under node16.
import { assign, setup } from 'xstate';
import { createRuntime, defineAggregate, RehydraError, type EventOf, type ProjectionView, type StoredEvent } from 'rehydra';
import { given } from 'rehydra/testing';

type CounterEvent = { type: 'Added'; by: number };

const machine = setup({ types: { context: {} as { count: number }, events: {} as CounterEvent } }).createMachine({
  context: { count: 0 },
  on: { Added: { actions: assign({ count: ({ context, event }) => context.count + event.by }) } },
});

export const counter = defineAggregate({
  type: 'counter',
  machine,
  commands: { add: (command: { by: number }): CounterEvent => ({ type: 'Added', by: command.by }) },
});

export function handle(event: StoredEvent<EventOf<typeof counter>>, view: ProjectionView): void {
  view.put(event.aggregateId, ((view.get(event.aggregateId) as number | undefined) ?? 0) + event.data.by);
}

export async function count(path: string): Promise<number> {
  const runtime = await createRuntime({ path, aggregates: [counter] });
  try {
    const counters = runtime.aggregate(counter);
    await counters.send('c-1', { type: 'add', by: 2 });
    // @ts-expect-error: a command's payload is typed by the definition, not `any`
    await counters.send('c-1', { type: 'add', by: 'two' });
    const state = await counters.state('c-1');
    return state.context.count;
  } catch (error) {
    if (error instanceof RehydraError) console.error(error.code);
    throw error;
  } finally {
    await runtime.close();
  }
}

given(counter, [{ type: 'Added', by: 1 }]).when({ type: 'add', by: 2 }).then([{ type: 'Added', by: 2 }]);
// @ts-expect-error: given's events are the machine's events
given(counter, [{ type: 'Removed', by: 1 }]);
