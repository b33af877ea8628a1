// Why a statechart refused an event, on live actors: the accepted event types of the current
// state (every event type it has a transition for, inert ones included: those are handled) and the first
// guard that returned false, named as it was written (named, parameterized, inline, and/or/not).
import { describe, expect, it } from 'vitest';
import { and, createActor, not, setup, stateIn, type AnyActor, type EventObject } from 'xstate';
import { refusalOf } from '../../actors/refusal.js';

const machine = setup({
  types: { context: {} as { level: number }, events: {} as { type: 'Lift'; weight: number } | { type: 'Rest' } | { type: 'audit.done' } },
  guards: {
    strongEnough: ({ context, event }) => event.type === 'Lift' && event.weight <= context.level,
    atLeast: ({ context }, params: { level: number }) => context.level >= params.level,
    awake: () => true,
  },
}).createMachine({
  id: 'gym',
  initial: 'idle',
  context: { level: 3 },
  states: {
    idle: {
      on: {
        Lift: [
          { guard: 'strongEnough', target: 'lifting' },
          { guard: { type: 'atLeast', params: { level: 10 } }, target: 'lifting' },
        ],
        Rest: {},
        'audit.*': { actions: () => undefined },
      },
    },
    lifting: {
      on: {
        Lift: { guard: and(['awake', not('awake')]), target: 'lifting' },
        Rest: { guard: ({ context }) => context.level > 5, target: 'idle' },
      },
    },
    other: { on: { Lift: { guard: stateIn('idle'), target: 'idle' } } },
  },
});

function started(state?: string): AnyActor {
  const actor = createActor(machine, state ? { snapshot: machine.resolveState({ value: state, context: { level: 3 } }) } : undefined);
  actor.start();
  return actor;
}

function refusal(state: string | undefined, event: EventObject) {
  const actor = started(state);
  try {
    return refusalOf(actor.getSnapshot(), event);
  } finally {
    actor.stop();
  }
}

describe('refusalOf', () => {
  it('names the first guard that returned false and lists the event types the state has transitions for', () => {
    expect(refusal(undefined, { type: 'Lift', weight: 9 } as EventObject)).toEqual({ accepted: ['Lift', 'Rest', 'audit.*'], guard: 'strongEnough' });
  });

  it('names higher-order guards with their parts, and inline guards as inline', () => {
    expect(refusal('lifting', { type: 'Lift', weight: 1 } as EventObject).guard).toBe('and(awake, not(awake))');
    expect(refusal('lifting', { type: 'Rest' }).guard).toBe('inline');
    expect(refusal('other', { type: 'Lift', weight: 1 } as EventObject).guard).toBe('stateIn("idle")');
  });

  it('has no guard when no transition was guarded out', () => {
    expect(refusal(undefined, { type: 'Stretch' } as EventObject)).toEqual({ accepted: ['Lift', 'Rest', 'audit.*'], guard: undefined });
  });
});
