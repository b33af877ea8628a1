// A projection module as workers run it: `handle`, an optional `init`, and the aggregate
// definitions it exports, whose upcasters apply before the filter and `handle` see an event.
// Owns: a module whose upcasters differ from the runtime's, for a type it reads, is never used.
import type { AggregateDefinition } from '../actors/define-aggregate.js';
import { upcast } from '../actors/upcast.js';
import type { StoredEvent } from '../storage/event-log.js';
import type { ProjectionFilter, ProjectionModule } from './define-projection.js';

/** The upcasters' stored event types by aggregate type: what stands for definitions across threads. */
export type UpcasterKeys = ReadonlyMap<string, readonly string[]>;

/** How a module's upcasters differ from the runtime's for one aggregate type the projection reads. */
export interface UpcasterMismatch {
  readonly aggregateType: string;
  readonly missing: readonly string[];
  readonly unexpected: readonly string[];
}

/** A module ready to run: its exports, its upcasters' keys, and the upcasting step. */
export interface LoadedModule {
  readonly exports: ProjectionModule;
  readonly upcasters: UpcasterKeys;
  /** The event as the module's definition of its aggregate type reads it (the same object when none applies). */
  upcast(event: StoredEvent): StoredEvent;
}

/** The upcaster keys of each definition, sorted. */
export function upcasterKeys(definitions: Iterable<Pick<AggregateDefinition, 'type' | 'upcasters'>>): UpcasterKeys {
  return new Map([...definitions].map((definition) => [definition.type, Object.keys(definition.upcasters).sort()]));
}

/**
 * The first aggregate type the projection may read (its filter's, or any) whose upcasters differ
 * between the runtime and the module; undefined when the module sees every event as the runtime does.
 */
export function upcasterMismatch(runtime: UpcasterKeys, module: UpcasterKeys, filter: ProjectionFilter | undefined): UpcasterMismatch | undefined {
  const types = filter?.aggregateTypes ?? [...new Set([...runtime.keys(), ...module.keys()])].sort();
  for (const aggregateType of types) {
    const expected = runtime.get(aggregateType) ?? [];
    const exported = module.get(aggregateType) ?? [];
    const missing = expected.filter((key) => !exported.includes(key));
    const unexpected = exported.filter((key) => !expected.includes(key));
    if (missing.length > 0 || unexpected.length > 0) return { aggregateType, missing, unexpected };
  }
  return undefined;
}

const loaded = new Map<string, Promise<LoadedModule>>();

/** Imports the module at `href` once per thread and checks its exports; a failed import is retried next time. */
export function loadModule(href: string): Promise<LoadedModule> {
  let module = loaded.get(href);
  if (!module) {
    module = import(href).then(checkExports);
    module.catch(() => loaded.delete(href));
    loaded.set(href, module);
  }
  return module;
}

function checkExports(exports: Partial<ProjectionModule>): LoadedModule {
  if (typeof exports.handle !== 'function') throw new TypeError('the module does not export a handle(event, view) function');
  if (exports.init !== undefined && typeof exports.init !== 'function') throw new TypeError('the module exports an init that is not a function');
  const definitions = new Map<string, AggregateDefinition>();
  if (exports.aggregates !== undefined) {
    if (!Array.isArray(exports.aggregates)) throw new TypeError('the module exports `aggregates` that is not an array of defineAggregate() results');
    for (const [index, definition] of (exports.aggregates as readonly unknown[]).entries()) {
      const candidate = definition as Partial<AggregateDefinition> | null;
      if (!candidate || typeof candidate.type !== 'string' || typeof candidate.upcasters !== 'object' || candidate.upcasters === null) {
        throw new TypeError(`the module's aggregates[${index}] is not a defineAggregate() result`);
      }
      if (definitions.has(candidate.type)) throw new TypeError(`the module's aggregates has two definitions of type "${candidate.type}"`);
      definitions.set(candidate.type, candidate as AggregateDefinition);
    }
  }
  // Only definitions with upcasters change an event; without any, events pass through untouched.
  const upcasting = new Map([...definitions].filter(([, definition]) => Object.keys(definition.upcasters).length > 0));
  return {
    exports: exports as ProjectionModule,
    upcasters: upcasterKeys(definitions.values()),
    upcast: upcasting.size === 0 ? (event) => event : (event) => upcast(upcasting.get(event.aggregateType), event),
  };
}
