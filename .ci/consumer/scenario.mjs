// What a user's program does with the installed package: an aggregate and its spec, durable
// commands, a projection in worker threads, read back by value. It takes the package's modules
// from its caller, so the same scenario runs behind `import` (esm.mjs) and `require` (require.cjs).
import assert from 'node:assert/strict';
import { assign, setup } from 'xstate';

/** Runs the scenario on a fresh data directory at `path`. */
export async function run({ createRuntime, defineAggregate, defineProjection }, { given }, path) {
  const machine = setup({}).createMachine({
    context: { count: 0 },
    on: { Added: { actions: assign({ count: ({ context, event }) => context.count + event.by }) } },
  });
  const counter = defineAggregate({ type: 'counter', machine, commands: { add: (command) => ({ type: 'Added', by: command.by }) } });
  given(counter, [{ type: 'Added', by: 1 }]).when({ type: 'add', by: 2 }).then([{ type: 'Added', by: 2 }]);

  // The handler module is loaded by the package's workers from the consumer's folder.
  const totals = defineProjection({ name: 'totals', module: new URL('./totals.projection.mjs', import.meta.url) });
  const runtime = await createRuntime({ path, aggregates: [counter], projections: [totals] });
  try {
    const counters = runtime.aggregate(counter);
    await counters.send('c-1', { type: 'add', by: 2 });
    const { position } = await counters.send('c-1', { type: 'add', by: 3 });
    assert.deepEqual(await counters.state('c-1'), { value: {}, context: { count: 5 }, version: 2 });
    await runtime.projection('totals').waitFor(position);
    assert.equal(await runtime.projection('totals').get('c-1'), 5);
  } finally {
    await runtime.close();
  }
}
