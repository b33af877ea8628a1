// What `checkStreams` takes, checked once before the data directory is opened: every bad field
// fails with an error naming it, and a named type or stream must have a definition to check with.
import type { AggregateDefinition } from '../actors/define-aggregate.js';
import type { StreamRef } from '../storage/keys.js';
import { aggregatesOf, optionsPath } from './options.js';

/** How far a check has got, passed to `onProgress` after each stream. */
export interface CheckProgress {
  /** Streams replayed so far. */
  readonly checked: number;
  /** Streams the check will replay in all. */
  readonly total: number;
  /** Streams failed so far. */
  readonly failed: number;
}

/** Options of `checkStreams`. */
export interface CheckOptions {
  /** The data directory; opened read-only, so a runtime may be writing to it. */
  readonly path: string;
  /** The current aggregate definitions: their machines and upcasters replay the stored streams. */
  readonly aggregates: readonly AggregateDefinition[];
  /** Check only the streams of these aggregate types (each must be in `aggregates`). @default every type */
  readonly types?: readonly string[];
  /** Check only these streams (each must have events); with `types`, these as well. @default every stream */
  readonly streams?: readonly StreamRef[];
  /** Replay a random sample of this many of the selected streams (a positive integer). @default all of them */
  readonly sample?: number;
  /** Called after each stream is replayed, for progress on long runs. */
  readonly onProgress?: (progress: CheckProgress) => void;
}

/** CheckOptions validated, with the definitions by type. */
export interface ResolvedCheck {
  readonly path: string;
  readonly aggregates: ReadonlyMap<string, AggregateDefinition>;
  readonly types?: readonly string[];
  readonly streams?: readonly StreamRef[];
  readonly sample?: number;
  readonly onProgress?: (progress: CheckProgress) => void;
}

const KNOWN = new Set(['path', 'aggregates', 'types', 'streams', 'sample', 'onProgress']);

function typesOf(value: unknown, aggregates: ReadonlyMap<string, AggregateDefinition>): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new TypeError('options.types must be an array of aggregate types');
  for (const [index, type] of value.entries()) {
    if (typeof type !== 'string' || !aggregates.has(type)) {
      throw new TypeError(`options.types[${index}] must be the type of an aggregate in options.aggregates (got ${JSON.stringify(type)}; known: ${[...aggregates.keys()].join(', ')})`);
    }
  }
  return value as readonly string[];
}

function streamsOf(value: unknown, aggregates: ReadonlyMap<string, AggregateDefinition>): readonly StreamRef[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new TypeError('options.streams must be an array of { type, id }');
  for (const [index, stream] of value.entries()) {
    const candidate = stream as Partial<StreamRef> | null;
    if (typeof candidate !== 'object' || candidate === null || typeof candidate.type !== 'string' || typeof candidate.id !== 'string') {
      throw new TypeError(`options.streams[${index}] must be { type, id } with two strings`);
    }
    if (!aggregates.has(candidate.type)) {
      throw new TypeError(`options.streams[${index}] is of type "${candidate.type}", which no aggregate in options.aggregates has (known: ${[...aggregates.keys()].join(', ')})`);
    }
  }
  return value as readonly StreamRef[];
}

/** Validates `checkStreams` options; throws TypeError/RangeError naming the field. */
export function resolveCheckOptions(options: CheckOptions): ResolvedCheck {
  const path = optionsPath(options, KNOWN, 'checkStreams');
  const aggregates = aggregatesOf(options.aggregates);
  const { sample, onProgress } = options;
  if (sample !== undefined && (typeof sample !== 'number' || !Number.isSafeInteger(sample) || sample < 1)) {
    throw new RangeError(`options.sample must be an integer ≥ 1 (got ${String(sample)})`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError('options.onProgress must be a function');
  const types = typesOf(options.types, aggregates);
  const streams = streamsOf(options.streams, aggregates);
  return {
    path, aggregates,
    ...(types && { types }), ...(streams && { streams }), ...(sample !== undefined && { sample }), ...(onProgress && { onProgress }),
  };
}
