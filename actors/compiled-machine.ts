// A machine compiled into direct transitions. XState computes every event from scratch: it walks
// the state value, evaluates guards, works out the exit and entry sets, resolves each action and
// builds a new snapshot of about 6 KB. A compiled machine does the walk once per (configuration,
// event type) and the exit/entry work once per (configuration, chosen transitions), caches both,
// and per event only evaluates guards and runs the assigners: the same step, far less work.
// Compiling is all or nothing per machine: any shape it cannot reproduce exactly (always, invoke,
// history, nested finals, custom actions, wildcards, output) leaves the machine on XState. Delayed
// transitions (`after`) compile: XState arms them with a delayed raise on entry and a cancel on
// exit, and a compiled step records those as the timer actions the runtime stores (timers.ts).
import { createActor, getStateNodes, type AnyMachineSnapshot, type AnyStateMachine, type AnyStateNode, type AnyTransitionDefinition, type EventObject } from 'xstate';
import { CompiledSnapshot } from './compiled-snapshot.js';
import { ASSIGN, CANCEL, Configuration, RAISE, type Effect, type Plan, type Step } from './configuration.js';
import { passes } from './guards.js';
import { stepShape, type RawAction } from './statechart-steps.js';
import { INERT_CLOCK, inspectTimers, isTimed, noteTimer, recordTimers, type TimerAction } from './timers.js';

/** The outcome of compiling a machine: the compiled machine, or why it stays on XState. */
export type Compilation = { readonly compiled: CompiledMachine } | { readonly declined: string };

type Assignment = (args: { context: unknown; event: EventObject }, params: unknown) => unknown;

/** Why XState would run something in this machine that a compiled step cannot, or undefined. */
function declineReason(machine: AnyStateMachine): string | undefined {
  const root = machine.root as AnyStateNode;
  if (root.output !== undefined) return 'the machine has an output';
  const actions = machine.implementations.actions as Record<string, unknown>;
  const guards = machine.implementations.guards as Record<string, unknown>;
  const checkAction = (action: RawAction, where: string): string | undefined => {
    const resolved = typeof action === 'function' ? action : actions[typeof action === 'string' ? action : String((action as { type?: unknown }).type)];
    const builtin = resolved as { type?: unknown; event?: unknown } | undefined;
    if (builtin?.type === 'xstate.assign' || builtin?.type === 'xstate.cancel') return undefined;
    if (builtin?.type === 'xstate.raise' && typeof builtin.event !== 'string') return undefined;
    return `${where} runs an action other than assign, raise or cancel`;
  };
  const checkGuard = (guard: unknown, where: string): string | undefined => {
    if (guard === undefined || typeof guard === 'function') return undefined;
    const name = typeof guard === 'string' ? guard : String((guard as { type?: unknown }).type);
    return guards[name] === undefined ? `${where} uses guard "${name}", which is not implemented` : undefined;
  };
  const visit = (node: AnyStateNode): string | undefined => {
    const where = `state "${node.id}"`;
    if (node.type === 'history') return `${where} is a history state`;
    if (node.type === 'final' && node.parent !== root) return `${where} is a final state below the top level`;
    if (node.output !== undefined) return `${where} has an output`;
    if ((node.invoke as unknown[]).length > 0) return `${where} invokes an actor`;
    if ((node.always as unknown[] | undefined)?.length) return `${where} has eventless (always) transitions`;
    for (const action of [...(node.entry as RawAction[]), ...(node.exit as RawAction[]), ...(node.initial?.actions as RawAction[] ?? [])]) {
      const reason = checkAction(action, where);
      if (reason) return reason;
    }
    for (const [descriptor, transitions] of node.transitions as Map<string, AnyTransitionDefinition[]>) {
      if (descriptor.includes('*')) return `${where} has a wildcard event descriptor "${descriptor}"`;
      for (const transition of transitions) {
        const on = `${where} on "${descriptor}"`;
        const reason = checkGuard(transition.guard, on) ?? (transition.actions as RawAction[]).map((action) => checkAction(action, on)).find(Boolean);
        if (reason) return reason;
      }
    }
    for (const child of Object.values(node.states as Record<string, AnyStateNode>)) {
      const reason = visit(child);
      if (reason) return reason;
    }
    return undefined;
  };
  return visit(root);
}

