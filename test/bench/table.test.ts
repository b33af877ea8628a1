// The table a person reads after a run: values with their spread, bounds with the ratio they are
// judged on and a verdict, and the count of targets met.
import { describe, expect, it } from 'vitest';
import type { Spread } from '../../bench/rounds.js';
import { figureOf, type Figures, type Scenario } from '../../bench/scenario.js';
import { formatTable, formatValue, summarizeTargets } from '../../bench/table.js';

const run = async (): Promise<Figures> => ({ n: 1 });

const SCENARIOS: readonly Scenario[] = [
  { key: 'raw.lmdb.put', title: 'raw puts', figures: { perSec: { label: 'perSec (storage limit)' } }, run },
  {
    key: 'commands.10k',
    title: 'commands',
    figures: {
      perSec: {
        peer: figureOf('peer.emmett.memory', 'perSec'),
        targets: [{ op: '>=', value: 0.5, of: figureOf('raw.lmdb.put', 'perSec') }, { op: '>=', value: 10, of: figureOf('peer.emmett.memory', 'perSec') }],
      },
      p99Ms: { targets: [{ op: '<=', value: 5 }] },
      diskBytesPerEvent: { targets: [{ op: '<=', value: 2_500 }] },
    },
    run,
  },
  { key: 'commands.async', title: 'async', figures: { perSec: { against: figureOf('raw.lmdb.put', 'perSec') } }, run },
  { key: 'curve.inflight', title: 'curve', run },
];

const RESULTS = new Map<string, Figures>([
  ['raw.lmdb.put', { perSec: 200_000, n: 100 }],
  ['commands.10k', { perSec: 66_346.4, p99Ms: 4.06, diskBytesPerEvent: 3_100, n: 100 }],
  ['commands.async', { perSec: 50_000, n: 100 }],
  ['curve.inflight', { n: 10, curve: [{ system: 'rehydra', inflight: 64, perSec: 40_377, p50Ms: 0.774, p99Ms: 4.06 }] }],
]);

const SPREADS = new Map<string, Spread>([['commands.10k', { perSec: 0.041, p99Ms: 0.25 }]]);

describe('formatTable', () => {
  const table = formatTable(SCENARIOS, RESULTS, SPREADS);
  const lines = table.split('\n');

  it('shows each scenario, then its figures with value ± spread, each bound with its ratio and verdict', () => {
    const rows = lines.slice(2).map((line) => line.split(/ {2,}/).map((cell) => cell.trim()));
    expect(rows).toEqual([
      ['raw.lmdb.put'],
      ['', 'perSec (storage limit)', '200,000/s'],
      ['commands.10k'],
      ['', 'perSec', '66,346/s ± 4.1%', '≥ 0.5× raw.lmdb.put: 0.33×', '✗'],
      ['', '≥ 10× peer.emmett.memory: not measured', '—'],
      ['', 'p99Ms', '4.06 ms ± 25%', '≤ 5.00 ms', '✓'],
      ['', 'diskBytesPerEvent', '3,100 B', '≤ 2,500 B', '✗'],
      ['commands.async'],
      ['', 'perSec', '50,000/s', '(0.25× raw.lmdb.put)'],
      ['curve.inflight'],
      ['', 'rehydra, 64 in flight', '40,377/s, p99 4.06 ms'],
    ]);
  });

  it('stays narrow and aligns the verdicts in one column', () => {
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(100);
    const verdictColumns = new Set(lines.filter((line) => /[✓✗—]$/.test(line)).map((line) => line.length));
    expect(verdictColumns.size).toBe(1);
  });
});

describe('summarizeTargets', () => {
  it('counts the targets met, and those that could not be judged', () => {
    expect(summarizeTargets(SCENARIOS, RESULTS)).toBe('1 of 4 targets met (1 not judged: what they are relative to was not measured)');
  });

  it('says so when no scenario run has a target', () => {
    expect(summarizeTargets(SCENARIOS.slice(0, 1), RESULTS)).toBe('no targets among the scenarios run');
  });
});

describe('formatValue', () => {
  it('writes each figure in its unit', () => {
    expect(formatValue('perSec', 1_988_852.4)).toBe('1,988,852/s');
    expect(formatValue('bytes', 4_075)).toBe('4,075 B');
    expect(formatValue('p50Ms', 0.000201)).toBe('0.201 µs');
    expect(formatValue('p99Ms', 26.64)).toBe('26.6 ms');
    expect(formatValue('restartOverdueMs', 1_783.4)).toBe('1,783 ms');
  });
});
