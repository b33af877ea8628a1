// Heap measurements need a full collection before each reading, or garbage is counted as live.
// `npm run bench` runs node with --expose-gc; without it, V8's flag is set at run time and the
// collector is taken from a fresh context, and if even that fails readings are marked approximate.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A heap reading: bytes used after a full collection (or without one, when `exact` is false). */
export interface HeapReading {
  readonly used: number;
  readonly exact: boolean;
}

function findCollector(): (() => void) | undefined {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

const collect = findCollector();

/** Collects garbage (twice: finalizers of the first pass free more) and reads `heapUsed`. */
export function readHeap(): HeapReading {
  if (collect) {
    collect();
    collect();
  }
  return { used: process.memoryUsage().heapUsed, exact: collect !== undefined };
}
