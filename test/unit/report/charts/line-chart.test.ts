import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { lineChart, tickStep, type LineChartSpec } from '../../../../harness/report/charts/line-chart.ts';
import { PALETTE } from '../../../../harness/report/charts/svg.ts';

const spec = (over: Partial<LineChartSpec> = {}): LineChartSpec => ({
  title: 'Throughput',
  xLabel: 'workers',
  yLabel: 'ops/s',
  xScale: 'log2',
  series: [
    { name: 'a', points: [{ x: 1, y: 100 }, { x: 2, y: 180 }, { x: 4, y: 300 }, { x: 8, y: 290 }] },
    { name: 'b', points: [{ x: 1, y: 90 }, { x: 2, y: 160 }, { x: 4, y: 200 }, { x: 8, y: 410 }] },
  ],
  ...over,
});

/** The dots of one colour, as [cx, cy]. */
function dots(svg: string, color: string): [number, number][] {
  return [...svg.matchAll(new RegExp(`<circle cx="([\\d.]+)" cy="([\\d.]+)" r="3" fill="${color}">`, 'g'))].map((m) => [Number(m[1]), Number(m[2])]);
}

describe('lineChart', () => {
  it('spaces 1, 2, 4, 8 evenly on the log2 scale and ticks only those x values', () => {
    const svg = lineChart(spec());
    const xs = dots(svg, PALETTE[0]!).map(([x]) => x);
    const gaps = xs.slice(1).map((x, i) => x - xs[i]!);
    for (const g of gaps) expect(g).toBeCloseTo(gaps[0]!, 0);
    const xTicks = [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" font-size="10" text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(xTicks).toEqual(['1', '2', '4', '8']);
    expect(svg).toContain('workers (log scale)');
  });

  it('spaces by value on the linear scale', () => {
    const xs = dots(lineChart(spec({ xScale: 'linear' })), PALETTE[0]!).map(([x]) => x);
    expect((xs[3]! - xs[2]!) / (xs[1]! - xs[0]!)).toBeCloseTo(4, 1);
  });

  it('starts the y axis at 0 and ends it on a round tick at or above the highest point', () => {
    const svg = lineChart(spec());
    const yTicks = [...svg.matchAll(/text-anchor="end">([^<]*)<\/text>/g)].map((m) => Number(m[1]!.replace(/,/g, '')));
    expect(yTicks[0]).toBe(0);
    expect(yTicks.at(-1)).toBeGreaterThanOrEqual(410);
    expect(yTicks).toEqual([0, 100, 200, 300, 400, 500]);
    // A higher y is drawn higher up (smaller cy).
    const b = dots(svg, PALETTE[1]!);
    expect(b[3]![1]).toBeLessThan(b[0]![1]);
  });

  it('draws a marker in its series colour with its label', () => {
    const svg = lineChart(spec({ markers: [{ series: 'a', x: 4, y: 300, label: 'knee 4' }] }));
    expect(svg).toMatch(new RegExp(`<path d="M[^"]+Z" fill="${PALETTE[0]}"/><text [^>]+ fill="${PALETTE[0]}">knee 4</text>`));
  });

  it('escapes titles, labels, series names and markers', () => {
    const evil = '<b>"x"&\'';
    const svg = lineChart(spec({ title: evil, xLabel: evil, yLabel: evil, series: [{ name: evil, points: [{ x: 1, y: 1 }] }], markers: [{ series: evil, x: 1, y: 1, label: evil }] }));
    expect(svg).not.toContain('<b>');
    expect(svg).not.toMatch(/"x"/);
    expect(svg).toContain('&#60;b&#62;&#34;x&#34;&#38;&#39;');
  });

  it('leaves out points it cannot place instead of writing NaN', () => {
    const svg = lineChart(spec({ series: [{ name: 'a', points: [{ x: 0, y: 5 }, { x: 2, y: Number.NaN }, { x: 4, y: 7 }, { x: 8, y: Infinity }] }] }));
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(dots(svg, PALETTE[0]!)).toHaveLength(1);
  });

  it('centres a single x value and draws an empty chart without failing', () => {
    const one = lineChart(spec({ width: 500, series: [{ name: 'a', points: [{ x: 4, y: 10 }] }] }));
    const [[cx]] = dots(one, PALETTE[0]!) as [[number, number]];
    expect(cx).toBeCloseTo(60 + (500 - 60 - 16) / 2, 0);
    const empty = lineChart(spec({ series: [] }));
    expect(empty).toMatch(/^<svg class="chart"[^>]*>.*<\/svg>$/s);
    expect(empty).not.toMatch(/NaN|Infinity/);
  });
});

describe('tickStep', () => {
  test.prop([fc.double({ min: 1e-6, max: 1e12, noNaN: true })])('reaches any positive maximum in three to five round steps', (max) => {
    const step = tickStep(max);
    const ticks = Math.ceil(max / step - 1e-9);
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(ticks).toBeLessThanOrEqual(5);
    const mantissa = Number((step / 10 ** Math.floor(Math.log10(step))).toPrecision(6));
    expect([1, 2, 2.5, 5]).toContain(mantissa);
  });

  it('uses 1 when there is nothing above 0', () => {
    expect(tickStep(0)).toBe(1);
    expect(tickStep(-3)).toBe(1);
  });
});
