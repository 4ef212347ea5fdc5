import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../core/random.mjs';
import { countLabel, institutionFigure, logCountAxis, rankFrequencyFigure, RANK_POINTS_PER_CLASS_UP_TO, spreadFigure, stepCorners, taxonomyTreemapFigure, TREEMAP_TILES, type TaxonomyInput } from './figures.ts';

/** The polyline through (corner rank, size) read at rank r, by linear interpolation. */
function lineAt(ranks: ArrayLike<number>, ys: ArrayLike<number>, r: number): number {
  let k = 0;
  while (ranks[k + 1] !== undefined && ranks[k + 1] <= r) k++;
  if (ranks[k] === r || ranks[k + 1] === undefined) return ys[k];
  const t = (r - ranks[k]) / (ranks[k + 1] - ranks[k]);
  return ys[k] + t * (ys[k + 1] - ys[k]);
}

describe('rank–frequency corners', () => {
  it('keeps the first and last rank of each run of equal sizes', () => {
    // Runs: 9 (rank 0), 5 5 5 (ranks 1–3), 2 2 (ranks 4–5), 1 (rank 6).
    expect(Array.from(stepCorners([9, 5, 5, 5, 2, 2, 1]))).toEqual([0, 1, 3, 4, 5, 6]);
    expect(Array.from(stepCorners([]))).toEqual([]);
    expect(Array.from(stepCorners([4, 4, 4]))).toEqual([0, 2]);
  });

  it('the line through the corners passes through every class', () => {
    const random = mulberry32(7);
    const sizes = Array.from({ length: 5000 }, () => Math.max(1, Math.floor(400 * random() ** 6)));
    sizes.sort((a, b) => b - a);
    const corners = stepCorners(sizes);
    expect(corners.length).toBeLessThan(sizes.length / 5);
    const ys = Array.from(corners, (r) => sizes[r]);
    for (let r = 0; r < sizes.length; r++) expect(lineAt(corners, ys, r)).toBe(sizes[r]);
  });

  it('a large dataset is drawn by its corners, each naming a class of that size', () => {
    const n = RANK_POINTS_PER_CLASS_UP_TO + 1;
    // Class c has 1 + (c mod 10) images: ten runs of equal sizes.
    const sizes = Int32Array.from({ length: n }, (_, c) => 1 + (c % 10));
    const order = Int32Array.from(sizes.keys()).sort((a, b) => sizes[b] - sizes[a] || a - b);
    const names = Array.from({ length: n }, (_, c) => `class <${c}>`);
    const trace = rankFrequencyFigure(order, sizes, names, { manyAbove: 8, fewBelow: 3 }, false).data[0];
    const x = trace.x as number[];
    const y = trace.y as number[];
    expect(y.length).toBe(20);
    expect(x[0]).toBe(1);
    expect(x[x.length - 1]).toBe(n);
    (trace.customdata as number[]).forEach((c, k) => expect(sizes[c]).toBe(y[k]));
    expect((trace.text as string[])[0]).toContain('class &lt;');
  });
});

describe('taxonomy treemap', () => {
  // 250 families, family f with f + 1 images (one genus and one class each).
  const F = 250;
  const input: TaxonomyInput = {
    familyName: Array.from({ length: F }, (_, f) => `family ${f}`),
    genusName: Array.from({ length: F }, (_, f) => `genus ${f}`),
    genusFamily: Int32Array.from({ length: F }, (_, f) => f),
    className: Array.from({ length: F }, (_, f) => `species ${f}`),
    classGenus: Int32Array.from({ length: F }, (_, f) => f),
    sizes: Int32Array.from({ length: F }, (_, f) => f + 1),
    familyImages: Int32Array.from({ length: F }, (_, f) => f + 1),
    genusImages: Int32Array.from({ length: F }, (_, f) => f + 1),
  };
  const total = (F * (F + 1)) / 2;

  it('shows the largest families and one tile for the rest, values adding up', () => {
    const trace = taxonomyTreemapFigure(input, { kind: 'all' }).data[0] as { ids: string[]; values: number[]; parents: string[] };
    expect(trace.ids.length).toBe(1 + TREEMAP_TILES + 1);
    expect(trace.ids[1]).toBe(`f${F - 1}`);
    expect(trace.ids.at(-1)).toBe('more');
    // The rest: families 0..149, i.e. 1 + 2 + … + 150 images.
    expect(trace.values.at(-1)).toBe((150 * 151) / 2);
    expect(trace.values[0]).toBe(total);
    expect(trace.values.slice(1).reduce((a, b) => a + b, 0)).toBe(total);
    expect(trace.parents.slice(1).every((p) => p === 'all')).toBe(true);
  });

  it('skipping the shown ones lists the next, down to the smallest', () => {
    const trace = taxonomyTreemapFigure(input, { kind: 'all', skip: 2 * TREEMAP_TILES }).data[0] as { ids: string[]; values: number[] };
    // 50 families left: 0..49, with 1 + … + 50 images; no "more" tile.
    expect(trace.ids.length).toBe(1 + 50);
    expect(trace.ids).not.toContain('more');
    expect(trace.values[0]).toBe((50 * 51) / 2);
  });
});

