/**
 * One pure function per chart: plain arrays in, a plotly figure out. No store, no DOM; every
 * number a chart shows is in its `data`, and every name in it went through escapeLabel.
 */

import type { Band, BandLimits } from '../core/stats/classStats.ts';
import type { BoxStats } from '../core/stats/distribution.ts';
import { shortName } from '../core/text.ts';
import { escapeLabel } from './escape.ts';

/** A name as a chart shows it in text and hover: cut (src/core/text.ts), then escaped for plotly. */
const nameLabel = (name: string) => escapeLabel(shortName(name));

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

const bandColors: Record<Band, string> = { many: '#2f6f4f', medium: '#c28f2c', few: '#b3261e' };
/** What every chart shares: margins, font, white background. */
export const baseLayout = {
  margin: { l: 60, r: 20, t: 40, b: 50 },
  height: 340,
  font: { family: 'system-ui, sans-serif', size: 12 },
  paper_bgcolor: 'white',
  plot_bgcolor: 'white',
};

/** Longest tick label on a category axis; longer names are cut there (hover shows them whole). */
const TICK_CHARS = 22;

/**
 * A category axis whose tick labels are cut to TICK_CHARS and whose bottom margin is fixed for
 * them: plotly's `automargin` would draw the chart twice (draw, measure the labels, redraw).
 */
function categoryAxis(rawNames: string[]): { xaxis: Record<string, unknown>; margin: Record<string, number> } {
  return {
    xaxis: { tickangle: -40, tickmode: 'array', tickvals: rawNames.map(escapeLabel), ticktext: rawNames.map((n) => escapeLabel(shortName(n, TICK_CHARS))), automargin: false },
    margin: { ...baseLayout.margin, b: 120 },
  };
}

/** A count as people write it on an axis: 1, 20, 500, 2k, 50k, 1M. */
export function countLabel(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return String(v);
}

/**
 * A log axis over counts with its own ticks, from 1 up past `max`: 1, 2, 5, 10, 20, 50 … over up
 * to three decades, the powers of ten alone over more. Plotly's own log ticks print the minor
 * ones as bare leading digits ("2, 100, 5, 2, 10": the 2s meaning 200 and 20) and run below 1.
 */
export function logCountAxis(max: number, title: string): Record<string, unknown> {
  const top = Math.max(2, max);
  const decades = Math.log10(top);
  const steps = decades <= 3 ? [1, 2, 5] : [1];
  const tickvals: number[] = [];
  for (let e = 0; tickvals.length === 0 || tickvals[tickvals.length - 1] < top; e++)
    for (const m of steps) {
      const v = m * 10 ** e;
      tickvals.push(v);
      if (v >= top) break;
    }
  return {
    title: { text: title },
    type: 'log',
    tickmode: 'array',
    tickvals,
    ticktext: tickvals.map(countLabel),
    // In log10 units: a little below 1 so points at 1 are not on the axis line, a little above the top.
    range: [-0.05, decades + 0.05],
  };
}

/** Up to this many classes, the rank–frequency chart has one point per class. */
export const RANK_POINTS_PER_CLASS_UP_TO = 2000;

/**
 * The ranks (0-based) where a size-sorted curve turns: the first and last rank of each run of
 * equal sizes. Straight lines through them draw exactly the polyline through every rank, with a
 * point count set by the number of distinct sizes (hundreds) rather than of classes (15,501).
 */
export function stepCorners(sortedSizes: ArrayLike<number>): Int32Array {
  const n = sortedSizes.length;
  const corners: number[] = [];
  for (let r = 0; r < n; r++) {
    const startsRun = r === 0 || sortedSizes[r] !== sortedSizes[r - 1];
    const endsRun = r === n - 1 || sortedSizes[r] !== sortedSizes[r + 1];
    if (startsRun || endsRun) corners.push(r);
  }
  return Int32Array.from(corners);
}

