// User options in, resolved options out: every field checked once, with an error naming it,
// so a typo or a wrong unit fails at createRuntime and not under load.
import { availableParallelism } from 'node:os';
import { Registry } from 'prom-client';
import type { AggregateDefinition } from '../actors/define-aggregate.js';
import { LIMITS } from '../storage/keys.js';
import type { Durability } from '../storage/group-commit.js';
import { DEFAULT_RETENTION_COUNT, DEFAULT_RETENTION_MS, resolveRetention, resolveRetentionCount } from '../storage/ledger-index.js';
import type { ProjectionDefinition } from '../projections/define-projection.js';
import type { Inspect } from '../actors/inspection.js';
import type { RuntimeLogger } from './runtime-log.js';
import type { RuntimeOptions } from './types.js';
import { resolveClusterOptions, type ResolvedClusterOptions } from './cluster/cluster-options.js';

/** RuntimeOptions with every default filled in. */
export interface ResolvedOptions {
  readonly path: string;
  readonly aggregates: ReadonlyMap<string, AggregateDefinition>;
  readonly projections: readonly ProjectionDefinition[];
  readonly durability: Durability;
  readonly mailboxCapacity: number;
  readonly idleTimeoutMs: number;
  readonly maxActiveActors: number;
  readonly workers: number;
  readonly maxEventBytes: number;
  readonly commandIdRetentionMs: number;
  readonly commandIdRetentionCount: number;
  /** The caller's prom-client registry, or one of the runtime's own. */
  readonly metricsRegistry: Registry;
  readonly inspect: Inspect | undefined;
  readonly logger: RuntimeLogger | undefined;
  /** Cluster mode's options; undefined: the embedded log. */
  readonly cluster: ResolvedClusterOptions | undefined;
}

const KNOWN = new Set([
  'path', 'aggregates', 'projections', 'durability', 'mailboxCapacity', 'idleTimeoutMs', 'maxActiveActors', 'workers', 'maxEventBytes',
  'commandIdRetentionMs', 'commandIdRetentionCount', 'metrics', 'inspect', 'logger', 'cluster',
]);

function integer(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`options.${name} must be an integer ≥ ${min} (got ${String(value)})`);
  }
  return value;
}

function inspectOf(value: unknown): Inspect | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`options.inspect must be a function (got ${typeof value})`);
  return value as Inspect | undefined;
}

function loggerOf(value: unknown): RuntimeLogger | undefined {
  if (value === undefined) return undefined;
  const logger = value as Partial<Record<keyof RuntimeLogger, unknown>> | null;
  for (const level of ['info', 'warn', 'error'] as const) {
    if (typeof logger?.[level] !== 'function') throw new TypeError(`options.logger must have info, warn and error methods (pino-compatible); ${level} is missing`);
  }
  return value as RuntimeLogger;
}

/** The aggregate definitions of `options.aggregates` by type; throws TypeError naming the field. */
export function aggregatesOf(value: unknown): Map<string, AggregateDefinition> {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError('options.aggregates must be a non-empty array of defineAggregate(...) results');
  }
  const byType = new Map<string, AggregateDefinition>();
  for (const [index, definition] of value.entries()) {
    const candidate = definition as Partial<AggregateDefinition> | null;
    if (!candidate || typeof candidate.type !== 'string' || typeof candidate.fingerprint !== 'string') {
      throw new TypeError(`options.aggregates[${index}] is not a defineAggregate(...) result`);
    }
    if (byType.has(candidate.type)) throw new TypeError(`options.aggregates has two aggregates of type "${candidate.type}"`);
    byType.set(candidate.type, candidate as AggregateDefinition);
  }
  return byType;
}

/** options.metrics.registry, checked by shape: the caller's prom-client may be another copy than rehydra's. */
function metricsRegistryOf(value: unknown): Registry {
  if (value === undefined) return new Registry();
  if (typeof value !== 'object' || value === null) throw new TypeError(`options.metrics must be an object such as { registry } (got ${String(value)})`);
  for (const key of Object.keys(value)) {
    if (key !== 'registry') throw new TypeError(`options.metrics.${key} is not a metrics option (known: registry)`);
  }
  const { registry } = value as { registry?: unknown };
  if (registry === undefined) return new Registry();
  const candidate = registry as Partial<Record<'registerMetric' | 'getSingleMetric' | 'removeSingleMetric' | 'getSingleMetricAsString', unknown>> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.registerMetric !== 'function' || typeof candidate.getSingleMetric !== 'function' ||
    typeof candidate.removeSingleMetric !== 'function' || typeof candidate.getSingleMetricAsString !== 'function') {
    throw new TypeError('options.metrics.registry must be a prom-client Registry (new Registry() or prom-client\'s `register`)');
  }
  return registry as Registry;
}

function projectionsOf(value: unknown): readonly ProjectionDefinition[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError('options.projections must be an array of defineProjection(...) results');
  for (const [index, definition] of value.entries()) {
    const candidate = definition as Partial<ProjectionDefinition> | null;
    if (!candidate || typeof candidate.name !== 'string' || typeof candidate.module !== 'string') {
      throw new TypeError(`options.projections[${index}] is not a defineProjection(...) result`);
    }
  }
  return value as readonly ProjectionDefinition[];
}

/**
 * Checks that `options` (given to `fn`) is an object holding only `known` keys and a non-empty
 * `path`, and returns that path; throws TypeError naming the field.
 */
export function optionsPath(options: unknown, known: ReadonlySet<string>, fn: string): string {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${fn} needs an options object`);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TypeError(`options.${key} is not a ${fn} option (known: ${[...known].join(', ')})`);
  }
  const { path } = options as { path?: unknown };
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`options.path must be a non-empty directory path (got ${JSON.stringify(path)})`);
  return path;
}

/** Validates user options and fills in defaults; throws TypeError/RangeError naming the field. */
export function resolveOptions(options: RuntimeOptions): ResolvedOptions {
  const path = optionsPath(options, KNOWN, 'createRuntime');
  const durability = options.durability ?? 'sync';
  if (durability !== 'sync' && durability !== 'async') {
    throw new TypeError(`options.durability must be 'sync' or 'async' (got ${JSON.stringify(durability)})`);
  }
  return {
    path,
    aggregates: aggregatesOf(options.aggregates),
    projections: projectionsOf(options.projections),
    durability,
    mailboxCapacity: integer('mailboxCapacity', options.mailboxCapacity, 1024, 1),
    idleTimeoutMs: integer('idleTimeoutMs', options.idleTimeoutMs, 60_000, 0),
    maxActiveActors: integer('maxActiveActors', options.maxActiveActors, 100_000, 1),
    workers: integer('workers', options.workers, Math.min(2, availableParallelism()), 1),
    maxEventBytes: integer('maxEventBytes', options.maxEventBytes, LIMITS.eventBytes, 64),
    commandIdRetentionMs: resolveRetention(options.commandIdRetentionMs, DEFAULT_RETENTION_MS),
    commandIdRetentionCount: resolveRetentionCount(options.commandIdRetentionCount, DEFAULT_RETENTION_COUNT),
    metricsRegistry: metricsRegistryOf(options.metrics),
    inspect: inspectOf(options.inspect),
    logger: loggerOf(options.logger),
    cluster: options.cluster === undefined ? undefined : resolveClusterOptions(options.cluster),
  };
}
