/**
 * The audit's lists as the page shows and downloads them: pairs above the threshold (the list is
 * sorted by cosine, so that is a prefix), split into duplicates and leaks; the CSVs of the
 * contract; and what "drop these from train" leaves out.
 */

import { csvField } from '../formats/csv.ts';
import { splitNames, SPLIT_HELDOUT, SPLIT_TRAIN } from '../embed/runState.ts';
import { float32Text } from '../project/mapCsv.ts';
import { pairKind, type PairKind } from './pairs.ts';

export interface SlotPairs {
  a: Int32Array;
  b: Int32Array;
  cosine: Float32Array;
  identical: Uint8Array;
}

/** How many pairs (a prefix of the list, most similar first) have a cosine ≥ threshold. */
export function pairsAbove(pairs: SlotPairs, threshold: number): number {
  let lo = 0;
  let hi = pairs.cosine.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pairs.cosine[mid] >= threshold) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Indexes of the pairs above the threshold of one kind (or either), optionally touching class `classIndex`. */
export function pairsOfKind(pairs: SlotPairs, threshold: number, slotSplit: Uint8Array, kind: PairKind | null, classOf?: (slot: number) => number, classIndex?: number | null): Int32Array {
  const n = pairsAbove(pairs, threshold);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = pairKind(slotSplit[pairs.a[i]], slotSplit[pairs.b[i]]);
    if (k === null || (kind !== null && k !== kind)) continue;
    if (classIndex != null && classOf && classOf(pairs.a[i]) !== classIndex && classOf(pairs.b[i]) !== classIndex) continue;
    out.push(i);
  }
  return Int32Array.from(out);
}

export const DUPLICATES_CSV_HEADER = 'image_id_a,image_id_b,cosine,split_a,split_b';
export const LABEL_ISSUES_CSV_HEADER = 'image_id,given_category_id,suggested_category_id,score';
export const SHORTCUTS_CSV_HEADER = 'category_id,institution_id,share,images';

/** duplicates.csv: every pair above the threshold (duplicates and leaks), most similar first, as Blob parts. */
export function* duplicatesCsvChunks(pairs: SlotPairs, threshold: number, slotSplit: Uint8Array, imageId: (slot: number) => string, rowsPerChunk = 20_000): Generator<string> {
  yield DUPLICATES_CSV_HEADER + '\r\n';
  const n = pairsAbove(pairs, threshold);
  let lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = pairs.a[i];
    const b = pairs.b[i];
    if (pairKind(slotSplit[a], slotSplit[b]) === null) continue;
    lines.push(`${csvField(imageId(a))},${csvField(imageId(b))},${float32Text(pairs.cosine[i])},${splitNames[slotSplit[a]]},${splitNames[slotSplit[b]]}\r\n`);
    if (lines.length === rowsPerChunk) {
      yield lines.join('');
      lines = [];
    }
  }
  if (lines.length) yield lines.join('');
}

/** label-issues.csv, most suspicious first. */
export function* labelIssuesCsvChunks(issues: { slot: Int32Array; given: Int32Array; suggested: Int32Array; score: Float32Array }, imageId: (slot: number) => string, categoryId: (classIndex: number) => number): Generator<string> {
  yield LABEL_ISSUES_CSV_HEADER + '\r\n';
  const lines: string[] = [];
  for (let i = 0; i < issues.slot.length; i++)
    lines.push(`${csvField(imageId(issues.slot[i]))},${categoryId(issues.given[i])},${categoryId(issues.suggested[i])},${float32Text(issues.score[i])}\r\n`);
  yield lines.join('');
}

/** shortcuts.csv: one row per listed class, in the list's order. */
export function shortcutsCsv(classes: Int32Array, concentration: { mainInstitution: Int32Array; share: Float64Array; images: Int32Array }, categoryId: (c: number) => number, institutionId: (i: number) => number): string {
  const lines = [SHORTCUTS_CSV_HEADER];
  for (const c of classes) lines.push(`${categoryId(c)},${institutionId(concentration.mainInstitution[c])},${float32Text(Math.fround(concentration.share[c]))},${concentration.images[c]}`);
  return lines.join('\r\n') + '\r\n';
}

/**
 * What "drop these from train" leaves out: every label-issue candidate; of each near-duplicate
 * pair within a split, the second image (one copy stays); of each train–held-out leak, the
 * held-out image (it would be validated on a copy of a fitted one). Train–test leaks stay: the
 * test set is what it is, and the copy in train does the submission no harm. Ascending slots.
 */
export function slotsToDrop(pairs: SlotPairs, threshold: number, slotSplit: Uint8Array, labelIssueSlots: Int32Array): Int32Array {
  const drop = new Set<number>(labelIssueSlots);
  const n = pairsAbove(pairs, threshold);
  for (let i = 0; i < n; i++) {
    const a = pairs.a[i];
    const b = pairs.b[i];
    const sa = slotSplit[a];
    const sb = slotSplit[b];
    if (sa === sb && (sa === SPLIT_TRAIN || sa === SPLIT_HELDOUT)) drop.add(Math.max(a, b));
    else if (sa === SPLIT_TRAIN && sb === SPLIT_HELDOUT) drop.add(b);
    else if (sa === SPLIT_HELDOUT && sb === SPLIT_TRAIN) drop.add(a);
  }
  return Int32Array.from(drop).sort();
}