/**
 * Classes by rank (largest first), bands shaded. Up to RANK_POINTS_PER_CLASS_UP_TO classes every
 * class is a point; beyond, only the curve's corners are (stepCorners: the same line, exactly),
 * so 15,501 classes draw as an SVG line of a few hundred points instead of a WebGL trace, whose
 * set-up alone took 0.8 s on a machine without a GPU. A corner's hover names its run of classes.
 */
export function rankFrequencyFigure(
  order: Int32Array,
  sizes: Int32Array,
  names: string[],
  limits: BandLimits,
  logLog: boolean,
): Figure {
  const n = order.length;
  const sorted = Int32Array.from(order, (c) => sizes[c]);
  const perClass = n <= RANK_POINTS_PER_CLASS_UP_TO;
  const ranks = perClass ? Int32Array.from(order.keys()) : stepCorners(sorted);
  const x = new Array<number>(ranks.length);
  const y = new Array<number>(ranks.length);
  const text = new Array<string>(ranks.length);
  const customdata = new Array<number>(ranks.length);
  // Runs of equal size, for the hover of a corner: first and last rank of the run.
  let runStart = 0;
  for (let k = 0; k < ranks.length; k++) {
    const r = ranks[k];
    if (r === 0 || sorted[r] !== sorted[r - 1]) runStart = r;
    let runEnd = r;
    while (!perClass && runEnd + 1 < n && sorted[runEnd + 1] === sorted[r]) runEnd++;
    x[k] = r + 1;
    y[k] = sorted[r];
    customdata[k] = order[r];
    const name = nameLabel(names[order[r]]);
    text[k] = perClass || runEnd === runStart ? name : `${name}<br>ranks ${runStart + 1}–${runEnd + 1}: ${runEnd - runStart + 1} classes of this size`;
  }
  const max = n ? sorted[0] : 1;
  const band = (from: number, to: number, b: Band) => ({
    type: 'rect',
    xref: 'paper',
    x0: 0,
    x1: 1,
    yref: 'y',
    y0: from,
    y1: to,
    fillcolor: bandColors[b],
    opacity: 0.08,
    line: { width: 0 },
    layer: 'below',
  });
  return {
    data: [
      {
        type: 'scatter',
        mode: 'lines+markers',
        x,
        y,
        text,
        customdata,
        marker: { size: perClass ? 4 : 3, color: '#2f6f4f' },
        line: { width: 1.5, color: '#2f6f4f' },
        hovertemplate: '%{text}<br>rank %{x}, %{y} images<extra></extra>',
        name: 'class size',
      },
    ],
    layout: {
      ...baseLayout,
      title: { text: perClass ? 'Rank–frequency: classes from largest to smallest' : `Rank–frequency: ${n.toLocaleString('en')} classes from largest to smallest (points: where the size changes)` },
      xaxis: logLog ? logCountAxis(n, 'class rank (log)') : { title: { text: 'class rank' }, type: 'linear' },
      yaxis: logCountAxis(max, 'images (log)'),
      hovermode: 'closest',
      shapes: [band(limits.manyAbove, Math.max(max, limits.manyAbove) * 2, 'many'), band(limits.fewBelow, limits.manyAbove, 'medium'), band(0.5, limits.fewBelow, 'few')],
      annotations: [
        { xref: 'paper', yref: 'y', x: 1, y: Math.log10(Math.max(1, limits.manyAbove)), text: 'many ↑ / medium ↓', showarrow: false, xanchor: 'right', yanchor: 'bottom', font: { size: 10, color: '#555' } },
        { xref: 'paper', yref: 'y', x: 1, y: Math.log10(Math.max(1, limits.fewBelow)), text: 'medium ↑ / few ↓', showarrow: false, xanchor: 'right', yanchor: 'top', font: { size: 10, color: '#555' } },
      ],
    },
  };
}

