// What a run leaves behind besides its table (bench/table.ts): the settings of each scenario, and
// bench/results/latest.json, whose shape scripts rely on (`scenarios[key].perSec`, `.p50Ms`, ...);
// the spread of the rounds sits beside the figures as `scenarios[key].spread`.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Machine } from './machine.js';
import type { Spread } from './rounds.js';
import { FIGURE_NAMES, type Figures, type Results, type Scenario } from './scenario.js';

/** The whole run, as written to latest.json. */
export interface RunReport extends Machine {
  readonly quick: boolean;
  readonly scenarios: Record<string, Figures>;
}

/** Settings each scenario declared (durability flags and the like), its size and rounds, one line each. */
export function formatSettings(scenarios: readonly Scenario[], results: Results, quick: boolean): string {
  return scenarios
    .filter((scenario) => results.has(scenario.key))
    .map((scenario) => {
      const rounds = quick ? 1 : (scenario.rounds ?? 1);
      const size = `n = ${results.get(scenario.key)!.n.toLocaleString('en-US')}${rounds > 1 ? ` per round, median of ${rounds} rounds` : ''}`;
      return `- ${scenario.key}: ${scenario.settings ?? scenario.title} (${size})`;
    })
    .join('\n');
}

/** Writes `<package root>/bench/results/<name>` (default latest.json) and returns its path. */
export function writeResults(report: RunReport, spreads: ReadonlyMap<string, Spread>, name = 'latest.json'): string {
  const dir = join(packageRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  const scenarios = Object.fromEntries(
    Object.entries(report.scenarios).map(([key, figures]) => {
      const spread = spreads.get(key) ?? {};
      return [key, Object.keys(spread).length > 0 ? { ...rounded(figures), spread: roundedSpread(spread) } : rounded(figures)];
    }),
  );
  writeFileSync(file, `${JSON.stringify({ ...report, scenarios }, null, 2)}\n`);
  return file;
}

function rounded(figures: Figures): Figures {
  const out: Figures = { n: figures.n };
  for (const name of FIGURE_NAMES) {
    const value = figures[name];
    if (value === undefined) continue;
    out[name] = name === 'perSec' || name === 'refused' || name === 'bytes' || name === 'diskBytesPerEvent' ? Math.round(value) : Number(value.toPrecision(4));
  }
  if (figures.curve) {
    out.curve = figures.curve.map((point) => ({
      ...point, perSec: Math.round(point.perSec), p50Ms: Number(point.p50Ms.toPrecision(4)), p99Ms: Number(point.p99Ms.toPrecision(4)),
    }));
  }
  return out;
}

function roundedSpread(spread: Spread): Spread {
  return Object.fromEntries(Object.entries(spread).map(([name, value]) => [name, Number(value.toFixed(4))]));
}

/** The nearest folder above this module with a package.json: the same from src (tsx) and dist. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}
