// The latency–throughput chart renders to SVG in Node, no browser: both systems, every level.
import { describe, expect, it } from 'vitest';
import { renderCurveSvg } from '../../bench/curve-chart.js';
import type { CurvePoint } from '../../bench/scenario.js';

const POINTS: CurvePoint[] = [1, 64, 1_000].flatMap((inflight) => [
  { system: 'rehydra', inflight, perSec: 1_000 * inflight ** 0.5, p50Ms: inflight / 10, p99Ms: inflight / 2 },
  { system: 'emmett (in-memory)', inflight, perSec: 20_000 / inflight ** 0.2, p50Ms: inflight / 20, p99Ms: inflight },
]);

describe('renderCurveSvg', () => {
  it('draws both systems, labels every in-flight level and carries the caption', async () => {
    const svg = await renderCurveSvg(POINTS, 'commit abc1234, 2 cores');
    expect(svg.startsWith('<svg')).toBe(true);
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]);
    expect(texts).toEqual(expect.arrayContaining(['rehydra', 'emmett (in-memory)', 'p50', 'p99', '1', '64', '1000', 'commit abc1234, 2 cores']));
  });
});
