// A configuration of a compiled machine: one set of active state nodes (in XState's order), its
// state value and tags, and what was worked out for it on first use: where each event type is
// looked for (a plan) and each microstep that leaves it (a step). Every snapshot in that state
// shares it, so the work is done once per machine, not once per aggregate.
import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { stateValueOf } from './statechart-steps.js';

export const ASSIGN = 0;
export const RAISE = 1;
export const CANCEL = 2;

/** An action compiled machines run: an assign, a raise or a cancel, with its params as written (a value or a function). */
export interface Effect {
  readonly kind: typeof ASSIGN | typeof RAISE | typeof CANCEL;
  /** assign's assignment (object or function), raise's event (object or function), or cancel's sendId (string or function). */
  readonly body: unknown;
  readonly params: unknown;
  /** raise only: its id and delay as written (a delay makes it a timer: the `after` of a state). */
  readonly id?: unknown;
  readonly delay?: unknown;
}

/** A microstep ready to run: its effects in order and where it leads. */
export interface Step {
  readonly effects: readonly Effect[];
  readonly next: Configuration;
  readonly moved: boolean;
  readonly done: boolean;
}

/** Where an event is looked for, mirroring XState's transitionNode walk down the state value. */
export interface Plan {
  readonly node: AnyStateNode;
  /** This node's transitions for the event type, in priority order. */
  readonly own: readonly AnyTransitionDefinition[];
  /** The active children whose subtrees have transitions for it (pruned otherwise). */
  readonly children: readonly Plan[];
  readonly parallel: boolean;
}

/** A set of active state nodes, in XState's order, with what was worked out for it so far. */
export class Configuration {
  readonly value: unknown;
  readonly tags: ReadonlySet<string>;
  /** By event type: where to look for it; null when nothing in this configuration handles it. */
  readonly plans = new Map<string, Plan | null>();
  /** By the one chosen transition (the usual case), or by the chosen transitions' ids joined. */
  readonly steps = new Map<AnyTransitionDefinition | string, Step>();

  constructor(readonly nodes: readonly AnyStateNode[], root: AnyStateNode) {
    this.value = stateValueOf(root, nodes);
    this.tags = new Set(nodes.flatMap((node) => node.tags as string[]));
  }
}
