// The shape of one statechart microstep, worked out once per (configuration, chosen transitions)
// and then reused: which states are exited and entered, in which order, and so which actions run
// in which order. This is XState v5's own SCXML algorithm (removeConflictingTransitions,
// computeExitSet, computeEntrySet, enterStates, exitStates), ported line for line for the shapes
// compiled machines may have (no history states, no invoke, finals only at the top level), so
// that a compiled step is the very step XState takes; the differential property test holds the
// two to that.
import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';

/** A raw action as a state node or transition lists it (an inline builtin, a name, or `{ type, params }`). */
export type RawAction = unknown;

/** One microstep's structure: the actions in XState's order, and the configuration after it. */
export interface StepShape {
  /** Exit actions (deepest first), transition actions, entry actions (shallowest first, initial actions on default entry), then, when the machine is done, every remaining exit. */
  readonly actions: readonly RawAction[];
  /** The active state nodes afterwards, in the order XState keeps them (its `_nodes`). */
  readonly nodes: readonly AnyStateNode[];
  /** Whether the set of active state nodes changed (XState makes a new snapshot only then, or when an action assigns). */
  readonly moved: boolean;
  /** A top-level final state was entered: the machine is done. */
  readonly done: boolean;
}

/** XState's isAtomicStateNode. */
function isAtomic(node: AnyStateNode): boolean {
  return node.type === 'atomic' || node.type === 'final';
}

function childrenOf(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states as Record<string, AnyStateNode>).filter((child) => child.type !== 'history');
}

function properAncestors(node: AnyStateNode, upTo: AnyStateNode | undefined): AnyStateNode[] {
  const ancestors: AnyStateNode[] = [];
  if (upTo === node) return ancestors;
  for (let at = node.parent; at && at !== upTo; at = at.parent) ancestors.push(at);
  return ancestors;
}

/** XState's isDescendant: true for every node when `parent` is undefined (a root domain). */
function isDescendant(child: AnyStateNode, parent: AnyStateNode | undefined): boolean {
  let marker = child;
  while (marker.parent && marker.parent !== parent) marker = marker.parent;
  return marker.parent === parent;
}

function leastCommonAncestor(nodes: readonly AnyStateNode[]): AnyStateNode | undefined {
  const [head, ...tail] = nodes;
  for (const ancestor of properAncestors(head!, undefined)) if (tail.every((node) => isDescendant(node, ancestor))) return ancestor;
  return undefined;
}

function targetsOf(transition: AnyTransitionDefinition): readonly AnyStateNode[] {
  return (transition.target as readonly AnyStateNode[] | undefined) ?? [];
}

function domainOf(transition: AnyTransitionDefinition): AnyStateNode | undefined {
  const targets = targetsOf(transition);
  const source = transition.source as AnyStateNode;
  if (!transition.reenter && targets.every((target) => target === source || isDescendant(target, source))) return source;
  const lca = leastCommonAncestor([...targets, source]);
  if (lca) return lca;
  return transition.reenter ? undefined : (source.machine.root as AnyStateNode);
}

function exitSetOf(transitions: readonly AnyTransitionDefinition[], active: ReadonlySet<AnyStateNode>): AnyStateNode[] {
  const exits = new Set<AnyStateNode>();
  for (const transition of transitions) {
    if (targetsOf(transition).length === 0) continue;
    const domain = domainOf(transition);
    if (transition.reenter && transition.source === domain) exits.add(domain!);
    for (const node of active) if (isDescendant(node, domain)) exits.add(node);
  }
  return [...exits];
}

function intersects(a: readonly AnyStateNode[], b: readonly AnyStateNode[]): boolean {
  const set = new Set(a);
  return b.some((node) => set.has(node));
}

function withoutConflicts(transitions: readonly AnyTransitionDefinition[], active: ReadonlySet<AnyStateNode>): AnyTransitionDefinition[] {
  const kept = new Set<AnyTransitionDefinition>();
  for (const t1 of transitions) {
    let preempted = false;
    const removed = new Set<AnyTransitionDefinition>();
    for (const t2 of kept) {
      if (intersects(exitSetOf([t1], active), exitSetOf([t2], active))) {
        if (isDescendant(t1.source as AnyStateNode, t2.source as AnyStateNode)) {
          removed.add(t2);
        } else {
          preempted = true;
          break;
        }
      }
    }
    if (!preempted) {
      for (const t3 of removed) kept.delete(t3);
      kept.add(t1);
    }
  }
  return [...kept];
}

