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
function scheduleDraw(draw: () => void) {
  drawQueue.push(draw);
  if (drawQueue.length === 1) setTimeout(drainOne);
}
function drainOne() {
  drawQueue.shift()?.();
  if (drawQueue.length) setTimeout(drainOne);
}

/**
 * Draws one small plot of every trace type the charts use, off screen, and throws it away: the
 * first draw of each type pays for setting plotly up (styles, text measuring, compiled code), and
 * a page that is loading a dataset has the main thread to spare for that before the charts.
 */
export function warmUpPlotly(): void {
  if (warmedUp) return;
  warmedUp = true;
  scheduleDraw(() => {
    const div = document.createElement('div');
    div.style.cssText = 'position:fixed;left:-10000px;top:0;width:480px;height:320px;visibility:hidden';
    document.body.append(div);
    const x = ['a', 'b', 'c'];
    void Plotly.newPlot(
      div,
      [
        { type: 'scatter', mode: 'lines+markers', x: [1, 2, 3], y: [3, 2, 1] },
        { type: 'bar', x, y: [1, 2, 3] },
        { type: 'histogram', x: [1, 2, 2, 3], xaxis: 'x2', yaxis: 'y2' },
        { type: 'box', x, q1: [1, 1, 1], median: [2, 2, 2], q3: [3, 3, 3], lowerfence: [0, 0, 0], upperfence: [4, 4, 4], xaxis: 'x2', yaxis: 'y2' },
      ],
      { width: 480, height: 320, xaxis2: { anchor: 'y2' }, yaxis2: { anchor: 'x2', type: 'log' } },
    ).then(() =>
      Plotly.react(div, [{ type: 'treemap', ids: ['r', 'a'], labels: ['r', 'a'], parents: ['', 'r'], values: [1, 1], branchvalues: 'total' }], { width: 480, height: 320 }),
    ).finally(() => {
      Plotly.purge(div);
      div.remove();
    });
  });
}
let warmedUp = false;

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
    return () => Plotly.purge(div);
  }, []);

  return <div ref={ref} className="chart" data-testid={testId} />;
}
