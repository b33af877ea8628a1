// `--compare <old.json>`: every figure of this run beside the same figure of an earlier results
// file, old → new with the change in percent. The old file is read and checked before the run
// starts, so a wrong path fails in a second, not after minutes of benchmarks.
import { readFileSync } from 'node:fs';
import { UsageError } from '../cli/command-line.js';
import { formatValue } from './table.js';
import { FIGURE_NAMES, type FigureName, type Figures, type Results } from './scenario.js';

/** What --compare needs of an earlier latest.json: its header and its figures by scenario key. */
export interface PreviousRun {
  readonly file: string;
  readonly date: string;
  readonly commit: string;
  readonly quick: boolean;
  readonly scenarios: ReadonlyMap<string, Figures>;
}

/** Reads a results file written by the bench; a UsageError naming --compare when it is not one. */
export function readPreviousRun(file: string): PreviousRun {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--compare expects a results file, but "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`--compare expects a results file (JSON, as bench/results/latest.json), but "${file}" is not JSON`);
  }
  if (!isRecord(parsed) || !isRecord(parsed.scenarios)) {
    throw new UsageError(`--compare expects a results file with a "scenarios" object (as bench/results/latest.json), but "${file}" has none`);
  }
  const scenarios = new Map<string, Figures>();
  for (const [key, figures] of Object.entries(parsed.scenarios)) if (isRecord(figures)) scenarios.set(key, figures as unknown as Figures);
  return {
    file,
    date: typeof parsed.date === 'string' ? parsed.date : 'unknown date',
    commit: typeof parsed.commit === 'string' ? parsed.commit : 'unknown commit',
    quick: parsed.quick === true,
    scenarios,
  };
}

/** The change of every figure measured in both runs, in this run's order, aligned in columns. */
export function formatComparison(previous: PreviousRun, current: Results, quick: boolean): string {
  const rows: string[][] = [];
  let unmatched = 0;
  for (const [key, figures] of current) {
    const old = previous.scenarios.get(key);
    for (const [label, name, value] of comparable(figures)) {
      const before = old ? comparable(old).find(([l]) => l === label)?.[2] : undefined;
      if (before === undefined) {
        unmatched++;
        continue;
      }
      rows.push([key, label, `${formatValue(name, before)} → ${formatValue(name, value)}`, change(before, value), direction(name, before, value)]);
    }
  }
  const widths = [0, 1, 2, 3].map((column) => Math.max(0, ...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => (column === 3 ? cell.padStart(widths[3]!) : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd());
  const notes = [
    ...(previous.quick !== quick ? [`(sizes differ: the old run was ${kindOf(previous.quick)}, this one ${kindOf(quick)})`] : []),
    ...(unmatched > 0 ? [`(${unmatched} figure${unmatched === 1 ? '' : 's'} of this run not in the old file)`] : []),
  ];
  return [`change against ${previous.file} (${previous.date}, commit ${previous.commit}):`, ...lines, ...notes].join('\n');
}

/** [label, unit, value] of every figure, curve points included ("rehydra, 64 in flight perSec"). */
function comparable(figures: Figures): [string, FigureName, number][] {
  const out: [string, FigureName, number][] = [];
  for (const name of FIGURE_NAMES) {
    const value = figures[name];
    if (typeof value === 'number') out.push([name, name, value]);
  }
  for (const point of Array.isArray(figures.curve) ? figures.curve : []) {
    for (const name of ['perSec', 'p50Ms', 'p99Ms'] as const) {
      if (typeof point[name] === 'number') out.push([`${point.system}, ${point.inflight} in flight ${name}`, name, point[name]]);
    }
  }
  return out;
}

function kindOf(quick: boolean): string {
  return quick ? 'a --quick run' : 'a full-size run';
}

function change(before: number, after: number): string {
  if (before === 0) return after === 0 ? '±0%' : 'new';
  const percent = ((after - before) / Math.abs(before)) * 100;
  const text = Math.abs(percent) < 10 ? percent.toFixed(1) : percent.toFixed(0);
  return `${percent >= 0 ? '+' : ''}${text}%`;
}

/** Rates are better higher; durations and bytes better lower. */
function direction(name: FigureName, before: number, after: number): string {
  if (after === before) return '';
  return (after > before) === (name === 'perSec') ? 'better' : 'worse';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
