// The snapshot of a compiled machine: what handlers, guards and refusals read, shaped as XState's
// MachineSnapshot (status, value, context, output, error, matches, hasTag, can, getMeta, toJSON,
// and the machine and active nodes that XState's own helpers read), so code written against a
// snapshot cannot tell the two apart. It holds a configuration shared by every snapshot in that
// state, so one costs a handful of fields instead of XState's several kilobytes.
import { matchesState, type AnyStateMachine, type AnyStateNode, type EventObject, type StateValue } from 'xstate';
import type { Configuration } from './configuration.js';

/** What a snapshot asks of its compiled machine (an interface, so the two files do not import each other). */
export interface SnapshotOwner {
  readonly machine: AnyStateMachine;
  can(snapshot: CompiledSnapshot, event: EventObject): boolean;
}

const EMPTY: Readonly<Record<string, never>> = Object.freeze({});

/** A compiled machine's snapshot (immutable: a transition makes a new one). */
export class CompiledSnapshot {
  constructor(
    private readonly compiled: SnapshotOwner,
    /** The active state nodes and what was worked out for them. */
    readonly configuration: Configuration,
    readonly context: unknown,
    readonly status: 'active' | 'done' | 'error' | 'stopped',
    readonly output: unknown,
    readonly error: unknown,
  ) {}

  get value(): StateValue {
    return this.configuration.value as StateValue;
  }

  get machine(): AnyStateMachine {
    return this.compiled.machine;
  }

  /** XState's active state nodes (its helpers, such as getNextTransitions and stateIn, read them). */
  get _nodes(): readonly AnyStateNode[] {
    return this.configuration.nodes;
  }

  get tags(): ReadonlySet<string> {
    return this.configuration.tags;
  }

  get children(): Readonly<Record<string, never>> {
    return EMPTY;
  }

  get historyValue(): Readonly<Record<string, never>> {
    return EMPTY;
  }

  matches(value: StateValue): boolean {
    return matchesState(value, this.value);
  }

  hasTag(tag: string): boolean {
    return this.configuration.tags.has(tag);
  }

  can(event: EventObject): boolean {
    return this.compiled.can(this, event);
  }

  getMeta(): Record<string, unknown> {
    const meta: Record<string, unknown> = {};
    for (const node of this.configuration.nodes) if (node.meta !== undefined) meta[node.id] = node.meta;
    return meta;
  }

  toJSON(): Record<string, unknown> {
    const { status, output, error, context, value } = this;
    return { status, output, error, context, value, children: {}, historyValue: {}, tags: [...this.tags] };
  }

  /** This snapshot as XState persists it (getPersistedSnapshot), key for key and in its order. */
  persisted(): Record<string, unknown> {
    const { status, output, error, value, context } = this;
    return { status, output, error, value, historyValue: {}, context, children: {} };
  }

  /** This snapshot after a guard or action threw (XState keeps the state before the event). */
  failed(error: unknown): CompiledSnapshot {
    return new CompiledSnapshot(this.compiled, this.configuration, this.context, 'error', this.output, error);
  }

  stopped(): CompiledSnapshot {
    return new CompiledSnapshot(this.compiled, this.configuration, this.context, 'stopped', this.output, this.error);
  }
}
