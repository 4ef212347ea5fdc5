/**
 * One pure function per chart: plain arrays in, a plotly figure out. No store, no DOM; every
 * number a chart shows is in its `data`, and every name in it went through escapeLabel.
 */

import type { Band, BandLimits } from '../core/stats/classStats.ts';
import { escapeLabel } from './escape.ts';

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

const bandColors: Record<Band, string> = { many: '#2f6f4f', medium: '#c28f2c', few: '#b3261e' };
const baseLayout = {
  margin: { l: 60, r: 20, t: 40, b: 50 },
  height: 340,
  font: { family: 'system-ui, sans-serif', size: 12 },
  paper_bgcolor: 'white',
  plot_bgcolor: 'white',
};

/** Classes by rank (largest first): a WebGL trace, 15,501 points stay smooth; bands shaded. */
export function rankFrequencyFigure(
  order: Int32Array,
  sizes: Int32Array,
  names: string[],
  limits: BandLimits,
  logLog: boolean,
): Figure {
  const n = order.length;
  const x = new Array<number>(n);
  const y = new Array<number>(n);
  const text = new Array<string>(n);
  for (let r = 0; r < n; r++) {
    x[r] = r + 1;
    y[r] = sizes[order[r]];
    text[r] = escapeLabel(names[order[r]]);
  }
  const max = n ? y[0] : 1;
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
        type: 'scattergl',
        // Lines only: 15,501 markers cost more to set up than they show.
        mode: n > 2000 ? 'lines' : 'lines+markers',
        x,
        y,
        text,
        customdata: Array.from(order),
        marker: { size: 3, color: '#2f6f4f' },
        line: { width: 1.5, color: '#2f6f4f' },
        hovertemplate: '%{text}<br>rank %{x}, %{y} images<extra></extra>',
        name: 'class size',
      },
    ],
    layout: {
      ...baseLayout,
      title: { text: 'Rank–frequency: classes from largest to smallest' },
      xaxis: { title: { text: 'class rank' }, type: logLog ? 'log' : 'linear' },
      yaxis: { title: { text: 'images (log)' }, type: 'log' },
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

/** Where the taxonomy treemap is: all families, one family's genera, or one genus's species. */
export type TaxonomyLevel = { kind: 'all' } | { kind: 'family'; index: number } | { kind: 'genus'; index: number };

/**
 * One level of family → genus → species, sized by images: the level's node and its children only.
 * Herbarium 2022 has 18,337 nodes; plotly measures every label it draws, so the whole tree took
 * 19 s to draw, while one level (at most a few hundred tiles) takes well under a second.
 */
export function taxonomyTreemapFigure(t: TaxonomyInput, level: TaxonomyLevel): Figure {
  let rootLabel: string;
  let rootValue: number;
  const rootId = level.kind === 'all' ? 'all' : `${level.kind[0]}${level.index}`;
  const ids: string[] = [rootId];
  const labels: string[] = [];
  const parents: string[] = [''];
  const values: number[] = [];
  const child = (id: string, name: string, value: number) => {
    ids.push(id);
    labels.push(escapeLabel(name));
    parents.push(rootId);
    values.push(value);
  };
  if (level.kind === 'all') {
    rootLabel = 'all families';
    rootValue = 0;
    t.familyName.forEach((name, f) => {
      if (t.familyImages[f] > 0) child(`f${f}`, name, t.familyImages[f]);
      rootValue += t.familyImages[f];
    });
  } else if (level.kind === 'family') {
    rootLabel = t.familyName[level.index];
    rootValue = t.familyImages[level.index];
    t.genusName.forEach((name, g) => {
      if (t.genusFamily[g] === level.index && t.genusImages[g] > 0) child(`g${g}`, name, t.genusImages[g]);
    });
  } else {
    rootLabel = t.genusName[level.index];
    rootValue = t.genusImages[level.index];
    t.className.forEach((name, c) => {
      if (t.classGenus[c] === level.index && t.sizes[c] > 0) child(`c${c}`, name, t.sizes[c]);
    });
  }
  labels.unshift(escapeLabel(rootLabel));
  values.unshift(rootValue);
  const title =
    level.kind === 'all' ? 'Taxonomy: families (click one for its genera)' : level.kind === 'family' ? `Genera of ${escapeLabel(rootLabel)} (click one for its species)` : `Species of ${escapeLabel(rootLabel)}`;
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

/** Class-size spread of the largest groups (families or genera): one box per group. */
export function spreadFigure(
  title: string,
  groupNames: string[],
  groupOfClass: Int32Array,
  groupImages: Int32Array,
  sizes: Int32Array,
  top: number,
): Figure {
  const groups = Array.from(groupImages.keys())
    .filter((g) => groupImages[g] > 0)
    .sort((a, b) => groupImages[b] - groupImages[a])
    .slice(0, top);
  const rank = new Map(groups.map((g, k) => [g, k]));
  const members: number[][] = groups.map(() => []);
  for (let c = 0; c < sizes.length; c++) {
    const k = rank.get(groupOfClass[c]);
    if (k !== undefined && sizes[c] > 0) members[k].push(sizes[c]);
  }
  return {
    data: groups.map((g, k) => ({
      type: 'box',
      name: escapeLabel(groupNames[g]),
      y: members[k],
      customdata: members[k].map(() => g),
      boxpoints: false,
      marker: { color: '#2f6f4f' },
    })),
    layout: {
      ...baseLayout,
      title: { text: title },
      showlegend: false,
      yaxis: { title: { text: 'images per class' }, type: 'log' },
      xaxis: { tickangle: -40, automargin: true },
    },
  };
}

/** Images per institution, stacked by the band of their class. */
export function institutionFigure(names: string[], byBand: Record<Band, Int32Array>): Figure {
  const labels = names.map(escapeLabel);
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
      marker: { color: bandColors[band] },
      hovertemplate: `%{x}<br>${band}-shot classes: %{y} images<extra></extra>`,
    })),
    layout: {
      ...baseLayout,
      barmode: 'stack',
      title: { text: 'Images per institution, by band of their class' },
      xaxis: { tickangle: -40, automargin: true },
      yaxis: { title: { text: 'images' } },
    },
  };
}
