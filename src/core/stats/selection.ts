/**
 * Filters (the chips above the sample grid) and random samples of the images they select,
 * straight from the columns: nothing builds one object per image.
 */

import type { DatasetColumns } from '../dataset/types.ts';
import { mulberry32 } from '../random.mjs';
import { bandOf, type Band, type BandLimits } from './classStats.ts';
import type { ImagesByClass } from './distribution.ts';

export type FilterChip =
  | { kind: 'class'; index: number }
  | { kind: 'genus'; index: number }
  | { kind: 'family'; index: number }
  | { kind: 'institution'; index: number }
  | { kind: 'band'; band: Band };

export function sameChip(a: FilterChip, b: FilterChip): boolean {
  if (a.kind !== b.kind) return false;
  return a.kind === 'band' ? a.band === (b as typeof a).band : a.index === (b as typeof a).index;
}

/**
 * Which classes pass the chips: chips of one kind are alternatives (OR), kinds combine (AND).
 * Classes without images never pass. Institution chips filter images, not classes.
 */
export function classMask(train: DatasetColumns, sizes: Int32Array, limits: BandLimits, chips: FilterChip[]): Uint8Array {
  const mask = new Uint8Array(sizes.length);
  const of = <K extends FilterChip['kind']>(kind: K) => chips.filter((c): c is Extract<FilterChip, { kind: K }> => c.kind === kind);
  const classes = new Set(of('class').map((c) => c.index));
  const genera = new Set(of('genus').map((c) => c.index));
  const families = new Set(of('family').map((c) => c.index));
  const bands = new Set(of('band').map((c) => c.band));
  for (let c = 0; c < sizes.length; c++) {
    if (sizes[c] === 0) continue;
    if (classes.size && !classes.has(c)) continue;
    if (genera.size && !genera.has(train.classGenus[c])) continue;
    if (families.size && !families.has(train.classFamily[c])) continue;
    if (bands.size && !bands.has(bandOf(sizes[c], limits))) continue;
    mask[c] = 1;
  }
  return mask;
}

export function institutionSet(chips: FilterChip[]): Set<number> | null {
  const set = new Set(chips.flatMap((c) => (c.kind === 'institution' ? [c.index] : [])));
  return set.size ? set : null;
}

/** Indices of the classes that pass, ascending. */
export function passingClasses(mask: Uint8Array): Int32Array {
  let n = 0;
  for (let c = 0; c < mask.length; c++) n += mask[c];
  const out = new Int32Array(n);
  for (let c = 0, k = 0; c < mask.length; c++) if (mask[c]) out[k++] = c;
  return out;
}

/**
 * Up to `count` images drawn uniformly without replacement (reservoir sampling, seeded) from the
 * images of `classes` whose institution is in `institutions` (any when null); in draw order.
 */
export function sampleImages(
  train: DatasetColumns,
  byClass: ImagesByClass,
  classes: ArrayLike<number>,
  institutions: Set<number> | null,
  count: number,
  seed: number,
): Int32Array {
  const rand = mulberry32(seed);
  const reservoir = new Int32Array(count);
  let seen = 0;
  for (let k = 0; k < classes.length; k++) {
    const c = classes[k];
    for (let j = byClass.start[c]; j < byClass.start[c + 1]; j++) {
      const image = byClass.images[j];
      if (institutions && !institutions.has(train.imageInstitution[image])) continue;
      if (seen < count) reservoir[seen] = image;
      else {
        const r = Math.floor(rand() * (seen + 1));
        if (r < count) reservoir[r] = image;
      }
      seen++;
    }
  }
  return reservoir.slice(0, Math.min(seen, count));
}
