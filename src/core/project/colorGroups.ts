/**
 * The map's colours: a code per point for the chosen colouring (band, family, institution, split,
 * right/wrong), then the points ordered by group, the largest groups kept and the rest pooled as
 * "other", so a renderer draws one batch per group from subarrays (no object per point).
 */

import type { DatasetColumns } from '../dataset/types.ts';
import { SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TRAIN } from '../embed/runState.ts';
import { bandOf, type BandLimits } from '../stats/classStats.ts';

export type MapColoring = 'band' | 'family' | 'institution' | 'split' | 'correct';

export interface PointCodes {
  /** Per point: an index into `names`. */
  codes: Int32Array;
  names: string[];
}

export interface MapPoints {
  /** Per point: its slot (train images 0..N−1, then test images), split and class (−1: test). */
  slots: Int32Array;
  split: Uint8Array;
  classOf: Int32Array;
}

/**
 * Codes for a colouring. Test images have no class: for band and family they get their own
 * code, as for institution when the format has none. `correct` needs classifyCorrectness's
 * per-slot status (0 not validated, 1 right, 2 wrong).
 */
export function pointCodes(
  points: MapPoints,
  coloring: MapColoring,
  train: DatasetColumns,
  sizes: Int32Array,
  limits: BandLimits,
  correctness: Uint8Array | null,
): PointCodes {
  const n = points.slots.length;
  const codes = new Int32Array(n);
  switch (coloring) {
    case 'split': {
      for (let i = 0; i < n; i++) codes[i] = points.split[i];
      const names = [];
      names[SPLIT_TRAIN] = 'train';
      names[SPLIT_HELDOUT] = 'held-out';
      names[SPLIT_TEST] = 'test';
      return { codes, names };
    }
    case 'band': {
      const order = ['many', 'medium', 'few'] as const;
      for (let i = 0; i < n; i++) {
        const c = points.classOf[i];
        codes[i] = c < 0 ? 3 : order.indexOf(bandOf(sizes[c], limits));
      }
      return { codes, names: ['many-shot', 'medium-shot', 'few-shot', 'test (no label)'] };
    }
    case 'family': {
      const unlabelled = train.familyName.length;
      for (let i = 0; i < n; i++) {
        const c = points.classOf[i];
        codes[i] = c < 0 ? unlabelled : train.classFamily[c];
      }
      return { codes, names: [...train.familyName, 'test (no label)'] };
    }
    case 'institution': {
      const none = train.institutionName.length;
      for (let i = 0; i < n; i++) {
        const s = points.slots[i];
        const inst = s < train.imageCount ? train.imageInstitution[s] : -1;
        codes[i] = inst < 0 ? none : inst;
      }
      return { codes, names: [...train.institutionName, 'no institution'] };
    }
    case 'correct': {
      for (let i = 0; i < n; i++) codes[i] = correctness ? correctness[points.slots[i]] : 0;
      return { codes, names: ['not validated', 'right', 'wrong'] };
    }
  }
}

export interface PointGroups {
  /** Point indices ordered by group: group g is order[starts[g] .. starts[g + 1]). */
  order: Int32Array;
  starts: Int32Array;
  /** Per group: its name and its code (−1 for the pooled "other"). */
  names: string[];
  codes: Int32Array;
}

/**
 * Points grouped by code: the `maxGroups − 1` largest codes (ties to the smaller code) in code
 * order, the rest as one "other" group last; codes with no point are left out. With `only`, just
 * the points it marks (the map draws the rest grey beneath).
 */
export function groupPoints(point: PointCodes, maxGroups: number, only: Uint8Array | null = null): PointGroups {
  const { codes, names } = point;
  const counts = new Int32Array(names.length);
  for (let i = 0; i < codes.length; i++) if (!only || only[i]) counts[codes[i]]++;
  const present = [];
  for (let c = 0; c < counts.length; c++) if (counts[c] > 0) present.push(c);
  const kept = present.length <= maxGroups ? present : [...present].sort((a, b) => counts[b] - counts[a] || a - b).slice(0, maxGroups - 1).sort((a, b) => a - b);
  const groupOf = new Int32Array(names.length).fill(kept.length);
  kept.forEach((c, g) => (groupOf[c] = g));
  const pooled = present.length > kept.length;
  const groups = kept.length + (pooled ? 1 : 0);
  const starts = new Int32Array(groups + 1);
  for (let c = 0; c < counts.length; c++) if (counts[c] > 0) starts[groupOf[c] + 1] += counts[c];
  for (let g = 0; g < groups; g++) starts[g + 1] += starts[g];
  const fill = starts.slice(0, groups);
  const order = new Int32Array(starts[groups]);
  for (let i = 0; i < codes.length; i++) if (!only || only[i]) order[fill[groupOf[codes[i]]]++] = i;
  const otherCount = pooled ? present.length - kept.length : 0;
  return {
    order,
    starts,
    names: [...kept.map((c) => names[c]), ...(pooled ? [`other (${otherCount.toLocaleString('en-US')} more)`] : [])],
    codes: Int32Array.from([...kept, ...(pooled ? [-1] : [])]),
  };
}
