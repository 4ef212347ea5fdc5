/**
 * How unequal the class sizes are: Gini coefficient, the share of classes that holds a share of
 * the images, the cumulative share curve, and roll-ups by taxon, institution and band.
 */

import type { DatasetColumns } from '../dataset/types.ts';
import { bandOf, classSizes, overviewStats, quantile, type Band, type BandLimits, type OverviewStats } from './classStats.ts';

/** Sizes of the classes that have images, largest first. */
export function sizesDescending(sizes: Int32Array): Int32Array {
  return sizes.filter((n) => n > 0).sort().reverse();
}

/**
 * Gini coefficient of class sizes (0 = all classes equal, → 1 = one class holds everything):
 * G = Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² μ), computed from the sorted sizes in O(n log n).
 */
export function gini(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    total += sorted[i];
    weighted += (i + 1) * sorted[i];
  }
  if (n === 0 || total === 0) return 0;
  return (2 * weighted) / (n * total) - (n + 1) / n;
}

/**
 * The cumulative share curve: with classes from largest to smallest, point k is
 * (k / C, images in the k largest classes / N), from (0, 0) to (1, 1).
 */
export function cumulativeShare(descending: Int32Array): { classShare: Float64Array; imageShare: Float64Array } {
  const c = descending.length;
  const classShare = new Float64Array(c + 1);
  const imageShare = new Float64Array(c + 1);
  let total = 0;
  for (let i = 0; i < c; i++) total += descending[i];
  let running = 0;
  for (let i = 0; i < c; i++) {
    running += descending[i];
    classShare[i + 1] = (i + 1) / c;
    imageShare[i + 1] = total > 0 ? running / total : 0;
  }
  return { classShare, imageShare };
}

/** The smallest share of classes (largest first) that holds at least `imageFraction` of the images. */
export function classShareHolding(descending: Int32Array, imageFraction: number): number {
  let total = 0;
  for (let i = 0; i < descending.length; i++) total += descending[i];
  let running = 0;
  for (let i = 0; i < descending.length; i++) {
    running += descending[i];
    if (running >= imageFraction * total - 1e-9) return (i + 1) / descending.length;
  }
  return 1;
}

export interface TaxonTotals {
  /** Images per family / genus. */
  familyImages: Int32Array;
  genusImages: Int32Array;
  /** Classes (with images) per family / genus. */
  familyClasses: Int32Array;
  genusClasses: Int32Array;
}

export function taxonTotals(train: DatasetColumns, sizes: Int32Array): TaxonTotals {
  const familyImages = new Int32Array(train.familyName.length);
  const genusImages = new Int32Array(train.genusName.length);
  const familyClasses = new Int32Array(train.familyName.length);
  const genusClasses = new Int32Array(train.genusName.length);
  for (let c = 0; c < sizes.length; c++) {
    if (sizes[c] === 0) continue;
    familyImages[train.classFamily[c]] += sizes[c];
    genusImages[train.classGenus[c]] += sizes[c];
    familyClasses[train.classFamily[c]]++;
    genusClasses[train.classGenus[c]]++;
  }
  return { familyImages, genusImages, familyClasses, genusClasses };
}

/** Images of each institution, split by the band of their class. */
export function institutionBands(
  train: DatasetColumns,
  sizes: Int32Array,
  limits: BandLimits,
): Record<Band, Int32Array> {
  const k = train.institutionName.length;
  const out = { many: new Int32Array(k), medium: new Int32Array(k), few: new Int32Array(k) };
  const bandOfClass: Band[] = Array.from(sizes, (n) => bandOf(n, limits));
  for (let i = 0; i < train.imageCount; i++) {
    const inst = train.imageInstitution[i];
    if (inst >= 0) out[bandOfClass[train.imageClass[i]]][inst]++;
  }
  return out;
}

/** Images grouped by class: `images.subarray(start[c], start[c + 1])` are class c's, in metadata order. */
export interface ImagesByClass {
  start: Int32Array;
  images: Int32Array;
}

export function imagesByClass(imageClass: Int32Array, classCount: number): ImagesByClass {
  const start = new Int32Array(classCount + 1);
  for (let i = 0; i < imageClass.length; i++) start[imageClass[i] + 1]++;
  for (let c = 0; c < classCount; c++) start[c + 1] += start[c];
  const fill = start.slice(0, classCount);
  const images = new Int32Array(imageClass.length);
  for (let i = 0; i < imageClass.length; i++) images[fill[imageClass[i]]++] = i;
  return { start, images };
}

/** A box plot's numbers: quartiles (NumPy's linear rule) and Tukey's fences clipped to the data. */
export interface BoxStats {
  q1: number;
  median: number;
  q3: number;
  /** The smallest value ≥ q1 − 1.5·IQR. */
  lowerFence: number;
  /** The largest value ≤ q3 + 1.5·IQR. */
  upperFence: number;
  count: number;
}

export function boxStats(values: ArrayLike<number>): BoxStats {
  const sorted = Float64Array.from(values).sort();
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const iqr = q3 - q1;
  let lowerFence = NaN;
  let upperFence = NaN;
  for (const v of sorted) {
    if (v >= q1 - 1.5 * iqr) {
      lowerFence = v;
      break;
    }
  }
  for (let i = sorted.length - 1; i >= 0; i--) {
    if (sorted[i] <= q3 + 1.5 * iqr) {
      upperFence = sorted[i];
      break;
    }
  }
  return { q1, median: quantile(sorted, 0.5), q3, lowerFence, upperFence, count: sorted.length };
}

/**
 * The `top` groups (families or genera) with the most images, largest first, each with the box
 * statistics of its classes' sizes (classes without images left out).
 */
export function groupSpread(
  groupOfClass: Int32Array,
  groupImages: Int32Array,
  sizes: Int32Array,
  top: number,
): { groups: number[]; boxes: BoxStats[] } {
  const groups = Array.from(groupImages.keys())
    .filter((g) => groupImages[g] > 0)
    .sort((a, b) => groupImages[b] - groupImages[a] || a - b)
    .slice(0, top);
  const slot = new Map(groups.map((g, k) => [g, k]));
  const members: number[][] = groups.map(() => []);
  for (let c = 0; c < sizes.length; c++) {
    const k = slot.get(groupOfClass[c]);
    if (k !== undefined && sizes[c] > 0) members[k].push(sizes[c]);
  }
  return { groups, boxes: members.map(boxStats) };
}

/** What every view of a dataset starts from, computed once where the dataset is read (a worker). */
export interface DatasetSummary {
  sizes: Int32Array;
  byClass: ImagesByClass;
  overview: OverviewStats;
}

export function summarizeDataset(train: DatasetColumns): DatasetSummary {
  const sizes = classSizes(train.imageClass, train.classCategoryId.length);
  return { sizes, byClass: imagesByClass(train.imageClass, sizes.length), overview: overviewStats(train, sizes) };
}

/** Buffers of a DatasetSummary, for postMessage's transfer list. */
export function summaryTransferables(summary: DatasetSummary | null): ArrayBuffer[] {
  return summary ? [summary.sizes.buffer, summary.byClass.start.buffer, summary.byClass.images.buffer] as ArrayBuffer[] : [];
}
