/**
 * Class-size statistics behind the Overview readouts: sizes, imbalance, head/medium/few bands.
 * Pure functions over typed arrays; every number the page shows comes from here.
 */

import type { DatasetColumns } from '../dataset/types.ts';

/** Images per class (index = dense class index). */
export function classSizes(imageClass: Int32Array, classCount: number): Int32Array {
  const sizes = new Int32Array(classCount);
  for (let i = 0; i < imageClass.length; i++) sizes[imageClass[i]]++;
  return sizes;
}

export interface OverviewStats {
  images: number;
  /** Classes with at least one train image. */
  classes: number;
  /** Categories declared in the metadata, with or without images. */
  declaredClasses: number;
  genera: number;
  families: number;
  institutions: number;
  maxClass: number;
  minClass: number;
  /** max / min class size over classes with images. */
  imbalanceRatio: number;
}

export function overviewStats(train: DatasetColumns, sizes: Int32Array): OverviewStats {
  const genera = new Set<number>();
  const families = new Set<number>();
  let classes = 0;
  let maxClass = 0;
  let minClass = Infinity;
  for (let c = 0; c < sizes.length; c++) {
    const n = sizes[c];
    if (n === 0) continue;
    classes++;
    if (n > maxClass) maxClass = n;
    if (n < minClass) minClass = n;
    genera.add(train.classGenus[c]);
    families.add(train.classFamily[c]);
  }
  const institutions = new Set<number>();
  for (let i = 0; i < train.imageInstitution.length; i++) {
    const inst = train.imageInstitution[i];
    if (inst >= 0) institutions.add(inst);
  }
  if (classes === 0) minClass = 0;
  return {
    images: train.imageCount,
    classes,
    declaredClasses: sizes.length,
    genera: genera.size,
    families: families.size,
    institutions: institutions.size,
    maxClass,
    minClass,
    imbalanceRatio: minClass > 0 ? maxClass / minClass : 0,
  };
}

/**
 * Band limits. A class is "many" when its size is above `manyAbove`, "few" when below
 * `fewBelow`, "medium" otherwise (the usual >100 / 20–100 / <20 split by default).
 * In quantile mode "few" is about the smallest `fewQuantile` of the classes and "many" about the
 * largest `1 − manyQuantile` (see `quantileBandLimits`).
 */
export interface BandSettings {
  mode: 'fixed' | 'quantile';
  manyAbove: number;
  fewBelow: number;
  fewQuantile: number;
  manyQuantile: number;
}

export const defaultBandSettings: BandSettings = {
  mode: 'fixed',
  manyAbove: 100,
  fewBelow: 20,
  fewQuantile: 1 / 3,
  manyQuantile: 2 / 3,
};

export interface BandLimits {
  manyAbove: number;
  fewBelow: number;
}

/** Quantile with linear interpolation between order statistics (NumPy's default, "type 7"). */
export function quantile(sortedAscending: ArrayLike<number>, q: number): number {
  const n = sortedAscending.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sortedAscending[lo] + (sortedAscending[hi] - sortedAscending[lo]) * (pos - lo);
}

/** Sizes of the classes that have images, ascending. */
export function nonEmptySizesAscending(sizes: Int32Array): Int32Array {
  return sizes.filter((n) => n > 0).sort();
}

export function bandLimits(sizes: Int32Array, settings: BandSettings): BandLimits {
  if (settings.mode === 'fixed') return { manyAbove: settings.manyAbove, fewBelow: settings.fewBelow };
  return quantileBandLimits(nonEmptySizesAscending(sizes), settings.fewQuantile, settings.manyQuantile);
}

/**
 * Limits that put about `fewQuantile` of the classes in "few" and `1 − manyQuantile` in "many".
 * Classes of equal size always share a band, so each cut goes between two distinct sizes, where
 * the band's share of classes comes nearest the one asked for. The plain quantile cannot do this
 * with ties: Herbarium 2022 caps classes at 80 train images and over half of them sit at 80, so
 * its 2/3 quantile is 80 and "more than 80" would leave the head empty.
 */
export function quantileBandLimits(sortedAscending: Int32Array, fewQuantile: number, manyQuantile: number): BandLimits {
  const n = sortedAscending.length;
  if (n === 0) return { fewBelow: 0, manyAbove: 0 };
  const manyShare = 1 - manyQuantile;
  // Candidate cuts: every distinct size, and one past the largest. below = classes smaller than it.
  let fewBelow = sortedAscending[0];
  let manyAtLeast = sortedAscending[n - 1] + 1;
  let bestFew = Infinity;
  let bestMany = Math.abs(0 - manyShare);
  for (let i = 0; i <= n; i++) {
    if (i > 0 && i < n && sortedAscending[i] === sortedAscending[i - 1]) continue;
    const cut = i < n ? sortedAscending[i] : sortedAscending[n - 1] + 1;
    const fewMiss = Math.abs(i / n - fewQuantile);
    if (fewMiss < bestFew) [bestFew, fewBelow] = [fewMiss, cut];
    const manyMiss = Math.abs((n - i) / n - manyShare);
    if (manyMiss < bestMany) [bestMany, manyAtLeast] = [manyMiss, cut];
  }
  // Sizes are whole numbers: "at least t" is "above t − 1". The bands never overlap.
  return { fewBelow: Math.min(fewBelow, manyAtLeast), manyAbove: manyAtLeast - 1 };
}

export type Band = 'many' | 'medium' | 'few';

export function bandOf(size: number, limits: BandLimits): Band {
  if (size > limits.manyAbove) return 'many';
  if (size < limits.fewBelow) return 'few';
  return 'medium';
}

export function bandCounts(sizes: Int32Array, limits: BandLimits): Record<Band, number> {
  const counts = { many: 0, medium: 0, few: 0 };
  for (let c = 0; c < sizes.length; c++) if (sizes[c] > 0) counts[bandOf(sizes[c], limits)]++;
  return counts;
}
