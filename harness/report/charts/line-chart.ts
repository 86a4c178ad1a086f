/**
 * Static, self-contained SVG line charts (one line per series), for any report that
 * needs them. Pure in effect: spec in, SVG text out. vega-lite compiles the spec and
 * vega renders it headless (`renderer: 'none'` + `toSVG()`), so no browser, canvas or
 * network is involved and the SVG embeds directly in Markdown-adjacent HTML.
 */
export interface LineSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

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
  /** Log base 2 suits worker counts 1, 2, 4 … 128. */
  readonly xScale?: 'linear' | 'log2';
  readonly markers?: readonly Marker[];
  readonly width?: number;
  readonly height?: number;
}

export async function renderLineChart(spec: LineChartSpec): Promise<string> {
  // Lazy: vega is large and only reports need it.
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const values = spec.series.flatMap((s) => s.points.map((p) => ({ series: s.name, x: p.x, y: p.y })));
  const xScale = spec.xScale === 'log2' ? { type: 'log', base: 2 } : { type: 'linear' };
  const xs = [...new Set(values.map((v) => v.x))].sort((a, b) => a - b);
  const color = { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } };
  const layers: unknown[] = [
    {
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: spec.xLabel, scale: xScale, axis: { values: xs, format: 'd' } },
        y: { field: 'y', type: 'quantitative', title: spec.yLabel },
        color,
      },
    },
  ];
  if (spec.markers && spec.markers.length > 0) {
    const markerData = { values: spec.markers.map((m) => ({ series: m.series, x: m.x, y: m.y, label: m.label })) };
    layers.push(
      { data: markerData, mark: { type: 'point', shape: 'diamond', size: 160, filled: true }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color } },
      { data: markerData, mark: { type: 'text', dy: -12, fontSize: 11 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' }, color } },
    );
  }
  const lite = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: spec.title,
    width: spec.width ?? 520,
    height: spec.height ?? 260,
    background: 'white',
    data: { values },
    layer: layers,
  };
  const compiled = vegaLite.compile(lite as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