export function sizeHistogramFigure(nonEmptySizes: Int32Array, giniValue: number, imbalance: number): Figure {
  return {
    data: [
      {
        type: 'histogram',
        x: Array.from(nonEmptySizes),
        marker: { color: '#2f6f4f' },
        hovertemplate: '%{x} images: %{y} classes<extra></extra>',
        name: 'classes',
      },
    ],
    layout: {
      ...baseLayout,
      title: { text: 'How many classes have how many images' },
      xaxis: { title: { text: 'images in the class' } },
      yaxis: { title: { text: 'classes' } },
      bargap: 0.05,
      annotations: [
        {
          xref: 'paper',
          yref: 'paper',
          x: 1,
          y: 1,
          xanchor: 'right',
          showarrow: false,
          text: `Gini ${giniValue.toFixed(3)} · imbalance ${imbalance.toFixed(1)}×`,
        },
      ],
    },
  };
}

/** Every k-th point of a curve, first and last kept, so that at most about `max` remain. */
export function thinCurve(x: Float64Array, y: Float64Array, max: number): { x: number[]; y: number[] } {
  const step = Math.max(1, Math.ceil(x.length / max));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i += step) {
    xs.push(x[i]);
    ys.push(y[i]);
  }
  if ((x.length - 1) % step !== 0) {
    xs.push(x[x.length - 1]);
    ys.push(y[y.length - 1]);
  }
  return { x: xs, y: ys };
}

export function cumulativeShareFigure(
  classShare: Float64Array,
  imageShare: Float64Array,
  half: number,
  eighty: number,
  giniValue: number,
): Figure {
  // A monotone curve: 2,000 points draw it exactly at screen resolution.
  const curve = thinCurve(classShare, imageShare, 2000);
  return {
    data: [
      {
        type: 'scatter',
        mode: 'lines',
        x: curve.x,
        y: curve.y,
        line: { color: '#2f6f4f' },
        hovertemplate: '%{x:.1%} of classes hold %{y:.1%} of images<extra></extra>',
        name: 'cumulative share',
      },
      {
        type: 'scatter',
        mode: 'markers+text',
        x: [half, eighty],
        y: [0.5, 0.8],
        text: [`50% in ${(half * 100).toFixed(1)}% of classes`, `80% in ${(eighty * 100).toFixed(1)}% of classes`],
        textposition: 'middle right',
        marker: { color: '#b3261e', size: 8 },
        hoverinfo: 'skip',
        name: 'shares',
      },
    ],
    layout: {
      ...baseLayout,
      title: { text: `Cumulative share of images (Gini ${giniValue.toFixed(3)})` },
      xaxis: { title: { text: 'share of classes, largest first' }, tickformat: '.0%', range: [0, 1] },
      yaxis: { title: { text: 'share of images' }, tickformat: '.0%', range: [0, 1.02] },
      showlegend: false,
    },
  };
}

export interface TaxonomyInput {
  familyName: string[];
  genusName: string[];
  genusFamily: Int32Array;
  className: string[];
  classGenus: Int32Array;
  sizes: Int32Array;
  familyImages: Int32Array;
  genusImages: Int32Array;
}

/**
 * Where the taxonomy treemap is: all families, one family's genera, or one genus's species;
 * `skip` children (largest first) have been passed over through the "smaller ones" tile.
 */
export type TaxonomyLevel =
  | { kind: 'all'; skip?: number }
  | { kind: 'family'; index: number; skip?: number }
  | { kind: 'genus'; index: number; skip?: number };

/** Tiles per treemap level; the rest are one "smaller ones" tile (id `more`) that leads on. */
export const TREEMAP_TILES = 100;

/**
 * One level of family → genus → species, sized by images: the level's node and its children,
 * the largest TREEMAP_TILES of them, the rest as one tile. Plotly lays out and measures every
 * tile, so Herbarium's 272 families cost twice what 100 do, and the smallest were slivers anyway.
 */