describe('names in charts (issue 12: hostile names)', () => {
  const long = `Long${'o'.repeat(100_000)}um`;
  const odd = `O'Hara "H" & <i>x</i>`;
  // What plotly shows: its convertEntities undoes &amp; &lt; &gt; (see escape.test.ts).
  const shown = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const bounded = (texts: unknown[]) => expect(Math.max(...texts.map((t) => String(t).length))).toBeLessThan(400);

  it('hover text, treemap tiles and titles hold a 100 kB name cut, quotes and ampersands as they are', () => {
    const sizes = Int32Array.from([5, 3]);
    const rank = rankFrequencyFigure(Int32Array.from([0, 1]), sizes, [long, odd], { manyAbove: 4, fewBelow: 2 }, false).data[0];
    bounded(rank.text as string[]);
    expect(shown((rank.text as string[])[1])).toBe(odd);

    const input: TaxonomyInput = {
      familyName: [long, odd],
      genusName: [long, odd],
      genusFamily: Int32Array.from([0, 1]),
      className: [long, odd],
      classGenus: Int32Array.from([0, 1]),
      sizes,
      familyImages: sizes,
      genusImages: sizes,
    };
    const all = taxonomyTreemapFigure(input, { kind: 'all' });
    const tiles = all.data[0] as { labels: string[]; text: string[] };
    bounded(tiles.labels);
    bounded(tiles.text);
    expect(shown(tiles.labels[2])).toBe(odd);
    const family = taxonomyTreemapFigure(input, { kind: 'family', index: 0 });
    bounded([(family.layout.title as { text: string }).text]);

    const box = { q1: 1, median: 2, q3: 3, lowerFence: 1, upperFence: 4, count: 2 };
    const spread = spreadFigure('spread', [long, odd], [0, 1], [box, box]);
    bounded(spread.data[0].text as string[]);
    bounded((spread.layout.xaxis as { ticktext: string[] }).ticktext);
    const inst = institutionFigure([long, odd], { many: Int32Array.from([1, 2]), medium: Int32Array.from([0, 0]), few: Int32Array.from([0, 0]) }).data[0];
    bounded(inst.hovertext as string[]);
    expect((inst.hovertemplate as string).includes('%{x}')).toBe(false);
    expect((inst.hovertext as string[]).map(shown)).toContain(odd);
  });
});

describe('log count axes', () => {
  /** A tick label read back as a number ("2k" → 2000). */
  const read = (t: string) => Number(t.replace(/k$/, 'e3').replace(/M$/, 'e6'));
  for (const max of [2, 7, 80, 999, 1000, 15_501, 839_772]) {
    it(`labels the ticks of 1..${max} as strictly increasing counts from 1 past the top`, () => {
      const axis = logCountAxis(max, 'images') as { tickvals: number[]; ticktext: string[]; range: number[]; type: string };
      expect(axis.type).toBe('log');
      expect(axis.tickvals[0]).toBe(1);
      expect(axis.tickvals[axis.tickvals.length - 1]).toBeGreaterThanOrEqual(max);
      // Only the last tick is past the top: the axis ends there, not a decade later.
      expect(axis.tickvals[axis.tickvals.length - 2]).toBeLessThan(Math.max(2, max));
      const values = axis.ticktext.map(read);
      expect(values).toEqual(axis.tickvals);
      for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
      // Each tick is 1, 2 or 5 times a power of ten.
      for (const v of values) expect([1, 2, 5]).toContain(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
      expect(axis.range[0]).toBeLessThanOrEqual(0);
      expect(axis.range[1]).toBeGreaterThanOrEqual(Math.log10(max));
    });
  }
  it('writes thousands and millions short', () => {
    expect([1, 20, 500, 2000, 50_000, 1_000_000].map(countLabel)).toEqual(['1', '20', '500', '2k', '50k', '1M']);
  });
});
