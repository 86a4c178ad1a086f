import { escXml } from '../escape.ts';
import { colorOf, svgOpen, svgTitle, swatch } from './svg.ts';

export interface LineSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** A labelled point on a series, e.g. the knee of a scaling curve. */
export interface Marker {
  readonly series: string;
  readonly x: number;
  readonly y: number;
  readonly label: string;
}

export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  /** Log base 2 spaces worker counts 1, 2, 4 … 128 evenly. */
  readonly xScale?: 'linear' | 'log2';
  readonly markers?: readonly Marker[];
  readonly width?: number;
  readonly height?: number;
}

/** Legend entries per row, and the width each takes. */
const LEGEND_COLUMNS = 4;
const LEGEND_STEP = 130;
/** Space between the frame and the first and last x value, so end dots and markers stay inside. */
const X_INSET = 14;

/**
 * Lines through dots, one colour per series, over a y axis that starts at 0 (so a
 * flat curve looks flat). The x axis is ticked at the measured x values only, the
 * worker counts of a sweep, so no tick suggests a step that was not run. Each dot
 * carries its figures in a <title>, which browsers show on hover without a script.
 * Points that cannot be placed (not finite; x ≤ 0 on the log scale) are left out.
 */
export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 520;
  const height = spec.height ?? 280;
  const log = spec.xScale === 'log2';
  const series = spec.series.map((s) => ({ name: s.name, points: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!log || p.x > 0)) }));
  const legendRows = Math.ceil(series.length / LEGEND_COLUMNS);
  const m = { l: 60, r: 16, t: 30, b: 42 + legendRows * 16 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;

  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const fx = (v: number): number => (log ? Math.log2(v) : v);
  const lo = xs.length ? fx(xs[0]!) : 0;
  const hi = xs.length ? fx(xs[xs.length - 1]!) : 0;
  const x = (v: number): number => (hi > lo ? m.l + X_INSET + ((fx(v) - lo) / (hi - lo)) * (w - 2 * X_INSET) : m.l + w / 2);
  const maxY = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.y)));
  const step = tickStep(maxY);
  // The tolerance keeps float error (5.000000000000001 steps) from adding an empty tick.
  const ticks = Math.max(1, Math.ceil(maxY / step - 1e-9));
  const top = ticks * step;
  const y = (v: number): number => m.t + h - (v / top) * h;

  const out: string[] = [svgOpen(spec.title, width, height), svgTitle(4, spec.title)];
  for (let i = 0; i <= ticks; i++) {
    const yy = y(i * step).toFixed(1);
    out.push(`<line x1="${m.l}" y1="${yy}" x2="${m.l + w}" y2="${yy}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 4}" y="${(Number(yy) + 3).toFixed(1)}" font-size="10" text-anchor="end">${fmtTick(i * step)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`);
  for (const v of xs) {
    const xx = x(v).toFixed(1);
    out.push(`<line x1="${xx}" y1="${m.t + h}" x2="${xx}" y2="${m.t + h + 4}" stroke="#999"/>`);
    out.push(`<text x="${xx}" y="${m.t + h + 15}" font-size="10" text-anchor="middle">${fmtTick(v)}</text>`);
  }
  out.push(`<text x="${m.l + w / 2}" y="${m.t + h + 30}" font-size="11" text-anchor="middle">${escXml(spec.xLabel)}${log ? ' (log scale)' : ''}</text>`);
  out.push(`<text transform="translate(14,${m.t + h / 2}) rotate(-90)" font-size="11" text-anchor="middle">${escXml(spec.yLabel)}</text>`);

  series.forEach((s, i) => {
    const color = colorOf(i);
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (pts.length > 1) out.push(`<path d="${pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join('')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of pts) {
      out.push(`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="${color}"><title>${escXml(`${s.name}: ${fmtValue(p.x)} ${spec.xLabel}, ${fmtValue(p.y)} ${spec.yLabel}`)}</title></circle>`);
    }
  });
  for (const mk of spec.markers ?? []) {
    if (!Number.isFinite(mk.x) || !Number.isFinite(mk.y) || (log && mk.x <= 0)) continue;
    const i = series.findIndex((s) => s.name === mk.series);
    const color = i < 0 ? '#222' : colorOf(i);
    const cx = x(mk.x);
    const cy = y(mk.y);
    out.push(`<path d="M${cx.toFixed(1)},${(cy - 7).toFixed(1)}L${(cx + 7).toFixed(1)},${cy.toFixed(1)}L${cx.toFixed(1)},${(cy + 7).toFixed(1)}L${(cx - 7).toFixed(1)},${cy.toFixed(1)}Z" fill="${color}"/>`);
    out.push(`<text x="${cx.toFixed(1)}" y="${(cy - 11).toFixed(1)}" font-size="11" text-anchor="middle" fill="${color}">${escXml(mk.label)}</text>`);
  }
  series.forEach((s, i) => {
    out.push(swatch(m.l + (i % LEGEND_COLUMNS) * LEGEND_STEP, m.t + h + 38 + Math.floor(i / LEGEND_COLUMNS) * 16, colorOf(i), s.name));
  });
  out.push('</svg>');
  return out.join('');
}

/** A round tick spacing (1, 2, 2.5 or 5 × 10^k) that reaches `max` in three to five ticks. */
export function tickStep(max: number): number {
  if (!(max > 0)) return 1;
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
}

function fmtValue(v: number): string {
  return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function fmtTick(v: number): string {
  // Rounded to 4 significant digits first: i × 0.1 is 0.30000000000000004 at i = 3.
  return Number(v.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 3 });
}
