/**
 * Taxonomy back-off: a species' score borrows from its genus, and a genus's from its family, in
 * proportion to how little the species (genus) has to go on:
 *   score_c(x) = w_c·cos(x, μ_c) + (1 − w_c)·[v_g·cos(x, μ_g) + (1 − v_g)·cos(x, μ_f)],
 *   w_c = n_c / (n_c + κ),  v_g = n_g / (n_g + κ),  g = genus(c), f = family(c),
 * where a genus (family) mean averages every image of its species. It is the shrinkage estimator
 * of a hierarchical model in score form: a species of 2 images has a mean too noisy to trust
 * (its own test images score low against it), its genus's mean is made of many more; a species
 * of 80 keeps its own. κ (images' worth of trust in the parent) is chosen by leave-one-out with
 * the rest, and κ = 0 is cosine NCM itself, so the choice can only fall back to it. Each κ is
 * linear in the unit query, so it scores like NCM.
 *
 * Leaving an image out moves three components (its species', genus's and family's means) and its
 * own species' and genus's counts (so their weights).
 */

import type { ClassMeanData, ClassMeanMethod } from './classMeans.ts';
import { l2Normalize } from './prototypes.ts';
import { leaveOutCosine, meansOf } from './ncm.ts';
import type { LinearModel } from './scoring.ts';

export interface Taxonomy {
  /** Per class: its genus index (0..G−1) and family index (0..F−1). */
  classGenus: Int32Array;
  classFamily: Int32Array;
}

/** The κ compared (0 = no back-off). */
export const BACKOFF_GRID: readonly number[] = [0, 1, 2, 4, 8, 16, 32];

/** Whether back-off can help: some genus or family holds more than one class with images. */
export function taxonomyHelps(taxonomy: Taxonomy, counts: ArrayLike<number>): boolean {
  const seen = new Set<number>();
  const seenFamily = new Set<number>();
  for (let c = 0; c < counts.length; c++) {
    if (!(counts[c] > 0)) continue;
    if (seen.has(taxonomy.classGenus[c]) || seenFamily.has(taxonomy.classFamily[c])) return true;
    seen.add(taxonomy.classGenus[c]);
    seenFamily.add(taxonomy.classFamily[c]);
  }
  return false;
}

/** Sums and counts of groups of classes (genera, families) from the class sums. */
function groupSums(data: ClassMeanData, groupOf: Int32Array): { sums: Float64Array; counts: Int32Array; groups: number } {
  const { dim, numClasses, sums, counts } = data;
  let groups = 0;
  for (let c = 0; c < numClasses; c++) groups = Math.max(groups, groupOf[c] + 1);
  const out = new Float64Array(groups * dim);
  const n = new Int32Array(groups);
  for (let c = 0; c < numClasses; c++) {
    const g = groupOf[c];
    n[g] += counts[c];
    for (let j = 0; j < dim; j++) out[g * dim + j] += sums[c * dim + j];
  }
  return { sums: out, counts: n, groups };
}

