// The progress bar's time left: expected seconds of the rounds to come, at the pace measured so far.
import { describe, expect, it } from 'vitest';
import { estimate, formatDuration, type Pace } from '../../bench/progress.js';

const START: Pace = { totalWeight: 100, doneWeight: 0, doneMs: 0, currentWeight: 10, currentMs: 0, initialMsPerWeight: 1_000 };

describe('estimate', () => {
  it('takes the hints at face value before any round has finished', () => {
    expect(estimate(START)).toEqual({ doneWeight: 0, leftMs: 100_000 });
  });

  it('scales the rounds to come by the pace of those finished', () => {
    // 20 expected seconds took 10 s: the machine runs at twice the hints' pace.
    expect(estimate({ ...START, doneWeight: 20, doneMs: 10_000, currentMs: 2_000 })).toEqual({ doneWeight: 24, leftMs: 38_000 });
  });

  it('never counts a round that overruns its hint as finished', () => {
    const { doneWeight, leftMs } = estimate({ ...START, doneWeight: 90, doneMs: 90_000, currentMs: 60_000 });
    expect(doneWeight).toBeCloseTo(99.5);
    expect(leftMs).toBeCloseTo(500);
  });
});

describe('formatDuration', () => {
  it('writes seconds, then minutes and seconds', () => {
    expect(formatDuration(41_600)).toBe('42s');
    expect(formatDuration(185_000)).toBe('3m 05s');
  });
});
