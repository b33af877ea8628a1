// Loads the user's built aggregate module for `state --module`: the definition is found by its
// `type` among the module's exports, so the CLI needs no convention on export names.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AggregateDefinition } from '../actors/define-aggregate.js';
import { UsageError } from './usage.js';

function isDefinition(value: unknown): value is AggregateDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<AggregateDefinition>;
  return typeof candidate.type === 'string' && typeof candidate.fingerprint === 'string' && typeof candidate.machine === 'object';
}

/** The definition of aggregate `type` exported by the JS module at `file`. */
export async function loadAggregate(file: string, type: string): Promise<AggregateDefinition> {
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  } catch (error) {
    // Node 20 cannot import .ts: point at the build output rather than at a loader.
    throw new UsageError(`--module ${file} could not be loaded (${(error as Error).message}); pass the built .js file`);
  }
  const definitions = Object.values(exports).filter(isDefinition);
  const match = definitions.find((definition) => definition.type === type);
  if (!match) {
    const known = definitions.map((definition) => definition.type).join(', ') || 'none';
    throw new UsageError(`--module ${file} exports no aggregate of type "${type}" (found: ${known})`);
  }
  return match;
}