export function hierarchicalMethod(data: ClassMeanData, taxonomy: Taxonomy, grid = BACKOFF_GRID): ClassMeanMethod {
  const { dim: d, numClasses: c, counts } = data;
  if (taxonomy.classGenus.length !== c || taxonomy.classFamily.length !== c) throw new RangeError(`the taxonomy covers ${taxonomy.classGenus.length} classes, not ${c}`);
  const genus = groupSums(data, taxonomy.classGenus);
  const family = groupSums(data, taxonomy.classFamily);
  const levels = [
    { sums: data.sums, counts, n: c, offset: 0 },
    { sums: genus.sums, counts: genus.counts, n: genus.groups, offset: c },
    { sums: family.sums, counts: family.counts, n: family.groups, offset: c + genus.groups },
  ];
  const k = c + genus.groups + family.groups;
  const unit = new Float32Array(k * d);
  const norm2 = new Float64Array(k);
  for (const level of levels) {
    const m = meansOf({ dim: d, numClasses: level.n, sums: level.sums, counts: level.counts });
    unit.set(l2Normalize(m.means, d), level.offset * d);
    norm2.set(m.sumNorm2, level.offset);
  }
  // A species without images is never predicted; an empty genus or family scores 0, not −∞
  // (0·−∞ would be NaN in a blend that leaves it out).
  const bias = new Float32Array(k);
  for (let j = 0; j < c; j++) if (!(counts[j] > 0)) bias[j] = -Infinity;
  const components: LinearModel = { dim: d, numClasses: k, weights: unit, bias, normalizeQueries: true, normPenalty: 0 };
  const genusOf = taxonomy.classGenus;
  const familyOf = taxonomy.classFamily;
  const settings = grid.map((kappa) => `κ = ${kappa}`);
  const weight = (n: number, kappa: number) => (n > 0 ? n / (n + kappa) : 0);
  // Per setting, each species' three coefficients (own, genus, family), so the blend is three
  // multiply-adds a class; a leave-one-out image then fixes its own species and the species of
  // its own genus (whose genus weight v moved with the count), listed per genus.
  const coefficients = grid.map((kappa) => {
    const own = new Float32Array(c);
    const gen = new Float32Array(c);
    const fam = new Float32Array(c);
    for (let j = 0; j < c; j++) {
      const w = weight(counts[j], kappa);
      const v = weight(genus.counts[genusOf[j]], kappa);
      own[j] = w;
      gen[j] = (1 - w) * v;
      fam[j] = (1 - w) * (1 - v);
    }
    return { kappa, own, gen, fam };
  });
  const emptySpecies = Int32Array.from({ length: c }, (_, j) => j).filter((j) => !(counts[j] > 0));
  const genusStart = new Int32Array(genus.groups + 1);
  for (let j = 0; j < c; j++) genusStart[genusOf[j] + 1]++;
  for (let g = 0; g < genus.groups; g++) genusStart[g + 1] += genusStart[g];
  const genusMembers = new Int32Array(c);
  {
    const fill = genusStart.slice(0, genus.groups);
    for (let j = 0; j < c; j++) genusMembers[fill[genusOf[j]]++] = j;
  }
  return {
    components,
    settings,
    leaveOut(x, xo, y, a, o) {
      const own = [y, genusOf[y], familyOf[y]];
      levels.forEach((level, li) => {
        const g = own[li];
        const idx = level.offset + g;
        a[o + idx] = level.counts[g] >= 2 ? leaveOutCosine(x, xo, level.sums, g * d, norm2[idx], d) : 0;
      });
    },
    blend(s, a, o, out, oo, own = -1) {
      const { kappa, own: cw, gen: cg, fam: cf } = coefficients[s];
      const go = o + c;
      const fo = o + c + genus.groups;
      for (let j = 0; j < c; j++) out[oo + j] = cw[j] * a[o + j] + cg[j] * a[go + genusOf[j]] + cf[j] * a[fo + familyOf[j]];
      if (own >= 0) {
        // The image's own genus counted once less: every species of it gets a new genus weight,
        // its own species also a new own weight.
        const g = genusOf[own];
        const v = weight(genus.counts[g] - 1, kappa);
        for (let m = genusStart[g]; m < genusStart[g + 1]; m++) {
          const j = genusMembers[m];
          const w = weight(counts[j] - (j === own ? 1 : 0), kappa);
          out[oo + j] = w * a[o + j] + (1 - w) * (v * a[go + g] + (1 - v) * a[fo + familyOf[j]]);
        }
      }
      // A species without images keeps −∞ (its own weight 0 would otherwise let its genus score it).
      for (const j of emptySpecies) out[oo + j] = -Infinity;
    },
    model(s) {
      const kappa = grid[s];
      const weights = new Float32Array(c * d);
      for (let j = 0; j < c; j++) {
        if (!(counts[j] > 0)) continue;
        const gw = (c + genusOf[j]) * d;
        const fw = (c + genus.groups + familyOf[j]) * d;
        const w = weight(counts[j], kappa);
        const v = weight(genus.counts[genusOf[j]], kappa);
        for (let t = 0; t < d; t++) weights[j * d + t] = w * unit[j * d + t] + (1 - w) * (v * unit[gw + t] + (1 - v) * unit[fw + t]);
      }
      return { dim: d, numClasses: c, weights, bias: bias.slice(0, c), normalizeQueries: true, normPenalty: 0 };
    },
  };
}
