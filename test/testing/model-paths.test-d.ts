// Type tests of modelPaths: the map from events to commands is keyed by the definition's event
// types and holds its commands, so a misspelt event, command or field does not compile. Every
// `@ts-expect-error` line must fail to compile.
import { describe, expectTypeOf, it } from 'vitest';
import { modelPaths, type ModelPath } from '../../testing/index.js';
import { order } from '../../fixtures/order.js';

describe('modelPaths', () => {
  it('maps the definition\'s event types to its commands', () => {
    const paths = modelPaths(order, { commands: { OrderPlaced: [{ type: 'place', total: 30 }, { type: 'place', total: 5, windowMs: 1 }], OrderPaid: { type: 'pay' } } });
    expectTypeOf(paths).toEqualTypeOf<ModelPath[]>();
    expectTypeOf(paths[0]!.run()).toEqualTypeOf<Promise<void>>();
  });

  it('refuses a misspelt event type, command type or field', () => {
    // @ts-expect-error: 'OrderPayed' is not an event of the order
    modelPaths(order, { commands: { OrderPayed: { type: 'pay' } } });
    // @ts-expect-error: 'settle' is not a command of the order
    modelPaths(order, { commands: { OrderPaid: { type: 'settle' } } });
    // @ts-expect-error: 'totl' is misspelt
    modelPaths(order, { commands: { OrderPlaced: { type: 'place', totl: 30 } } });
  });
});
