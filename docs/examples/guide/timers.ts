// The guide's timers section as a program CI builds and runs (test/docs/guide.int.test.ts): the
// order (order.ts) expires when it is left unpaid for 30 minutes; the test runtime's manual clock
// makes the 30 minutes instant.
import { createTestRuntime } from 'rehydra/testing';
import { order } from './order.js';

const test = await createTestRuntime({ aggregates: [order], manualClock: true });
try {
  const { runtime } = test;
  await runtime.send('order', 'o-1', { type: 'place', total: 30 });
  await runtime.send('order', 'o-2', { type: 'place', total: 12 });
  await runtime.send('order', 'o-2', { type: 'pay' }); // leaving `placed` cancels its timer
  console.log(runtime.timers().map((timer) => `${timer.aggregateId} due in ${(timer.dueAt - test.now()) / 60_000} min`));
  await test.advanceTime(30 * 60_000); // fires what is due by then; resolves once it is durable
  console.log((await runtime.state('order', 'o-1')).value, (await runtime.state('order', 'o-2')).value);
  const expiry = [...runtime.readStream('order', 'o-1')].at(-1)!;
  console.log(expiry.type, expiry.metadata.timer);
} finally {
  await test.dispose();
}