export function taxonomyTreemapFigure(t: TaxonomyInput, level: TaxonomyLevel): Figure {
  let rootLabel: string;
  let rootValue = 0;
  const rootId = level.kind === 'all' ? 'all' : `${level.kind[0]}${level.index}`;
  const children: { id: string; name: string; value: number }[] = [];
  if (level.kind === 'all') {
    rootLabel = 'all families';
    t.familyName.forEach((name, f) => {
      if (t.familyImages[f] > 0) children.push({ id: `f${f}`, name, value: t.familyImages[f] });
    });
  } else if (level.kind === 'family') {
    rootLabel = t.familyName[level.index];
    t.genusName.forEach((name, g) => {
      if (t.genusFamily[g] === level.index && t.genusImages[g] > 0) children.push({ id: `g${g}`, name, value: t.genusImages[g] });
    });
  } else {
    rootLabel = t.genusName[level.index];
    t.className.forEach((name, c) => {
      if (t.classGenus[c] === level.index && t.sizes[c] > 0) children.push({ id: `c${c}`, name, value: t.sizes[c] });
    });
  }
  children.sort((a, b) => b.value - a.value);
  const skip = Math.min(level.skip ?? 0, Math.max(0, children.length - 1));
  const shown = children.slice(skip, skip + TREEMAP_TILES);
  const rest = children.slice(skip + TREEMAP_TILES);
  for (const c of children.slice(skip)) rootValue += c.value;
  const ids = [rootId, ...shown.map((c) => c.id)];
  const labels = [nameLabel(rootLabel) + (skip ? ` (after the ${skip} largest)` : ''), ...shown.map((c) => nameLabel(c.name))];
  const values = [rootValue, ...shown.map((c) => c.value)];
  if (rest.length) {
    ids.push('more');
    labels.push(`${rest.length} smaller ones`);
    values.push(rest.reduce((a, c) => a + c.value, 0));
  }
  const parents = ids.map((_, k) => (k === 0 ? '' : rootId));
  const title =
    level.kind === 'all' ? 'Taxonomy: families (click one for its genera)' : level.kind === 'family' ? `Genera of ${nameLabel(rootLabel)} (click one for its species)` : `Species of ${nameLabel(rootLabel)}`;
  return {
    data: [
      {
        type: 'treemap',
        ids,
        labels,
        parents,
        values,
        branchvalues: 'total',
        // Plotly measures every tile's text: label only the tiles large enough to read.
        text: values.map((v, k) => (k === 0 || v >= values[0] * 0.004 ? labels[k] : '')),
        texttemplate: '%{text}',
        hovertemplate: '%{label}<br>%{value} images<extra></extra>',
        marker: { colorscale: 'Greens' },
        pathbar: { visible: false },
      },
    ],
    layout: { ...baseLayout, height: 460, margin: { l: 10, r: 10, t: 40, b: 10 }, title: { text: title } },
  };
}

/**
 * Class-size spread of the largest groups (families or genera): one box per group, drawn from
 * precomputed statistics (one trace, no per-class values for plotly to sort and lay out).
 */
export function spreadFigure(title: string, groupNames: string[], groups: number[], boxes: BoxStats[]): Figure {
  const raw = groups.map((g) => groupNames[g]);
  const names = raw.map(escapeLabel);
  const axis = categoryAxis(raw);
  return {
    data: [
      {
        type: 'box',
        x: names,
        q1: boxes.map((b) => b.q1),
        median: boxes.map((b) => b.median),
        q3: boxes.map((b) => b.q3),
        lowerfence: boxes.map((b) => b.lowerFence),
        upperfence: boxes.map((b) => b.upperFence),
        customdata: groups,
        text: boxes.map((b, k) => `${nameLabel(raw[k])}: ${b.count} classes`),
        hovertemplate: '%{text}<extra></extra>',
        marker: { color: '#2f6f4f' },
        name: 'classes',
      },
    ],
    layout: {
      ...baseLayout,
      title: { text: title },
      showlegend: false,
      yaxis: logCountAxis(Math.max(1, ...boxes.map((b) => b.upperFence)), 'images per class (log)'),
      xaxis: axis.xaxis,
      margin: axis.margin,
    },
  };
}

