// A projection module as workers run it: `handle`, an optional `init`, and the aggregate
// definitions it exports, whose upcasters apply before the filter and `handle` see an event.
// Owns: a module whose upcasters differ from the runtime's, for a type it reads, is never used;
// a module that cannot be loaded says which of the three ways it fails (ProjectionModuleProblem).
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AggregateDefinition } from '../actors/define-aggregate.js';
import { upcast } from '../actors/upcast.js';
import type { StoredEvent } from '../storage/event-log.js';
import type { ProjectionFilter, ProjectionModule } from './define-projection.js';
import type { ProjectionModuleProblem } from './errors.js';

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

/** Why a module cannot be loaded; the worker's counterpart of ProjectionModuleError, which the host raises. */
export class ModuleLoadFailure extends Error {
  constructor(
    readonly reason: ProjectionModuleProblem,
    message: string,
  ) {
    super(message);
  }
}

const loaded = new Map<string, Promise<LoadedModule>>();

/**
 * Imports the module at `href` once per thread and checks its exports; rejects with
 * ModuleLoadFailure, and a failed import is retried next time.
 */
export function loadModule(href: string): Promise<LoadedModule> {
  let module = loaded.get(href);
  if (!module) {
    module = importModule(href).then(checkExports);
    module.catch(() => loaded.delete(href));
    loaded.set(href, module);
  }
  return module;
}

async function importModule(href: string): Promise<Partial<ProjectionModule>> {
  if (TYPESCRIPT.test(new URL(href).pathname)) registerTypeScriptHooks();
  try {
    return (await import(href)) as Partial<ProjectionModule>;
  } catch (error) {
    // The same code names a missing dependency of the module: only the module's own absence is 'not-found'.
    const absent = (error as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND' && !exists(href);
    throw absent ? new ModuleLoadFailure('not-found', `no file at ${href}`) : new ModuleLoadFailure('import-failed', String(error));
  }
}

function exists(href: string): boolean {
  return href.startsWith('file:') && existsSync(fileURLToPath(href));
}

const TYPESCRIPT = /\.m?ts$/;
let typeScriptHooks = false;

/** TypeScript modules go through ./typescript-hooks.js, which defers to Node or a user's loader and transpiles only what they refuse. */
function registerTypeScriptHooks(): void {
  if (typeScriptHooks) return;
  register(new URL('./typescript-hooks.js', import.meta.url));
  typeScriptHooks = true;
}

function checkExports(exports: Partial<ProjectionModule>): LoadedModule {
  const invalid = (message: string) => new ModuleLoadFailure('invalid-exports', message);
  if (typeof exports.handle !== 'function') {
    throw invalid(exports.handle === undefined ? 'the module does not export a handle(event, view) function' : `the module's handle export is ${typeof exports.handle}, not a function`);
  }
  if (exports.init !== undefined && typeof exports.init !== 'function') throw invalid('the module exports an init that is not a function');
  const definitions = new Map<string, AggregateDefinition>();
  if (exports.aggregates !== undefined) {
    if (!Array.isArray(exports.aggregates)) throw invalid('the module exports `aggregates` that is not an array of defineAggregate() results');
    for (const [index, definition] of (exports.aggregates as readonly unknown[]).entries()) {
      const candidate = definition as Partial<AggregateDefinition> | null;
      if (!candidate || typeof candidate.type !== 'string' || typeof candidate.upcasters !== 'object' || candidate.upcasters === null) {
        throw invalid(`the module's aggregates[${index}] is not a defineAggregate() result`);
      }
      if (definitions.has(candidate.type)) throw invalid(`the module's aggregates has two definitions of type "${candidate.type}"`);
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