/**
 * Compiles `machine` into direct transitions, or says why it stays on XState. Compiling walks the
 * machine and starts one throwaway actor (for the initial state); nothing is shared with it.
 */
export function compileMachine(machine: AnyStateMachine): Compilation {
  const reason = declineReason(machine);
  if (reason) return { declined: reason };
  // The initial state and, for a timed machine, the timers its initial states arm (XState runs
  // the initial entry actions when the actor starts; the inert clock never fires them).
  const actor = createActor(machine, isTimed(machine) ? { clock: INERT_CLOCK, inspect: inspectTimers } : undefined);
  const initial = actor.getSnapshot() as AnyMachineSnapshot;
  if (initial.status !== 'active') return { declined: `its initial state is ${initial.status}` };
  const { actions } = recordTimers(() => actor.start());
  actor.stop();
  return { compiled: new CompiledMachine(machine, initial, actions) };
}

/** A compiled machine: configurations and steps, worked out on first use and kept. */
export class CompiledMachine {
  readonly root: AnyStateNode;
  /** The initial snapshot every new actor starts from (snapshots are immutable: one for all). */
  readonly initial: CompiledSnapshot;
  private readonly configurations = new Map<string, Configuration>();
  private readonly byValue = new Map<string, Configuration>();
  private readonly effects = new Map<RawAction, Effect>();
  private readonly transitionIds = new Map<AnyTransitionDefinition, number>();
  /** Every event type some state has transitions for: plans are cached for these only. */
  private readonly alphabet = new Set<string>();

  constructor(
    readonly machine: AnyStateMachine,
    initial: AnyMachineSnapshot,
    /** The timers a new actor arms when it starts (its initial states' `after`). */
    readonly initialTimers: readonly TimerAction[],
  ) {
    this.root = machine.root as AnyStateNode;
    const visit = (node: AnyStateNode): void => {
      for (const [type, transitions] of node.transitions as Map<string, AnyTransitionDefinition[]>) {
        this.alphabet.add(type);
        for (const transition of transitions) this.transitionIds.set(transition, this.transitionIds.size);
      }
      for (const child of Object.values(node.states as Record<string, AnyStateNode>)) visit(child);
    };
    visit(this.root);
    this.initial = new CompiledSnapshot(this, this.configurationOf(initial._nodes as AnyStateNode[]), initial.context, 'active', undefined, undefined);
  }

  /** The snapshot an XState persisted snapshot describes (as `createActor(machine, { snapshot })` restores it). */
  restore(persisted: unknown): CompiledSnapshot {
    const { value, context, status, output, error } = persisted as { value: unknown; context: unknown; status: string; output: unknown; error: unknown };
    const key = JSON.stringify(value);
    let configuration = this.byValue.get(key);
    if (!configuration) {
      // XState's restoreSnapshot: the nodes of the value, deduplicated in their first order.
      configuration = this.configurationOf([...new Set(getStateNodes(this.root, value as never) as AnyStateNode[])]);
      this.byValue.set(key, configuration);
    }
    return new CompiledSnapshot(this, configuration, context, status as CompiledSnapshot['status'], output, error);
  }

  /**
   * The snapshot after `event`: XState's macrostep (the event's microstep, then one per raised
   * event). The same object when nothing changed, as XState returns it (rehydra reads that as
   * "not accepted"). Throws what a guard or action throws, guards' errors wrapped as XState wraps them.
   */
  transition(snapshot: CompiledSnapshot, event: EventObject): CompiledSnapshot {
    let configuration = snapshot.configuration;
    let context = snapshot.context;
    let changed = false;
    let done = false;
    let view = snapshot;
    let current = event;
    let queue: EventObject[] | undefined;
    for (;;) {
      const chosen = this.select(configuration, view, current);
      if (chosen) {
        const step = this.stepOf(configuration, chosen);
        for (const effect of step.effects) {
          if (effect.kind === ASSIGN) {
            context = assign(effect, context, current);
            changed = true;
          } else if (effect.kind === RAISE) {
            const immediate = this.raise(effect, context, current);
            if (immediate) (queue ??= []).push(immediate);
          } else {
            cancel(effect, context, current);
          }
        }
        if (step.moved) {
          configuration = step.next;
          changed = true;
        }
        if (step.done) {
          done = changed = true;
          break;
        }
      }
      if (!queue?.length) break;
      current = queue.shift()!;
      // The next microstep's guards see the state this one left.
      if (changed) view = new CompiledSnapshot(this, configuration, context, 'active', undefined, undefined);
    }
    return changed ? new CompiledSnapshot(this, configuration, context, done ? 'done' : 'active', undefined, undefined) : snapshot;
  }