function addDescendants(node: AnyStateNode, defaultEntry: Set<AnyStateNode>, toEnter: Set<AnyStateNode>): void {
  if (node.type === 'compound') {
    const initial = (node.initial.target as AnyStateNode[])[0]!;
    toEnter.add(initial);
    defaultEntry.add(initial);
    addDescendants(initial, defaultEntry, toEnter);
    addAncestors(toEnter, defaultEntry, properAncestors(initial, node), undefined);
  } else if (node.type === 'parallel') {
    for (const child of childrenOf(node)) {
      if (![...toEnter].some((entered) => isDescendant(entered, child))) {
        toEnter.add(child);
        defaultEntry.add(child);
        addDescendants(child, defaultEntry, toEnter);
      }
    }
  }
}

function addAncestors(toEnter: Set<AnyStateNode>, defaultEntry: Set<AnyStateNode>, ancestors: readonly AnyStateNode[], domain: AnyStateNode | undefined): void {
  for (const ancestor of ancestors) {
    if (!domain || isDescendant(ancestor, domain)) toEnter.add(ancestor);
    if (ancestor.type !== 'parallel') continue;
    for (const child of childrenOf(ancestor)) {
      if (![...toEnter].some((entered) => isDescendant(entered, child))) {
        toEnter.add(child);
        addDescendants(child, defaultEntry, toEnter);
      }
    }
  }
}

function entrySetOf(transitions: readonly AnyTransitionDefinition[], defaultEntry: Set<AnyStateNode>, toEnter: Set<AnyStateNode>): void {
  for (const transition of transitions) {
    const domain = domainOf(transition);
    const source = transition.source as AnyStateNode;
    for (const target of targetsOf(transition)) {
      if (source !== target || source !== domain || transition.reenter) {
        toEnter.add(target);
        defaultEntry.add(target);
      }
      addDescendants(target, defaultEntry, toEnter);
    }
    for (const target of targetsOf(transition)) {
      const ancestors = properAncestors(target, domain);
      if (domain?.type === 'parallel') ancestors.push(domain);
      addAncestors(toEnter, defaultEntry, ancestors, !source.parent && transition.reenter ? undefined : domain);
    }
  }
}

const byOrder = (a: AnyStateNode, b: AnyStateNode): number => a.order - b.order;

/** The microstep XState takes from the active `nodes` on the enabled `transitions` (non-empty). */
export function stepShape(nodes: readonly AnyStateNode[], transitions: readonly AnyTransitionDefinition[]): StepShape {
  const active = new Set(nodes);
  const chosen = withoutConflicts(transitions, active);
  const actions: RawAction[] = [];
  for (const node of exitSetOf(chosen, active).sort((a, b) => b.order - a.order)) {
    actions.push(...(node.exit as RawAction[]));
    active.delete(node);
  }
  for (const transition of chosen) actions.push(...(transition.actions as RawAction[]));
  const toEnter = new Set<AnyStateNode>();
  const defaultEntry = new Set<AnyStateNode>();
  entrySetOf(chosen, defaultEntry, toEnter);
  let done = false;
  for (const node of [...toEnter].sort(byOrder)) {
    active.add(node);
    actions.push(...(node.entry as RawAction[]));
    if (defaultEntry.has(node) && node.initial) actions.push(...(node.initial.actions as RawAction[]));
    // Compiled machines have finals only at the top level: entering one completes the machine.
    if (node.type === 'final') done = true;
  }
  const after = [...active];
  if (done) for (const node of [...after].sort((a, b) => b.order - a.order)) actions.push(...(node.exit as RawAction[]));
  const moved = after.length !== nodes.length || nodes.some((node) => !active.has(node));
  return { actions, nodes: after, moved, done };
}

/** XState's state value of a complete configuration (getValueFromAdj over its adjacency list). */
export function stateValueOf(root: AnyStateNode, nodes: readonly AnyStateNode[]): unknown {
  const adjacency = new Map<AnyStateNode, AnyStateNode[]>();
  for (const node of nodes) {
    if (!adjacency.has(node)) adjacency.set(node, []);
    if (node.parent) {
      if (!adjacency.has(node.parent)) adjacency.set(node.parent, []);
      adjacency.get(node.parent)!.push(node);
    }
  }
  const valueOf = (base: AnyStateNode): unknown => {
    const children = adjacency.get(base);
    if (!children) return {};
    if (base.type === 'compound') {
      const child = children[0];
      if (!child) return {};
      if (isAtomic(child)) return child.key;
    }
    const value: Record<string, unknown> = {};
    for (const child of children) value[child.key] = valueOf(child);
    return value;
  };
  return valueOf(root);
}
