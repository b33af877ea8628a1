// Loads the user's built aggregate modules (`state --module`, `check --aggregates`): definitions
// are found among a module's exports (directly, or in an exported array such as the one passed to
// createRuntime) and told apart by their `type`, so the CLI needs no convention on export names.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AggregateDefinition } from '../actors/define-aggregate.js';
import { UsageError } from './command-line.js';

function isDefinition(value: unknown): value is AggregateDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<AggregateDefinition>;
  return typeof candidate.type === 'string' && typeof candidate.fingerprint === 'string' && typeof candidate.machine === 'object';
}

/** Every aggregate definition the JS module at `file` exports; `option` names the flag in messages. */
async function definitionsIn(file: string, option: string): Promise<AggregateDefinition[]> {
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  } catch (error) {
    // Node 20 cannot import .ts: point at the build output rather than at a loader.
    throw new UsageError(`${option} ${file} could not be loaded (${(error as Error).message}); pass the built .js file`);
  }
  return Object.values(exports).flatMap((value) => (Array.isArray(value) ? value.filter(isDefinition) : isDefinition(value) ? [value] : []));
}

/** The definition of aggregate `type` exported by the JS module at `file`. */
export async function loadAggregate(file: string, type: string): Promise<AggregateDefinition> {
  const definitions = await definitionsIn(file, '--module');
  const match = definitions.find((definition) => definition.type === type);
  if (!match) {
    const known = definitions.map((definition) => definition.type).join(', ') || 'none';
    throw new UsageError(`--module ${file} exports no aggregate of type "${type}" (found: ${known})`);
  }
  return match;
}

/** Whether two definitions replay alike: the same machine (fingerprint) and the same upcaster functions. */
function replaysAlike(a: AggregateDefinition, b: AggregateDefinition): boolean {
  const types = new Set([...Object.keys(a.upcasters), ...Object.keys(b.upcasters)]);
  return a.fingerprint === b.fingerprint && [...types].every((type) => a.upcasters[type] === b.upcasters[type]);
}

/**
 * One definition per aggregate type from the JS modules at `files`. A type exported twice is
 * accepted only when both replay alike; otherwise which one the check used would be a guess.
 */
export async function loadAggregates(files: readonly string[]): Promise<AggregateDefinition[]> {
  const byType = new Map<string, AggregateDefinition>();
  for (const file of files) {
    const definitions = await definitionsIn(file, '--aggregates');
    if (definitions.length === 0) throw new UsageError(`--aggregates ${file} exports no aggregate definition (defineAggregate results, or arrays of them)`);
    for (const definition of definitions) {
      const known = byType.get(definition.type);
      if (known && !replaysAlike(known, definition)) {
        throw new UsageError(`--aggregates exports two definitions of aggregate "${definition.type}" whose machines or upcasters differ: export one per type`);
      }
      byType.set(definition.type, known ?? definition);
    }
  }
  return [...byType.values()];
}
