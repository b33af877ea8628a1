// The guide's testing section on time and model-based tests, as a program CI builds and runs
// (test/docs/guide.int.test.ts): the specs throw on a mismatch and a path's run() rejects on one,
// so reaching the last line means every spec and every path held.
import { createTestRuntime, given, modelPaths } from 'rehydra/testing';
import { order, type OrderEvent } from './order.js';

const MINUTE = 60_000;
const placed: OrderEvent = { type: 'OrderPlaced', total: 30 };
given(order, [placed]).after(30 * MINUTE - 1).then([]);
given(order, [placed]).after(30 * MINUTE).then([{ type: 'xstate.after.1800000.order.placed' }]);
given(order, [placed]).after(30 * MINUTE).thenState({ value: 'expired', version: 2 });
given(order, [placed]).after(10 * MINUTE).when({ type: 'pay' }).after(60 * MINUTE).then([{ type: 'OrderPaid' }]);

const test = await createTestRuntime({ aggregates: [order], manualClock: true });
try {
  await test.runtime.send('order', 'o-1', { type: 'place', total: 30 });
  await test.advanceTime(30 * MINUTE); // fires every timer due by then, once its event is durable
  console.log((await test.runtime.state('order', 'o-1')).value); // expired
} finally {
  await test.dispose();
}

const paths = modelPaths(order, {
  commands: { OrderPlaced: { type: 'place', total: 30 }, OrderPaid: { type: 'pay' } },
});
for (const path of paths) {
  console.log(path.description);
  await path.run(); // in a test file: it(path.description, () => path.run())
}
console.log('specs and paths held');