  /** XState's snapshot.can(event): some enabled transition has a target or actions. */
  can(snapshot: CompiledSnapshot, event: EventObject): boolean {
    const chosen = this.select(snapshot.configuration, snapshot, event);
    return chosen !== undefined && chosen.some((transition) => transition.target !== undefined || transition.actions.length > 0);
  }

  /**
   * XState's resolveRaise: the event to queue now, or, when its delay resolves to a number, none:
   * a timer, noted for the runtime to store (XState would schedule it on the actor's clock).
   */
  private raise(effect: Effect, context: unknown, event: EventObject): EventObject | undefined {
    const params = paramsOf(effect, context, event);
    const body = effect.body;
    const raisedEvent = typeof body === 'function' ? (body as Assignment)({ context, event }, params) as EventObject : body as EventObject;
    const delays = this.machine.implementations.delays as Record<string, unknown>;
    const written = typeof effect.delay === 'string' ? delays[effect.delay] : effect.delay;
    const delay = typeof written === 'function' ? (written as Assignment)({ context, event }, params) : written;
    if (typeof delay !== 'number') return raisedEvent;
    if (typeof effect.id === 'string') noteTimer({ kind: 'arm', id: effect.id, delay });
    return undefined;
  }

  private configurationOf(nodes: readonly AnyStateNode[]): Configuration {
    const key = nodes.map((node) => node.id).join('\u0000');
    let configuration = this.configurations.get(key);
    if (!configuration) this.configurations.set(key, (configuration = new Configuration(nodes, this.root)));
    return configuration;
  }

  /** The enabled transitions for `event` (XState's getTransitionData), or undefined. */
  private select(configuration: Configuration, snapshot: CompiledSnapshot, event: EventObject): AnyTransitionDefinition[] | undefined {
    let plan = configuration.plans.get(event.type);
    if (plan === undefined) {
      if (!this.alphabet.has(event.type)) return undefined;
      plan = planOf(this.root, configuration.value, event.type);
      configuration.plans.set(event.type, plan);
    }
    return plan === null ? undefined : enabled(plan, snapshot, event);
  }

  private stepOf(configuration: Configuration, chosen: readonly AnyTransitionDefinition[]): Step {
    const key = chosen.length === 1 ? chosen[0]! : chosen.map((transition) => this.transitionIds.get(transition)).join(',');
    let step = configuration.steps.get(key);
    if (!step) {
      const shape = stepShape(configuration.nodes, chosen);
      step = { effects: shape.actions.map((action) => this.effectOf(action)), next: this.configurationOf(shape.nodes), moved: shape.moved, done: shape.done };
      configuration.steps.set(key, step);
    }
    return step;
  }

  /** How XState resolves a raw action (resolveAndExecuteActionsWithContext): the builtin and its params. */
  private effectOf(action: RawAction): Effect {
    let effect = this.effects.get(action);
    if (!effect) {
      const inline = typeof action === 'function';
      const reference = action as { type?: unknown; params?: unknown };
      const resolved = (inline ? action : (this.machine.implementations.actions as Record<string, unknown>)[typeof action === 'string' ? action : String(reference.type)]) as
        { type: string };
      const params = inline || typeof action === 'string' || !('params' in reference) ? undefined : reference.params;
      const builtin = resolved as { type: string; assignment?: unknown; event?: unknown; id?: unknown; delay?: unknown; sendId?: unknown };
      effect = builtin.type === 'xstate.assign' ? { kind: ASSIGN, body: builtin.assignment, params }
        : builtin.type === 'xstate.cancel' ? { kind: CANCEL, body: builtin.sendId, params }
        : { kind: RAISE, body: builtin.event, params, id: builtin.id, delay: builtin.delay };
      this.effects.set(action, effect);
    }
    return effect;
  }
}

