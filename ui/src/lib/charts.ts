// Bar charts with ECharts, loaded with the screen that draws one: members who never open
// such a screen never pay for the charting library.

/** What a screen does with a chart. */
export interface Chart {
  setOption: (o: object) => void;
  dispose: () => void;
}

/**
 * A bar chart drawn as SVG into `el`; null when it cannot be drawn (an old webview
 * without SVG support, say): the figures beside it stand without it.
 */
export async function barChart(el: HTMLElement): Promise<Chart | null> {
  try {
    const echarts = await import('echarts/core');
    const { BarChart } = await import('echarts/charts');
    const { GridComponent, LegendComponent, TooltipComponent } = await import('echarts/components');
    const { SVGRenderer } = await import('echarts/renderers');
    echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);
    return echarts.init(el, undefined, { renderer: 'svg' });
  } catch (e) {
    console.warn('chart not drawn', e);
    return null;
  }
}
