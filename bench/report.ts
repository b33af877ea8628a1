// The output of a run: one table (figure, value, target, ratio to the limit or baseline, ratio to
// the peer) and bench/results/latest.json. Ratios are computed here, from figures of the same
// run, never against numbers remembered from another machine or day.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Machine } from './machine.js';
import { FIGURE_NAMES, type Bound, type FigureName, type Figures, type FigureSpec, type Results, type Scenario } from './scenario.js';

const HEADER = ['scenario', 'figure', 'value', 'target', 'vs limit/baseline', 'vs peer'] as const;

/** The whole run, as written to latest.json. */
export interface RunReport extends Machine {
  readonly quick: boolean;
  readonly scenarios: Record<string, Figures>;
}

/** The table as Markdown (aligned, so it reads in a terminal and pastes into docs). */
export function formatTable(scenarios: readonly Scenario[], results: Results): string {
  const rows: string[][] = [];
  for (const scenario of scenarios) {
    const figures = results.get(scenario.key);
    if (!figures) continue;
    for (const name of FIGURE_NAMES) {
      const value = figures[name];
      if (value === undefined) continue;
      const spec: FigureSpec = scenario.figures?.[name] ?? {};
      rows.push([
        scenario.key,
        spec.label ?? name,
        formatValue(name, value),
        (spec.targets ?? []).map((bound) => formatBound(name, bound, value, results)).join(', '),
        baselineRatio(name, spec, value, results),
        [spec.peer ?? []].flat().map((peer) => ratio(value, peer.value(results), peer.label)).join(', '),
      ]);
    }
  }
  const widths = HEADER.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(HEADER), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
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
export function writeResults(report: RunReport, name = 'latest.json'): string {
  const dir = join(packageRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  const scenarios = Object.fromEntries(Object.entries(report.scenarios).map(([key, figures]) => [key, rounded(figures)]));
  writeFileSync(file, `${JSON.stringify({ ...report, scenarios }, null, 2)}\n`);
  return file;
}

function formatValue(name: FigureName, value: number): string {
  switch (name) {
    case 'perSec':
      return `${Math.round(value).toLocaleString('en-US')}/s`;
    case 'refused':
      return `${Math.round(value).toLocaleString('en-US')} commands`;
    case 'bytes':
    case 'diskBytesPerEvent':
      return `${Math.round(value).toLocaleString('en-US')} B`;
    default:
      // Sub-0.1 ms figures (e.g. a commit→flushed gap) read better in µs than as 0.00100 ms, and
      // seconds-long ones (a restart) in whole ms than as 2.00e+3 ms.
      if (value < 0.1) return `${(value * 1000).toPrecision(3)} µs`;
      return value < 1_000 ? `${value.toPrecision(3)} ms` : `${Math.round(value).toLocaleString('en-US')} ms`;
  }
}

function formatBound(name: FigureName, bound: Bound, value: number, results: Results): string {
  const sign = bound.op === '>=' ? '≥' : '≤';
  const text = bound.of ? `${sign} ${bound.value}× ${bound.of.label}` : `${sign} ${formatValue(name, bound.value)}`;
  const reference = bound.of ? bound.of.value(results) : 1;
  if (reference === undefined) return `${text} (not measured)`;
  const limit = bound.value * reference;
  const met = bound.op === '>=' ? value >= limit : value <= limit;
  return `${text} ${met ? '✓' : '✗'}`;
}

/** Against the declared baseline, or else against the first absolute target (the limit). */
function baselineRatio(name: FigureName, spec: FigureSpec, value: number, results: Results): string {
  if (spec.against) return ratio(value, spec.against.value(results), spec.against.label);
  const absolute = spec.targets?.find((bound) => bound.of === undefined);
  return absolute ? ratio(value, absolute.value, `limit ${formatValue(name, absolute.value)}`) : '';
}

function ratio(value: number, reference: number | undefined, label: string): string {
  if (reference === undefined || reference === 0) return `— (${label} not measured)`;
  const r = value / reference;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}× ${label}`;
}

function rounded(figures: Figures): Figures {
  const out: Figures = { n: figures.n };
  for (const name of FIGURE_NAMES) {
    const value = figures[name];
    if (value === undefined) continue;
    out[name] = name === 'perSec' || name === 'refused' || name === 'bytes' || name === 'diskBytesPerEvent' ? Math.round(value) : Number(value.toPrecision(4));
  }
  return out;
}

/** The nearest folder above this module with a package.json: the same from src (tsx) and dist. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}
