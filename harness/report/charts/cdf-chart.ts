import { escXml } from '../escape.ts';
import { fmtMs } from '../format.ts';
import { colorOf, svgOpen, svgTitle, swatch } from './svg.ts';

export interface CdfSeries {
  readonly name: string;
  /** Percentile (0–100) against latency in µs. */
  readonly points: readonly { readonly p: number; readonly us: number }[];
}

/** Latency CDF: x = latency (log scale, ms), y = percentile; one line per target. */
export function cdfChart(title: string, series: readonly CdfSeries[], width = 520, height = 240): string {
  const m = { l: 48, r: 12, t: 26, b: 52 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const all = series.flatMap((s) => s.points.map((p) => Math.max(1, p.us)));
  const lo = Math.log10(Math.max(1, Math.min(...all, 1e9)));
  const hi = Math.max(lo + 0.5, Math.log10(Math.max(...all, 10)));
  const x = (us: number): number => m.l + ((Math.log10(Math.max(1, us)) - lo) / (hi - lo)) * w;
  const y = (p: number): number => m.t + h - (p / 100) * h;
  const out: string[] = [];
  out.push(svgOpen(title, width, height));
  out.push(svgTitle(m.l, title));
  out.push(`<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`);
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
    const xx = x(10 ** e);
    out.push(`<line x1="${xx.toFixed(1)}" y1="${m.t}" x2="${xx.toFixed(1)}" y2="${m.t + h}" stroke="#eee"/>`);
    out.push(`<text x="${xx.toFixed(1)}" y="${m.t + h + 14}" font-size="10" text-anchor="middle">${escXml(fmtMs(10 ** e))}</text>`);
  }
  for (const p of [0, 50, 90, 99]) {
    out.push(`<text x="${m.l - 4}" y="${(y(p) + 3).toFixed(1)}" font-size="10" text-anchor="end">p${p}</text>`);
  }
  out.push(`<text x="${m.l + w / 2}" y="${m.t + h + 28}" font-size="11" text-anchor="middle">latency (log scale)</text>`);
  series.forEach((s, i) => {
    const color = colorOf(i);
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.us).toFixed(1)},${y(p.p).toFixed(1)}`).join('');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    out.push(swatch(m.l + i * 130, height - 14, color, s.name));
  });
  out.push('</svg>');
  return out.join('');
}
