// A live aggregate on a compiled machine: the part of XState's Actor that rehydra uses (start,
// send, getSnapshot, getPersistedSnapshot, stop), with XState's rules for it: events are ignored
// unless the actor runs and its snapshot is active; a guard or action that throws leaves the
// snapshot of before the event with status 'error' and stops the actor; a done machine stops.
import type { AnyMachineSnapshot, EventObject, Snapshot } from 'xstate';
import type { CompiledMachine } from './compiled-machine.js';
import type { CompiledSnapshot } from './compiled-snapshot.js';
import type { LiveActor } from './live-actor.js';
import { noteTimer } from './timers.js';

/** An actor of a compiled machine, started from its initial state or from an XState persisted snapshot. */
export class CompiledActor implements LiveActor {
  private snapshot: CompiledSnapshot;
  private running = false;
  /** Started from the initial state, not restored: starting runs the initial entry actions (arms their timers). */
  private fresh: boolean;

  constructor(private readonly compiled: CompiledMachine, persisted?: unknown) {
    this.fresh = persisted === undefined;
    this.snapshot = persisted === undefined ? compiled.initial : compiled.restore(persisted);
  }

  start(): this {
    // As XState does when a fresh actor starts: its initial states' delayed raises are executed (recorded, if a recording runs).
    if (this.fresh) for (const action of this.compiled.initialTimers) noteTimer(action);
    this.fresh = false;
    this.running = this.snapshot.status === 'active';
    return this;
  }

  send(event: EventObject): void {
    if (!this.running) return;
    try {
      this.snapshot = this.compiled.transition(this.snapshot, event);
      if (this.snapshot.status !== 'active') this.running = false;
    } catch (error) {
      this.snapshot = this.snapshot.failed(error);
      this.running = false;
    }
  }

  /** The current snapshot; shaped as XState's (see CompiledSnapshot), typed as one for handlers. */
  getSnapshot(): AnyMachineSnapshot {
    return this.snapshot as unknown as AnyMachineSnapshot;
  }

  getPersistedSnapshot(): Snapshot<unknown> {
    return this.snapshot.persisted() as unknown as Snapshot<unknown>;
  }

  stop(): this {
    if (this.running) this.snapshot = this.snapshot.stopped();
    this.running = false;
    return this;
  }
}
