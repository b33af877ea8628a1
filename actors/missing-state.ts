// Whether a stored state value still names states of a machine. A snapshot written by an older
// machine can hold a state the current one no longer has; `rehydra check` reports such streams,
// since their state moves somewhere else (or nowhere) when the new machine replays them.
import type { AnyStateMachine } from 'xstate';

/** The part of an XState state node this check walks: its child states by key. */
interface StateNodeLike {
  readonly states: Readonly<Record<string, StateNodeLike>>;
}

/**
 * The dotted path of the first state in `value` (an XState state value: `'open'`,
 * `{ open: 'review' }`, or one key per region of a parallel state) that `machine` lacks, e.g.
 * `'frozen'` or `'open.review'`; undefined when every state it names exists.
 */
export function missingState(machine: AnyStateMachine, value: unknown): string | undefined {
  return missingIn(machine.root as unknown as StateNodeLike, value, '');
}

function missingIn(node: StateNodeLike, value: unknown, prefix: string): string | undefined {
  if (typeof value === 'string') return Object.hasOwn(node.states, value) ? undefined : `${prefix}${value}`;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    // Own keys only: a stored state named "constructor" must not find Object.prototype's.
    if (!Object.hasOwn(node.states, key)) return `${prefix}${key}`;
    const missing = missingIn(node.states[key]!, child, `${prefix}${key}.`);
    if (missing !== undefined) return missing;
  }
  return undefined;
}
