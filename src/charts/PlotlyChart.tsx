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
