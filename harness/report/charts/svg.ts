import { escXml } from '../escape.ts';

/**
 * What every chart of the report shares. Charts are hand-written SVG strings: pure,
 * synchronous, no script and no external reference, so a report opens offline in
 * any browser and a chart costs no dependency.
 */
export const PALETTE = Object.freeze(['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f']);

/** The opening tag: CSS may scale it down (viewBox), a screen reader reads its title. */
export function svgOpen(title: string, width: number, height: number): string {
  return `<svg class="chart" role="img" aria-label="${escXml(title)}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`;
}

export function svgTitle(x: number, title: string): string {
  return `<text x="${x}" y="16" font-size="13" font-weight="bold">${escXml(title)}</text>`;
}

/** A legend entry: a colour square with its name on the right. */
export function swatch(x: number, y: number, color: string, name: string): string {
  return `<rect x="${x}" y="${y}" width="10" height="10" fill="${color}"/><text x="${x + 14}" y="${y + 9}" font-size="11">${escXml(name)}</text>`;
}

export function colorOf(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}
