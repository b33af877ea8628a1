// The table a person reads at the end of a run: one group of rows per scenario, each figure with
// its value ± the spread of its rounds, each target with its verdict, and one line counting the
// targets met. Narrow (about 90 columns) so it reads in a terminal and in a CI log without wrapping.
import type { Spread } from './rounds.js';
import { FIGURE_NAMES, type Bound, type CurvePoint, type FigureName, type FigureSpec, type Results, type Scenario } from './scenario.js';

/** ✓ met, ✗ missed, — not judged (the figure it is relative to was not measured in this run). */
export type Verdict = '✓' | '✗' | '—';

const HEADER = ['scenario · figure', 'value ± spread', 'target', ''] as const;

/** The table: a header, then per scenario its key and an indented row per figure, target and curve point. */
export function formatTable(scenarios: readonly Scenario[], results: Results, spreads: ReadonlyMap<string, Spread>): string {
  const rows: string[][] = [];
  for (const scenario of scenarios) {
    const figures = results.get(scenario.key);
    if (!figures) continue;
    rows.push([scenario.key, '', '', '']);
    for (const name of FIGURE_NAMES) {
      const value = figures[name];
      if (value === undefined) continue;
      const spec: FigureSpec = scenario.figures?.[name] ?? {};
      const targets = targetCells(name, spec, value, results);
      const first = targets[0] ?? ['', ''];
      rows.push([`  ${spec.label ?? name}`, withSpread(formatValue(name, value), spreads.get(scenario.key)?.[name]), ...first]);
      for (const more of targets.slice(1)) rows.push(['', '', ...more]);
    }
    for (const point of figures.curve ?? []) rows.push([`  ${point.system}, ${point.inflight} in flight`, describePoint(point), '', '']);
  }
  const widths = HEADER.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [line(HEADER), line(widths.map((width) => '─'.repeat(width))), ...rows.map(line)].join('\n');
}

/** "8 of 13 targets met", and how many could not be judged in this run. */
export function summarizeTargets(scenarios: readonly Scenario[], results: Results): string {
  const verdicts: Verdict[] = [];
  for (const scenario of scenarios) {
    const figures = results.get(scenario.key);
    for (const name of FIGURE_NAMES) {
      const value = figures?.[name];
      if (value === undefined) continue;
      for (const bound of scenario.figures?.[name]?.targets ?? []) verdicts.push(judge(bound, value, results));
    }
  }
  const count = (verdict: Verdict) => verdicts.filter((v) => v === verdict).length;
  const unjudged = count('—');
  if (verdicts.length === 0) return 'no targets among the scenarios run';
  return `${count('✓')} of ${verdicts.length} targets met${unjudged > 0 ? ` (${unjudged} not judged: what they are relative to was not measured)` : ''}`;
}

/** A figure in its unit: rates as n/s, sizes in bytes, durations in µs, ms or whole ms. */
export function formatValue(name: FigureName, value: number): string {
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

/** Whether `value` meets `bound`, a reference of this run scaling it when it is relative. */
export function judge(bound: Bound, value: number, results: Results): Verdict {
  const reference = bound.of ? bound.of.value(results) : 1;
  if (reference === undefined) return '—';
  const limit = bound.value * reference;
  return (bound.op === '>=' ? value >= limit : value <= limit) ? '✓' : '✗';
}

/**
 * [target, verdict] cells of one figure: each bound with the ratio it is judged on, then, for
 * context, the ratio to its baseline and peer when no bound already shows it (no verdict).
 */
function targetCells(name: FigureName, spec: FigureSpec, value: number, results: Results): [string, string][] {
  const cells: [string, string][] = [];
  const shown = new Set<string>();
  for (const bound of spec.targets ?? []) {
    const sign = bound.op === '>=' ? '≥' : '≤';
    if (!bound.of) {
      cells.push([`${sign} ${formatValue(name, bound.value)}`, judge(bound, value, results)]);
      continue;
    }
    shown.add(bound.of.label);
    const r = ratio(value, bound.of.value(results));
    cells.push([`${sign} ${bound.value}× ${bound.of.label}: ${r ?? 'not measured'}`, judge(bound, value, results)]);
  }
  for (const reference of [spec.against, ...[spec.peer ?? []].flat()]) {
    if (!reference || shown.has(reference.label)) continue;
    const r = ratio(value, reference.value(results));
    cells.push([r ? `(${r} ${reference.label})` : `(${reference.label} not measured)`, '']);
  }
  return cells;
}

/** "0.44×", "30×"; undefined when the reference was not measured. */
function ratio(value: number, reference: number | undefined): string | undefined {
  if (reference === undefined || reference === 0) return undefined;
  const r = value / reference;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`;
}

/** "66,346/s ± 4.1%"; the value alone when there was one round. */
function withSpread(value: string, spread: number | undefined): string {
  if (spread === undefined) return value;
  const percent = spread * 100;
  return `${value} ± ${percent < 10 ? percent.toFixed(1) : percent.toFixed(0)}%`;
}

function describePoint(point: CurvePoint): string {
  return `${formatValue('perSec', point.perSec)}, p99 ${formatValue('p99Ms', point.p99Ms)}`;
}
