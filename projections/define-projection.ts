// A projection declaration: validated once here, frozen, and safe to post to worker threads (the
// handler module travels as a file URL string, never as code). Nothing else normalizes options.
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AggregateDefinition } from '../actors/define-aggregate.js';
import type { StoredEvent } from '../storage/event-log.js';
import type { ViewEntry, ViewRange } from '../storage/views.js';

/** Narrows the events a projection sees; an event must match every list given. */
export interface ProjectionFilter {
  /** Only events of these aggregate types. */
  readonly aggregateTypes?: readonly string[];
  /** Only events of these types. */
  readonly eventTypes?: readonly string[];
}

/** Options of `defineProjection`. */
export interface ProjectionOptions {
  /** Unique among the runtime's projections; names the view and its checkpoints on disk. */
  readonly name: string;
  /** Path (relative to the working directory) or URL of an ES module exporting `handle` and optionally `init`. */
  readonly module: string | URL;
  /** Split the projection by a stable hash of the aggregate id; each part has its own checkpoint. @default 1 */
  readonly partitions?: number;
  readonly filter?: ProjectionFilter;
  /**
   * How long one `handle()` or `init()` call may run. A call past it stops its partition with
   * ProjectionHandlerTimeoutError in `status()` (its worker thread is replaced); Infinity for no limit.
   * @default 30000
   */
  readonly handlerTimeoutMs?: number;
}

/** A validated, frozen projection; pass it to `createRuntime({ projections })`. */
export interface ProjectionDefinition {
  readonly name: string;
  /** The handler module as a `file:` (or other) URL string, loaded by `import()` in the workers. */
  readonly module: string;
  readonly partitions: number;
  readonly filter: ProjectionFilter | undefined;
  readonly handlerTimeoutMs: number;
}

/** The view a handler reads and writes; synchronous, and committed with the checkpoint in one transaction. */
export interface ProjectionView {
  get(key: string): unknown;
  put(key: string, value: unknown): void;
  delete(key: string): void;
  range(options?: ViewRange): ViewEntry[];
}

/** What a projection module exports: `handle` must be synchronous and deterministic (it may run again after a crash). */
export interface ProjectionModule {
  handle(event: StoredEvent, view: ProjectionView): void;
  /** Runs once per view generation, before the first event. */
  init?(view: ProjectionView): void;
  /**
   * The aggregate definitions whose upcasters apply before the filter and `handle` see an event,
   * as on every other read path. Required (the runtime refuses to start otherwise) when the
   * runtime's definition of an aggregate type the projection reads has upcasters.
   */
  readonly aggregates?: readonly AggregateDefinition[];
}

const MAX_NAME_LENGTH = 128;
const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;

/**
 * Declares a projection.
 * @example defineProjection({ name: 'balances', module: new URL('./balances.projection.js', import.meta.url), partitions: 2 })
 */
export function defineProjection(options: ProjectionOptions): ProjectionDefinition {
  if (typeof options !== 'object' || options === null) throw new TypeError('defineProjection: options must be an object');
  const { name, partitions = 1, handlerTimeoutMs = DEFAULT_HANDLER_TIMEOUT_MS } = options;
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH || name.includes('\u0000')) {
    throw new TypeError(`options.name must be a non-empty string of at most ${MAX_NAME_LENGTH} characters without NUL (got ${JSON.stringify(name)})`);
  }
  if (!Number.isSafeInteger(partitions) || partitions < 1) {
    throw new RangeError(`options.partitions must be a positive integer (got ${String(partitions)})`);
  }
  if (typeof handlerTimeoutMs !== 'number' || !(handlerTimeoutMs > 0)) {
    throw new RangeError(`options.handlerTimeoutMs must be a positive number of milliseconds or Infinity (got ${typeof handlerTimeoutMs === 'string' ? JSON.stringify(handlerTimeoutMs) : String(handlerTimeoutMs)})`);
  }
  return Object.freeze({ name, module: moduleUrl(options.module), partitions, filter: checkFilter(options.filter), handlerTimeoutMs });
}

function moduleUrl(module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module.length === 0) {
    throw new TypeError(`options.module must be a path or URL of an ES module (got ${typeof module})`);
  }
  // A bare "c:\..." or "/x" is a path; "file:", "data:" and the like are URLs already.
  if (!isAbsolute(module) && /^[a-z][a-z\d+.-]+:/i.test(module)) return new URL(module).href;
  return pathToFileURL(resolve(module)).href;
}

function checkFilter(filter: ProjectionFilter | undefined): ProjectionFilter | undefined {
  if (filter === undefined) return undefined;
  if (typeof filter !== 'object' || filter === null) throw new TypeError('options.filter must be an object');
  const list = (field: 'aggregateTypes' | 'eventTypes') => {
    const value = filter[field];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      throw new TypeError(`options.filter.${field} must be an array of strings`);
    }
    return Object.freeze([...value]);
  };
  return Object.freeze({ aggregateTypes: list('aggregateTypes'), eventTypes: list('eventTypes') });
}

/** The predicate `filter` stands for (everything when undefined). */
export function eventFilter(filter: ProjectionFilter | undefined): (event: StoredEvent) => boolean {
  const aggregateTypes = filter?.aggregateTypes && new Set(filter.aggregateTypes);
  const eventTypes = filter?.eventTypes && new Set(filter.eventTypes);
  return (event) =>
    (aggregateTypes === undefined || aggregateTypes.has(event.aggregateType)) && (eventTypes === undefined || eventTypes.has(event.type));
}
