import { escXml } from '../escape.ts';
import { colorOf, svgOpen, svgTitle, swatch } from './svg.ts';

export interface BarRow {
  readonly label: string;
  readonly parts: readonly { readonly name: string; readonly value: number }[];
}

/**
 * Horizontal stacked bars (e.g. operations per difference class, one bar per candidate).
 * `colours` gives a part a fixed colour by name (a class keeps its colour whichever
 * classes are present); parts without one take the palette's by position.
 */
export function stackedBarChart(title: string, rows: readonly BarRow[], names: readonly string[], width = 520, colours: Readonly<Record<string, string>> = {}): string {
  const colour = (name: string): string => colours[name] ?? colorOf(names.indexOf(name));
  const m = { l: 110, r: 12, t: 26 };
  const barH = 20;
  const legendRows = Math.ceil(names.length / 4);
  const height = m.t + rows.length * (barH + 8) + 10 + legendRows * 16;
  const w = width - m.l - m.r;
  const out: string[] = [];
  out.push(svgOpen(title, width, height));
  out.push(svgTitle(4, title));
  rows.forEach((r, i) => {
    const total = r.parts.reduce((n, p) => n + p.value, 0) || 1;
    const yy = m.t + i * (barH + 8);
    out.push(`<text x="${m.l - 6}" y="${yy + 14}" font-size="11" text-anchor="end">${escXml(r.label)}</text>`);
    let xx = m.l;
    for (const p of r.parts) {
      if (p.value <= 0) continue;
      const pw = (p.value / total) * w;
      out.push(`<rect x="${xx.toFixed(1)}" y="${yy}" width="${pw.toFixed(1)}" height="${barH}" fill="${colour(p.name)}"><title>${escXml(`${p.name}: ${p.value}`)}</title></rect>`);
      xx += pw;
    }
  });
  names.forEach((n, i) => {
    out.push(swatch(4 + (i % 4) * 128, m.t + rows.length * (barH + 8) + 6 + Math.floor(i / 4) * 16, colour(n), n));
  });
  out.push('</svg>');
  return out.join('');
}
