/**
 * Small hand-written SVG charts for the HTML report: pure, synchronous, no script and
 * no external reference, so the report renders offline in any browser. (The
 * contention scaling curves reuse charts/line-chart.ts.)
 */
export const PALETTE = Object.freeze(['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f']);

export function escXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

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
  out.push(`<svg class="chart" role="img" aria-label="${escXml(title)}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  out.push(`<text x="${m.l}" y="16" font-size="13" font-weight="bold">${escXml(title)}</text>`);
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
    const color = PALETTE[i % PALETTE.length]!;
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.us).toFixed(1)},${y(p.p).toFixed(1)}`).join('');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const lx = m.l + i * 130;
    out.push(`<rect x="${lx}" y="${height - 14}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${height - 5}" font-size="11">${escXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

export interface BarRow {
  readonly label: string;
  readonly parts: readonly { readonly name: string; readonly value: number }[];
}

/** Horizontal stacked bars (e.g. operations per difference class, one bar per candidate). */
export function stackedBarChart(title: string, rows: readonly BarRow[], names: readonly string[], width = 520): string {
  const m = { l: 110, r: 12, t: 26 };
  const barH = 20;
  const legendRows = Math.ceil(names.length / 4);
  const height = m.t + rows.length * (barH + 8) + 10 + legendRows * 16;
  const w = width - m.l - m.r;
  const out: string[] = [];
  out.push(`<svg class="chart" role="img" aria-label="${escXml(title)}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  out.push(`<text x="4" y="16" font-size="13" font-weight="bold">${escXml(title)}</text>`);
  rows.forEach((r, i) => {
    const total = r.parts.reduce((n, p) => n + p.value, 0) || 1;
    const yy = m.t + i * (barH + 8);
    out.push(`<text x="${m.l - 6}" y="${yy + 14}" font-size="11" text-anchor="end">${escXml(r.label)}</text>`);
    let xx = m.l;
    for (const p of r.parts) {
      if (p.value <= 0) continue;
      const pw = (p.value / total) * w;
      const color = PALETTE[names.indexOf(p.name) % PALETTE.length]!;
      out.push(`<rect x="${xx.toFixed(1)}" y="${yy}" width="${pw.toFixed(1)}" height="${barH}" fill="${color}"><title>${escXml(`${p.name}: ${p.value}`)}</title></rect>`);
      xx += pw;
    }
  });
  names.forEach((n, i) => {
    const lx = 4 + (i % 4) * 128;
    const ly = m.t + rows.length * (barH + 8) + 6 + Math.floor(i / 4) * 16;
    out.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]!}"/><text x="${lx + 14}" y="${ly + 9}" font-size="11">${escXml(n)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

export function fmtMs(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${+(us / 1000).toPrecision(3)} ms`;
  return `${+(us / 1_000_000).toPrecision(3)} s`;
}
