import { useEffect, useRef } from 'react';
import Plotly from './plotly.ts';
import type { Figure } from './figures.ts';

export interface PlotlyPoint {
  customdata?: unknown;
  id?: string;
  curveNumber: number;
  pointNumber: number;
  x?: unknown;
}

interface PlotlyChartProps {
  figure: Figure;
  testId: string;
  onPointClick?(point: PlotlyPoint): void;
}

type PlotlyDiv = HTMLDivElement & {
  on?(event: string, handler: (e: { points: PlotlyPoint[] }) => void): void;
  removeAllListeners?(event: string): void;
};

/**
 * Draws run one per task, in the order charts asked, so that seven charts of a 15,501-class
 * dataset appear one after another instead of freezing the page for a second together.
 */
const drawQueue: (() => void)[] = [];
let chartsAsked = false;
function scheduleDraw(draw: () => void) {
  chartsAsked = true;
  drawQueue.push(draw);
  if (drawQueue.length === 1) setTimeout(drainOne);
}
function drainOne() {
  drawQueue.shift()?.();
  if (drawQueue.length) setTimeout(drainOne);
}

/**
 * Draws one small plot of each trace type the charts use, off screen, and throws it away: the
 * first draw of each type pays for setting plotly up (styles, text measuring, compiled code),
 * 100–300 ms that would otherwise delay the first charts. One step per task, and only while
 * `isIdle()` says nothing else needs the main thread (a load in progress stretches every task on
 * a busy CPU, and the load's own main-thread work must stay short). Once a chart has been asked
 * for, the warm-up stops: real draws warm plotly up just as well.
 */
export function warmUpPlotly(isIdle: () => boolean): void {
  const x = ['a', 'b', 'c'];
  const steps: { data: Plotly.Data[]; layout?: Partial<Plotly.Layout> }[] = [
    // An empty plot first: plotly's one-time set-up (styles, axes, text measuring) on its own.
    { data: [] },
    { data: [{ type: 'scatter', mode: 'lines+markers', x: [1, 2, 3], y: [3, 2, 1] }], layout: { yaxis: { type: 'log' } } },
    { data: [{ type: 'bar', x, y: [1, 2, 3] }] },
    { data: [{ type: 'histogram', x: [1, 2, 2, 3] }] },
    { data: [{ type: 'box', x, q1: [1, 1, 1], median: [2, 2, 2], q3: [3, 3, 3], lowerfence: [0, 0, 0], upperfence: [4, 4, 4] }] },
    { data: [{ type: 'treemap', ids: ['r', 'a'], labels: ['r', 'a'], parents: ['', 'r'], values: [1, 1], branchvalues: 'total' }] },
  ];
  const next = () => {
    if (chartsAsked) return;
    if (!isIdle()) {
      setTimeout(next, 250);
      return;
    }
    const step = steps.shift();
    if (!step) return;
    const div = document.createElement('div');
    div.style.cssText = 'position:fixed;left:-10000px;top:0;width:480px;height:320px;visibility:hidden';
    document.body.append(div);
    void Plotly.newPlot(div, step.data, { width: 480, height: 320, ...step.layout }).finally(() => {
      Plotly.purge(div);
      div.remove();
      setTimeout(next, 50);
    });
  };
  setTimeout(next);
}

/** The one place that talks to plotly: draws a figure, reports clicks, cleans up. */
export function PlotlyChart({ figure, testId, onPointClick }: PlotlyChartProps) {
  const ref = useRef<PlotlyDiv>(null);
  const clickRef = useRef(onPointClick);
  clickRef.current = onPointClick;

  useEffect(() => {
    const div = ref.current!;
    let cancelled = false;
    scheduleDraw(() => {
      if (cancelled) return;
      void Plotly.react(div, figure.data, figure.layout, {
        displaylogo: false,
        responsive: true,
        // The camera button saves a PNG of the chart.
        toImageButtonOptions: { format: 'png', filename: testId, scale: 2 },
      });
      // For people and benchmarks: when each chart was first drawn.
      if (!performance.getEntriesByName(`chart-drawn:${testId}`).length) performance.mark(`chart-drawn:${testId}`);
      div.removeAllListeners?.('plotly_click');
      div.on?.('plotly_click', (e) => {
        const point = e.points?.[0];
        if (point) clickRef.current?.(point);
      });
    });
    return () => {
      cancelled = true;
    };
  }, [figure, testId]);

  useEffect(() => {
    const div = ref.current!;
    // `responsive` follows the window only; a grid cell also narrows when a chart comes in
    // beside it (the τ sweep next to the recall chart), and the plot must narrow with it.
    let width = -1;
    let frame = 0;
    const observer = new ResizeObserver(([entry]) => {
      const w = Math.round(entry.contentRect.width);
      if (w === width) return;
      const first = width < 0;
      width = w;
      if (first) return;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        if ((div as { _fullLayout?: unknown })._fullLayout) Plotly.Plots.resize(div);
      });
    });
    observer.observe(div);
    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame);
      Plotly.purge(div);
    };
  }, []);

  // Plotly's SVG has no accessible name: the chart is named by its title, and says where its numbers are.
  const title = (figure.layout.title as { text?: string } | undefined)?.text ?? testId;
  const label = `Chart: ${title.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()}. The numbers behind it are in this section's CSV download.`;
  return <div ref={ref} className="chart" data-testid={testId} role="figure" aria-label={label} />;
}
