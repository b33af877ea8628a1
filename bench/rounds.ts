// Repeated rounds of the same scenario, combined by median per figure. Rounds of different
// scenarios are interleaved by the runner, so a burst of load from a neighbour on the shared
// machine lands on baseline and candidate alike instead of skewing one of them.
import { FIGURE_NAMES, type Figures } from './scenario.js';

/** The median of each figure over the rounds (`n` is per round); undefined for no rounds. */
export function combineRounds(rounds: readonly Figures[]): Figures | undefined {
  const first = rounds[0];
  if (!first) return undefined;
  const combined: Figures = { n: first.n };
  for (const name of FIGURE_NAMES) {
    const values = rounds.map((figures) => figures[name]).filter((value): value is number => value !== undefined);
    if (values.length > 0) combined[name] = median(values);
  }
  return combined;
}

/** "perSec 80,171 · 73,720 · 61,002": each round's value of the figures that vary, for the log. */
export function describeRounds(rounds: readonly Figures[]): string {
  return FIGURE_NAMES.filter((name) => rounds.some((figures) => figures[name] !== undefined))
    .map((name) => `${name} ${rounds.map((figures) => format(figures[name])).join(' · ')}`)
    .join('; ');
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
