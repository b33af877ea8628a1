// The folders are floors and every import points down: storage ← actors ← projections ← runtime ←
// testing, cli. A file may import from its own floor or any floor below it, never from one above,
// nor from a room beside it on the top floor; sources never import tests, fixtures or benchmarks,
// and no files import each other in a loop.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The source rooms, ground floor first; rooms on one floor may not import each other. */
const FLOORS: readonly (readonly string[])[] = [['storage'], ['actors'], ['projections'], ['runtime'], ['testing', 'cli']];

function floorOf(room: string): number {
  return FLOORS.findIndex((rooms) => rooms.includes(room));
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

const SPECIFIER = /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every relative import of `file`, as a path from the project root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(SPECIFIER)]
    .map((match) => match[1] ?? match[2]!)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => normalize(join(dirname(file), specifier)));
}

/** The imports of the source tree that break the floor rule, as `file -> target`. */
function upwardImports(): string[] {
  const wrong: string[] = [];
  for (const room of FLOORS.flat()) {
    for (const file of sources(room)) {
      for (const target of importsOf(file)) {
        const targetRoom = target.split('/')[0]!;
        const floor = floorOf(targetRoom);
        const allowed = targetRoom === room || (floor >= 0 && floor < floorOf(room));
        if (!allowed) wrong.push(`${file} -> ${target}`);
      }
    }
  }
  return wrong;
}

/** A cycle of imports among the sources, as its files in order; undefined when there is none. */
function importCycle(): string[] | undefined {
  const graph = new Map<string, string[]>();
  for (const file of FLOORS.flat().flatMap(sources)) {
    graph.set(file, importsOf(file).map((target) => target.replace(/\.js$/, '.ts')));
  }
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done' || !graph.has(file)) return undefined;
    if (state.get(file) === 'open') return [...path.slice(path.indexOf(file)), file];
    state.set(file, 'open');
    path.push(file);
    for (const target of graph.get(file)!) {
      const cycle = visit(target);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('layout', () => {
  it('every import of the sources points down a floor (or stays in its room)', () => {
    expect(upwardImports()).toEqual([]);
  });

  it('has no import cycle, not even inside one room (type-only imports count: they tie the files too)', () => {
    expect(importCycle()).toBeUndefined();
  });

  it('sees the imports it judges: the runtime imports the actors and the storage', () => {
    const runtimeImports = importsOf('runtime/runtime.ts');
    expect(runtimeImports).toContain('actors/aggregate-actor.js');
    expect(runtimeImports).toContain('storage/lmdb-event-log.js');
  });
});
