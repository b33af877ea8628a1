// Replay must reproduce the state from events alone, so an aggregate's machine may not start
// child actors or schedule delayed actions of its own: they would run again (or not at all) on
// every rehydration. Delayed transitions (`after`) are the runtime's durable timers instead.
import type { AnyStateMachine } from 'xstate';
import { NonDeterministicMachineError } from './errors.js';

interface NodeConfig {
  readonly invoke?: unknown;
  readonly states?: Record<string, NodeConfig>;
  readonly entry?: unknown;
  readonly exit?: unknown;
  readonly on?: Record<string, unknown>;
  readonly always?: unknown;
}

const SPAWN_CALL = /\bspawn(?:Child)?\s*\(/;

/** Built-in XState action creators carry their kind in `type` (e.g. 'xstate.spawnChild'). */
function actionProblem(action: unknown): string | undefined {
  if (typeof action !== 'function') return undefined;
  const { type: kind, delay, assignment, collect } = action as { type?: unknown; delay?: unknown; assignment?: unknown; collect?: unknown };
  if (kind === 'xstate.spawnChild') return 'it spawns a child actor (spawnChild)';
  if (delay !== undefined) return `it schedules a delayed action (${String(kind)}); use a delayed transition (after), which the runtime keeps durable`;
  // assign() and enqueueActions() wrap the user's function: its source is in `assignment`/`collect`.
  const assigners = typeof assignment === 'object' && assignment !== null ? Object.values(assignment) : [assignment];
  for (const code of [action, collect, ...assigners]) {
    if (typeof code === 'function' && SPAWN_CALL.test(code.toString())) return 'an action calls spawn() or spawnChild()';
  }
  if (typeof collect === 'function' && /\bdelay\s*:/.test(collect.toString())) return 'it enqueues a delayed action (enqueueActions)';
  return undefined;
}

function actionsOf(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap(actionsOf);
  if (typeof value === 'object' && value !== null && 'actions' in value) return actionsOf((value as { actions: unknown }).actions);
  return [value];
}

function nodeProblem(node: NodeConfig, path: string): string | undefined {
  if (node.invoke !== undefined) return `state "${path}" invokes an actor (invoke)`;
  const transitions = [...Object.values(node.on ?? {}), node.always].flatMap((t) => (Array.isArray(t) ? t : [t]));
  for (const action of [...actionsOf(node.entry), ...actionsOf(node.exit), ...transitions.flatMap(actionsOf)]) {
    const problem = actionProblem(action);
    if (problem) return `state "${path}": ${problem}`;
  }
  for (const [name, child] of Object.entries(node.states ?? {})) {
    const problem = nodeProblem(child, path ? `${path}.${name}` : name);
    if (problem) return problem;
  }
  return undefined;
}

/** Throws NonDeterministicMachineError when the machine cannot be replayed from its events. */
export function assertDeterministic(aggregateType: string, machine: AnyStateMachine): void {
  const implementations = machine.implementations as { actors?: object; actions?: Record<string, unknown> };
  if (Object.keys(implementations.actors ?? {}).length > 0) {
    throw new NonDeterministicMachineError(aggregateType, 'its setup() declares actors, which only invoke or spawn can use');
  }
  for (const [name, action] of Object.entries(implementations.actions ?? {})) {
    const problem = actionProblem(action);
    if (problem) throw new NonDeterministicMachineError(aggregateType, `action "${name}": ${problem}`);
  }
  const problem = nodeProblem(machine.config as NodeConfig, '');
  if (problem) throw new NonDeterministicMachineError(aggregateType, problem);
}