/** Images per institution, stacked by the band of their class. */
export function institutionFigure(names: string[], byBand: Record<Band, Int32Array>): Figure {
  const labels = names.map(escapeLabel);
  const axis = categoryAxis(names);
  const order = Array.from(names.keys()).sort(
    (a, b) => byBand.many[b] + byBand.medium[b] + byBand.few[b] - (byBand.many[a] + byBand.medium[a] + byBand.few[a]),
  );
  return {
    data: (['many', 'medium', 'few'] as Band[]).map((band) => ({
      type: 'bar',
      name: band,
      x: order.map((i) => labels[i]),
      y: order.map((i) => byBand[band][i]),
      customdata: order,
      hovertext: order.map((i) => nameLabel(names[i])),
      marker: { color: bandColors[band] },
      hovertemplate: `%{hovertext}<br>${band}-shot classes: %{y} images<extra></extra>`,
    })),
    layout: {
      ...baseLayout,
      barmode: 'stack',
      title: { text: 'Images per institution, by band of their class' },
      xaxis: axis.xaxis,
      margin: axis.margin,
      yaxis: { title: { text: 'images' } },
    },
  };
}

/** The audit's histogram of each labelled image's nearest-neighbour cosine (from 0.8 up), with the threshold drawn: copies pile up at the right. */
export function nearestCosineFigure(counts: Int32Array, lo: number, bin: number, threshold: number): Figure {
  const x = Array.from(counts, (_, i) => lo + (i + 0.5) * bin);
  return {
    data: [{ type: 'bar', x, y: Array.from(counts), width: bin * 0.95, marker: { color: '#2f6f4f' }, hovertemplate: 'cosine %{x:.3f}: %{y} images<extra></extra>', name: 'images' }],
    layout: {
      ...baseLayout,
      title: { text: "Each labelled image's nearest-neighbour cosine" },
      xaxis: { title: { text: 'cosine to the nearest other labelled image' }, range: [lo, 1] },
      yaxis: { title: { text: 'images' }, type: 'log' },
      shapes: [{ type: 'line', xref: 'x', yref: 'paper', x0: threshold, x1: threshold, y0: 0, y1: 1, line: { color: '#b3261e', width: 2, dash: 'dash' } }],
      annotations: [{ xref: 'x', yref: 'paper', x: threshold, y: 1, xanchor: 'right', showarrow: false, text: `threshold ${threshold.toFixed(3)}` }],
    },
  };
}

/** Classes by the share of their images that come from their main institution (bins of 1/counts.length), the shortcut share marked. */
export function institutionShareFigure(counts: Int32Array, minShare: number, minImages: number): Figure {
  const bins = counts.length;
  const x = Array.from(counts, (_, i) => (100 * (i + 0.5)) / bins);
  return {
    data: [
      {
        type: 'bar',
        x,
        y: Array.from(counts),
        width: (100 / bins) * 0.95,
        marker: { color: Array.from(counts, (_, i) => ((i + 1) / bins > minShare + 1e-9 ? '#b3261e' : '#2f6f4f')) },
        hovertemplate: '%{x:.0f}% from one institution: %{y} classes<extra></extra>',
        name: 'classes',
      },
    ],
    layout: {
      ...baseLayout,
      title: { text: `Classes (≥ ${minImages} images) by their main institution's share` },
      xaxis: { title: { text: "share of the class's images from its main institution (%)" }, range: [0, 100] },
      yaxis: { title: { text: 'classes' } },
      shapes: [{ type: 'line', xref: 'x', yref: 'paper', x0: 100 * minShare, x1: 100 * minShare, y0: 0, y1: 1, line: { color: '#b3261e', width: 2, dash: 'dash' } }],
    },
  };
}
