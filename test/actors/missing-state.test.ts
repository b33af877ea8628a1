// missingState walks a stored state value down the machine's state nodes: atomic, compound and
// parallel values, and a state named like an Object.prototype member.
import { createMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { missingState } from '../../actors/missing-state.js';

const machine = createMachine({
  initial: 'closed',
  states: {
    closed: {},
    open: { initial: 'active', states: { active: {}, review: {} } },
    audited: { type: 'parallel', states: { books: { initial: 'kept', states: { kept: {} } }, flags: {} } },
  },
});

describe('missingState', () => {
  it.each([
    ['closed', undefined],
    [{ open: 'review' }, undefined],
    [{ audited: { books: 'kept', flags: {} } }, undefined],
    ['frozen', 'frozen'],
    [{ open: 'archived' }, 'open.archived'],
    [{ audited: { books: 'lost' } }, 'audited.books.lost'],
    [{ audited: { ledger: {} } }, 'audited.ledger'],
    ['constructor', 'constructor'],
    [{ toString: 'x' }, 'toString'],
  ])('%j → %j', (value, missing) => {
    expect(missingState(machine, value)).toBe(missing);
  });

  it('finds nothing to report in a value that is not a state value', () => {
    expect(missingState(machine, undefined)).toBeUndefined();
    expect(missingState(machine, 42)).toBeUndefined();
  });
});
