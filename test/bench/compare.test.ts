// --compare: an earlier results file read and checked before the run, then old → new per figure.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/command-line.js';
import { formatComparison, readPreviousRun } from '../../bench/compare.js';
import type { Figures } from '../../bench/scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'rehydra-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const OLD = {
  date: '2026-11-30T05:10:00.000Z',
  node: 'v20.20.2',
  cpu: 'AMD EPYC × 2',
  commit: 'abb59c3',
  quick: false,
  scenarios: {
    'commands.10k': { perSec: 60_000, p99Ms: 20, n: 200_000, spread: { perSec: 0.05 } },
    'memory.actor': { bytes: 4_075, n: 10_000 },
    'curve.inflight': { n: 10, curve: [{ system: 'rehydra', inflight: 64, perSec: 40_000, p50Ms: 1, p99Ms: 4 }] },
  },
};

describe('readPreviousRun', () => {
  it('reads the header and the figures of a results file', () => {
    const previous = readPreviousRun(file('old.json', JSON.stringify(OLD)));
    expect(previous.commit).toBe('abb59c3');
    expect(previous.quick).toBe(false);
    expect(previous.scenarios.get('commands.10k')?.perSec).toBe(60_000);
  });

  it.each([
    ['missing.json', undefined, 'cannot be read (ENOENT)'],
    ['broken.json', '{"scenarios": ', 'is not JSON'],
    ['package.json', '{"name": "rehydra"}', 'with a "scenarios" object'],
  ])('rejects %s naming --compare', (name, text, fragment) => {
    const path = text === undefined ? join(dir, name) : file(name, text);
    expect(() => readPreviousRun(path)).toThrow(UsageError);
    expect(() => readPreviousRun(path)).toThrow(new RegExp(`^--compare expects a results file.*${fragment.replace(/[()]/g, '\\$&')}`));
  });
});

describe('formatComparison', () => {
  it('prints old → new and the change of every figure in both runs, curve points included', () => {
    const previous = readPreviousRun(file('old.json', JSON.stringify(OLD)));
    const current = new Map<string, Figures>([
      ['commands.10k', { perSec: 66_000, p99Ms: 25, n: 200_000 }],
      ['memory.actor', { bytes: 2_000, n: 10_000 }],
      ['curve.inflight', { n: 10, curve: [{ system: 'rehydra', inflight: 64, perSec: 40_000, p50Ms: 1, p99Ms: 3 }] }],
      ['commands.open', { perSec: 50_000, n: 10_000 }],
    ]);
    const rows = formatComparison(previous, current, true).split('\n').map((line) => line.split(/ {2,}/).map((cell) => cell.trim()));
    expect(rows).toEqual([
      [`change against ${join(dir, 'old.json')} (2026-11-30T05:10:00.000Z, commit abb59c3):`],
      ['commands.10k', 'perSec', '60,000/s → 66,000/s', '+10%', 'better'],
      ['commands.10k', 'p99Ms', '20.0 ms → 25.0 ms', '+25%', 'worse'],
      ['memory.actor', 'bytes', '4,075 B → 2,000 B', '-51%', 'better'],
      ['curve.inflight', 'rehydra, 64 in flight perSec', '40,000/s → 40,000/s', '+0.0%'],
      ['curve.inflight', 'rehydra, 64 in flight p50Ms', '1.00 ms → 1.00 ms', '+0.0%'],
      ['curve.inflight', 'rehydra, 64 in flight p99Ms', '4.00 ms → 3.00 ms', '-25%', 'better'],
      ['(sizes differ: the old run was a full-size run, this one a --quick run)'],
      ['(1 figure of this run not in the old file)'],
    ]);
  });
});
