// A snapshot is only reused by the machine definition that wrote it. The fingerprint covers the
// machine's config and the source text of its implementations (actions, guards), so editing an
// action invalidates old snapshots (full replay) instead of misapplying them.
import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';

function describe(_key: string, value: unknown): unknown {
  if (typeof value === 'function') {
    const kind = (value as { type?: unknown }).type;
    return `fn:${typeof kind === 'string' ? kind : ''}:${value.toString()}`;
  }
  return value;
}

/** A short hash identifying the machine definition plus the user's `snapshotVersion`. */
export function machineFingerprint(machine: AnyStateMachine, snapshotVersion: number): string {
  const text = JSON.stringify([machine.config, machine.implementations, snapshotVersion], describe);
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
