// Repeated rounds of the same scenario, combined by median per figure, with their spread kept
// beside it. Rounds of different scenarios are interleaved by the runner, so a burst of load from a
// neighbour on the shared machine lands on baseline and candidate alike instead of skewing one.
import { FIGURE_NAMES, type CurvePoint, type FigureName, type Figures } from './scenario.js';

/** Per figure, half the range of its rounds over their median (0.04 = ± 4%); only for 2+ rounds. */
export type Spread = Partial<Record<FigureName, number>>;

/** The median of each figure over the rounds (`n` is per round); undefined for no rounds. */
export function combineRounds(rounds: readonly Figures[]): Figures | undefined {
  const first = rounds[0];
  if (!first) return undefined;
  const combined: Figures = { n: first.n };
  for (const name of FIGURE_NAMES) {
    const values = valuesOf(rounds, name);
    if (values.length > 0) combined[name] = median(values);
  }
  if (first.curve) combined.curve = combineCurves(rounds);
  return combined;
}

/** How far the rounds of each figure lie apart, relative to their median. */
export function spreadOf(rounds: readonly Figures[]): Spread {
  const spread: Spread = {};
  for (const name of FIGURE_NAMES) {
    const values = valuesOf(rounds, name);
    const middle = values.length > 1 ? median(values) : 0;
    if (middle !== 0) spread[name] = (Math.max(...values) - Math.min(...values)) / 2 / Math.abs(middle);
  }
  return spread;
}

/** "perSec 80,171 · 73,720 · 61,002": each round's value of the figures that vary, for the log. */
export function describeRounds(rounds: readonly Figures[]): string {
  return FIGURE_NAMES.filter((name) => rounds.some((figures) => figures[name] !== undefined))
    .map((name) => `${name} ${rounds.map((figures) => format(figures[name])).join(' · ')}`)
    .join('; ');
}

/** Each point of the first round's curve, its figures the median over the rounds that measured it. */
function combineCurves(rounds: readonly Figures[]): CurvePoint[] {
  return (rounds[0]!.curve ?? []).map(({ system, inflight }) => {
    const same = rounds.flatMap((figures) => figures.curve?.filter((p) => p.system === system && p.inflight === inflight) ?? []);
    const of = (pick: (point: CurvePoint) => number) => median(same.map(pick));
    return { system, inflight, perSec: of((p) => p.perSec), p50Ms: of((p) => p.p50Ms), p99Ms: of((p) => p.p99Ms) };
  });
}

function valuesOf(rounds: readonly Figures[], name: FigureName): number[] {
  return rounds.map((figures) => figures[name]).filter((value): value is number => value !== undefined);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function format(value: number | undefined): string {
  if (value === undefined) return '–';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3);
}
