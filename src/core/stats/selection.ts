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
  | { kind: 'band'; band: Band }
  /** A lasso or box on the map: the slots it took (train images are slots 0..N−1, test images follow). */
  | { kind: 'map'; id: number; slots: Int32Array; label: string };

export function sameChip(a: FilterChip, b: FilterChip): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'band') return a.band === (b as typeof a).band;
  if (a.kind === 'map') return a.id === (b as typeof a).id;
  return a.index === (b as typeof a).index;
}

/** The train images the map chips took (any of them), or null when there is no map chip. */
export function mapImageMask(imageCount: number, chips: FilterChip[]): Uint8Array | null {
  const maps = chips.filter((c): c is Extract<FilterChip, { kind: 'map' }> => c.kind === 'map');
  if (!maps.length) return null;
  const mask = new Uint8Array(imageCount);
  for (const chip of maps) for (const slot of chip.slots) if (slot < imageCount) mask[slot] = 1;
  return mask;
}

/** Whether a train image passes the image-level chips (institution, map); null when none is set. */
export type ImageAccept = (image: number) => boolean;

export function imageAccept(train: DatasetColumns, chips: FilterChip[]): ImageAccept | null {
  const institutions = institutionSet(chips);
  const mask = mapImageMask(train.imageCount, chips);
  if (!institutions && !mask) return null;
  return (image) => (!institutions || institutions.has(train.imageInstitution[image])) && (!mask || mask[image] === 1);
}

/**
 * Which classes pass the chips: chips of one kind are alternatives (OR), kinds combine (AND).
 * Classes without images never pass. Institution and map chips filter images (a class passes a
 * map chip when it has a selected image).
 */
export function classMask(train: DatasetColumns, sizes: Int32Array, limits: BandLimits, chips: FilterChip[]): Uint8Array {
  const mask = new Uint8Array(sizes.length);
  const of = <K extends FilterChip['kind']>(kind: K) => chips.filter((c): c is Extract<FilterChip, { kind: K }> => c.kind === kind);
  const classes = new Set(of('class').map((c) => c.index));
  const genera = new Set(of('genus').map((c) => c.index));
  const families = new Set(of('family').map((c) => c.index));
  const bands = new Set(of('band').map((c) => c.band));
  // With a map selection, only classes with a selected image.
  const mapped = mapImageMask(train.imageCount, chips);
  const selectedIn = mapped ? new Uint8Array(sizes.length) : null;
  if (mapped && selectedIn) for (let i = 0; i < mapped.length; i++) if (mapped[i]) selectedIn[train.imageClass[i]] = 1;
  for (let c = 0; c < sizes.length; c++) {
    if (sizes[c] === 0) continue;
    if (selectedIn && !selectedIn[c]) continue;
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
 * images of `classes` that `accept` takes (any when null); in draw order.
 */
export function sampleImages(
  byClass: ImagesByClass,
  classes: ArrayLike<number>,
  accept: ImageAccept | null,
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
      if (accept && !accept(image)) continue;
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

/**
 * Which map points the chips select (the map highlights them), or null when no chip is set.
 * A train point passes as its image would in the grid; a test point (no class, no institution
 * here) passes only the map chips, and only when no class-level or institution chip is set.
 */
export function pointHighlight(
  slots: Int32Array,
  train: DatasetColumns,
  sizes: Int32Array,
  limits: BandLimits,
  chips: FilterChip[],
): Uint8Array | null {
  if (!chips.length) return null;
  const classes = classMask(train, sizes, limits, chips);
  const accept = imageAccept(train, chips);
  const testsCanPass = chips.every((c) => c.kind === 'map');
  const mapSlots = chips.some((c) => c.kind === 'map') ? new Set(chips.flatMap((c) => (c.kind === 'map' ? Array.from(c.slots) : []))) : null;
  const out = new Uint8Array(slots.length);
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    if (s < train.imageCount) out[i] = classes[train.imageClass[s]] && (!accept || accept(s)) ? 1 : 0;
    else out[i] = testsCanPass && (!mapSlots || mapSlots.has(s)) ? 1 : 0;
  }
  return out;
}
