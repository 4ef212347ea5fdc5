/** The Classify section's plotly charts (lazy: plotly is loaded with the Distribution section). */
import { useMemo } from 'react';
import { PlotlyChart } from '../../charts/PlotlyChart.tsx';
import { baseLayout, logCountAxis, type Figure } from '../../charts/figures.ts';
import type { CountRecallPoint } from '../../core/learn/evaluate.ts';
import type { TauPoint } from '../../core/learn/tauSweep.ts';

const layoutBase = { ...baseLayout, height: 320 };

export function lossFigure(losses: number[]): Figure {
  return {
    data: [{ type: 'scatter', mode: 'lines+markers', x: losses.map((_, i) => i + 1), y: losses, name: 'loss', hovertemplate: 'iteration %{x}: %{y:.4f}<extra></extra>' }],
    layout: { ...layoutBase, title: { text: 'Probe training loss (final fit)' }, xaxis: { title: { text: 'iteration' } }, yaxis: { title: { text: 'objective (cross-entropy + weight decay)' } } },
  };
}

/** NaN (a band with no validated class) becomes a gap, not a zero. */
const gap = (v: number) => (Number.isFinite(v) ? v : null);

export function sweepFigure(points: TauPoint[], tau: number): Figure {
  const x = points.map((p) => p.tau);
  const line = (name: string, y: (p: TauPoint) => number, dash?: string) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name,
    x,
    y: points.map((p) => gap(y(p))),
    line: dash ? { dash } : undefined,
    hovertemplate: `${name} at τ=%{x}: %{y:.3f}<extra></extra>`,
  });
  return {
    data: [
      line('top-1', (p) => p.top1),
      line('macro-F1', (p) => p.macroF1),
      line('balanced acc.', (p) => p.balancedAccuracy),
      line('many', (p) => p.bandAccuracy.many, 'dot'),
      line('medium', (p) => p.bandAccuracy.medium, 'dot'),
      line('few', (p) => p.bandAccuracy.few, 'dot'),
    ],
    layout: {
      ...layoutBase,
      height: 360,
      title: { text: 'Validated metrics against τ (logit adjustment)' },
      xaxis: { title: { text: 'τ' } },
      yaxis: { title: { text: 'fraction' }, range: [0, 1.02] },
      shapes: [{ type: 'line', x0: tau, x1: tau, yref: 'paper', y0: 0, y1: 1, line: { color: '#888', dash: 'dash' } }],
    },
  };
}

export function recallScatterFigure(byCount: CountRecallPoint[]): Figure {
  const maxClasses = Math.max(1, ...byCount.map((p) => p.classes));
  return {
    data: [
      {
        type: 'scatter',
        mode: 'markers',
        x: byCount.map((p) => p.trainCount),
        y: byCount.map((p) => p.meanRecall),
        customdata: byCount.map((p) => p.classes),
        marker: { size: byCount.map((p) => 5 + 15 * Math.sqrt(p.classes / maxClasses)), color: '#2f6f4f', opacity: 0.7 },
        hovertemplate: '%{customdata} classes with %{x} train images: mean recall %{y:.3f}<extra></extra>',
      },
    ],
    layout: {
      ...layoutBase,
      title: { text: 'Validated recall against train images per class' },
      xaxis: logCountAxis(Math.max(1, ...byCount.map((p) => p.trainCount)), 'train images of the class (log)'),
      yaxis: { title: { text: 'recall (mean over classes of that size)' }, range: [-0.02, 1.02] },
    },
  };
}

export default function ClassifyCharts(props: { losses: number[]; sweep: TauPoint[] | null; tau: number; byCount: CountRecallPoint[] | null }) {
  const loss = useMemo(() => (props.losses.length ? lossFigure(props.losses) : null), [props.losses]);
  const sweep = useMemo(() => (props.sweep ? sweepFigure(props.sweep, props.tau) : null), [props.sweep, props.tau]);
  const scatter = useMemo(() => (props.byCount?.length ? recallScatterFigure(props.byCount) : null), [props.byCount]);
  return (
    <div className="chart-row">
      {loss && <PlotlyChart testId="chart-probe-loss" figure={loss} />}
      {sweep && <PlotlyChart testId="chart-tau-sweep" figure={sweep} />}
      {scatter && <PlotlyChart testId="chart-recall-vs-count" figure={scatter} />}
    </div>
  );
}
