// The latency–throughput curve as an SVG (docs/benchmarks-curve.svg): a Vega-Lite spec compiled to
// Vega and rendered by Vega's headless View in Node, so no browser or canvas is needed; text is
// measured by Vega's estimate, and the file is plain SVG that GitHub and the docs show as an image.
import { writeFileSync } from 'node:fs';
import { View, parse } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CurvePoint } from './scenario.js';

/** p50 and p99 of every point, as the chart's rows. */
function rows(points: readonly CurvePoint[]) {
  return points.flatMap((point) => [
    { system: point.system, inflight: point.inflight, perSec: point.perSec, percentile: 'p50', ms: point.p50Ms },
    { system: point.system, inflight: point.inflight, perSec: point.perSec, percentile: 'p99', ms: point.p99Ms },
  ]);
}

/** Dashes in grey: the dashes, not the systems' colours, tell p50 from p99. */
const PERCENTILE_LEGEND = { symbolType: 'stroke', symbolStrokeWidth: 2, encode: { symbols: { update: { stroke: { value: '#555' } } } } } as const;

/** The chart's Vega-Lite spec: rate across, latency up (both log), a line per system and percentile. */
export function curveSpec(points: readonly CurvePoint[], caption: string): TopLevelSpec {
  const x = { field: 'perSec', type: 'quantitative', scale: { type: 'log' }, title: 'commands handled per second (log)' } as const;
  const y = { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency, ms (log)' } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Latency against throughput, 1 to 1,000 commands in flight', subtitle: caption },
    width: 560,
    height: 340,
    data: { values: rows(points) },
    encoding: { x, y, color: { field: 'system', type: 'nominal', title: 'system' } },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: {
          strokeDash: { field: 'percentile', type: 'nominal', title: 'percentile', legend: PERCENTILE_LEGEND },
          order: { field: 'inflight', type: 'quantitative' },
          detail: { field: 'percentile', type: 'nominal' },
        },
      },
      {
        // Each p99 point is labelled with its in-flight level: the curve's parameter.
        transform: [{ filter: "datum.percentile === 'p99'" }],
        mark: { type: 'text', dy: -9, fontSize: 10 },
        encoding: { text: { field: 'inflight', type: 'quantitative' } },
      },
    ],
  };
}

/** The chart as SVG text. */
export async function renderCurveSvg(points: readonly CurvePoint[], caption: string): Promise<string> {
  const view = new View(parse(compile(curveSpec(points, caption)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders the chart and writes it to `file`. */
export async function writeCurveSvg(file: string, points: readonly CurvePoint[], caption: string): Promise<void> {
  writeFileSync(file, `${await renderCurveSvg(points, caption)}\n`);
}