/** XState's transitionNode, specialised to one configuration and event type; null when nothing there handles it. */
function planOf(node: AnyStateNode, value: unknown, type: string): Plan | null {
  const own = (node.transitions as Map<string, AnyTransitionDefinition[]>).get(type) ?? [];
  let children: (Plan | null)[];
  let parallel = false;
  if (typeof value === 'string') {
    const child = (node.states as Record<string, AnyStateNode>)[value]!;
    const childOwn = (child.transitions as Map<string, AnyTransitionDefinition[]>).get(type) ?? [];
    children = [childOwn.length > 0 ? { node: child, own: childOwn, children: [], parallel: false } : null];
  } else {
    const keys = Object.keys(value as object);
    parallel = keys.length !== 1;
    const states = node.states as Record<string, AnyStateNode>;
    children = keys.filter((key) => (value as Record<string, unknown>)[key]).map((key) => planOf(states[key]!, (value as Record<string, unknown>)[key], type));
  }
  const kept = children.filter((child): child is Plan => child !== null);
  return own.length === 0 && kept.length === 0 ? null : { node, own, children: kept, parallel };
}

function enabled(plan: Plan, snapshot: CompiledSnapshot, event: EventObject): AnyTransitionDefinition[] | undefined {
  let inner: AnyTransitionDefinition[] | undefined;
  if (plan.parallel) {
    for (const child of plan.children) {
      const found = enabled(child, snapshot, event);
      if (found) (inner ??= []).push(...found);
    }
  } else if (plan.children.length > 0) {
    inner = enabled(plan.children[0]!, snapshot, event);
  }
  if (inner?.length) return inner;
  for (const candidate of plan.own) {
    if (candidate.guard === undefined || guardPasses(candidate, plan.node, snapshot, event)) return [candidate];
  }
  return undefined;
}

/** A guard's verdict, its error wrapped as XState's StateNode.next wraps it. */
function guardPasses(candidate: AnyTransitionDefinition, node: AnyStateNode, snapshot: CompiledSnapshot, event: EventObject): boolean {
  const guard = candidate.guard as unknown;
  try {
    return passes(guard, snapshot as unknown as AnyMachineSnapshot, event);
  } catch (error) {
    const type = typeof guard === 'string' ? guard : typeof guard === 'object' && guard !== null ? (guard as { type?: unknown }).type : undefined;
    const message = (error as { message?: unknown } | null)?.message;
    throw new Error(`Unable to evaluate guard ${type ? `'${String(type)}' ` : ''}in transition for event '${event.type}' in state node '${node.id}':\n${String(message)}`);
  }
}

function paramsOf(effect: Effect, context: unknown, event: EventObject): unknown {
  return typeof effect.params === 'function' ? (effect.params as (args: { context: unknown; event: EventObject }) => unknown)({ context, event }) : effect.params;
}

/** XState's resolveAssign: a shallow copy of the context with the assignment's keys. */
function assign(effect: Effect, context: unknown, event: EventObject): unknown {
  if (!context) throw new Error('Cannot assign to undefined `context`. Ensure that `context` is defined in the machine config.');
  const params = paramsOf(effect, context, event);
  const args = { context, event };
  const body = effect.body;
  let update: unknown;
  if (typeof body === 'function') {
    update = (body as Assignment)(args, params);
  } else {
    const partial: Record<string, unknown> = {};
    for (const key of Object.keys(body as object)) {
      const part = (body as Record<string, unknown>)[key];
      partial[key] = typeof part === 'function' ? (part as Assignment)(args, params) : part;
    }
    update = partial;
  }
  return Object.assign({}, context, update);
}

/** XState's resolveCancel: the timer it names is noted as cancelled. */
function cancel(effect: Effect, context: unknown, event: EventObject): void {
  const body = effect.body;
  const id = typeof body === 'function' ? (body as Assignment)({ context, event }, paramsOf(effect, context, event)) : body;
  if (typeof id === 'string') noteTimer({ kind: 'cancel', id });
}
