// An event the chart handles without changing anything (a targetless transition without actions,
// typical for events only projections care about, or one that only raises an event nobody takes)
// is accepted and stored; only an event with no enabled transition in the current state (none,
// or every guard said no) is IllegalEventError. Compiled and on XState alike, live and on replay.
import { afterEach, describe, expect, it } from 'vitest';
import { assign, raise, setup } from 'xstate';
import { defineAggregate } from '../../actors/define-aggregate.js';
import { IllegalEventError } from '../../actors/errors.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

type TicketEvent = { type: 'Opened' } | { type: 'NoteAdded'; text: string } | { type: 'Pinged' } | { type: 'Closed' } | { type: 'Echo' };

const machine = setup({ types: { context: {} as { notes: number }, events: {} as TicketEvent } }).createMachine({
  id: 'ticket',
  initial: 'new',
  context: { notes: 0 },
  states: {
    new: { on: { Opened: 'open' } },
    open: {
      on: {
        // Handled, changes nothing: the note lives in the stream for projections.
        NoteAdded: {},
        // Handled: raises an event no state takes.
        Pinged: { actions: raise({ type: 'Echo' }) },
        Closed: { target: 'closed', guard: ({ context }) => context.notes === 0, actions: assign({ notes: 0 }) },
      },
    },
    closed: {},
  },
});

const commands = {
  open: () => ({ type: 'Opened' as const }),
  note: (cmd: { text: string }) => ({ type: 'NoteAdded' as const, text: cmd.text }),
  ping: () => ({ type: 'Pinged' as const }),
  close: () => ({ type: 'Closed' as const }),
};

describe.each([
  ['compiled', defineAggregate({ type: 'ticket', machine, commands })],
  ['on XState', defineAggregate({ type: 'ticket', machine, commands, compile: false })],
])('events handled without a change (%s)', (_name, ticket) => {
  it('are accepted and stored; an event no transition takes is IllegalEventError; a restart replays them', async () => {
    expect(ticket.compilation.compiled).toBe(_name === 'compiled');
    const path = harness.dir();
    const runtime = await harness.open({ path, aggregates: [ticket] });
    await runtime.send('ticket', 't-1', { type: 'open' });
    const noted = await runtime.send('ticket', 't-1', { type: 'note', text: 'called back' });
    expect(noted.version).toBe(2);
    expect((await runtime.send('ticket', 't-1', { type: 'ping' })).version).toBe(3);
    // In `new`, nothing takes a note.
    await expect(runtime.send('ticket', 't-2', { type: 'note', text: 'x' })).rejects.toThrow(IllegalEventError);
    await runtime.send('ticket', 't-1', { type: 'close' });
    // In `closed`, nothing takes a note either: refused, and the state says what it accepts (nothing).
    const refused = await runtime.send('ticket', 't-1', { type: 'note', text: 'late' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(IllegalEventError);
    expect((refused as IllegalEventError).accepted).toEqual([]);
    expect([...runtime.readStream('ticket', 't-1')].map((event) => [event.version, event.type])).toEqual([
      [1, 'Opened'], [2, 'NoteAdded'], [3, 'Pinged'], [4, 'Closed'],
    ]);
    await harness.close(runtime);
    const reopened = await harness.open({ path, aggregates: [ticket] });
    expect(await reopened.state('ticket', 't-1')).toEqual({ value: 'closed', context: { notes: 0 }, version: 4 });
  });
});
