/**
 * Stratified k-fold assignment for the probe's model selection: each class's images are dealt
 * round the folds after a seeded shuffle, so every fold holds out about n_c/k of each class.
 */

import { mulberry32 } from '../random.mjs';
import { rowsByClass } from './split.ts';

export interface FoldAssignment {
  k: number;
  /** Per row: its validation fold 0..k−1, or −1 for a row that is never validated (see stratifiedKFold). */
  fold: Int8Array;
  /** Rows validated in each fold. */
  foldSizes: Int32Array;
  /** Classes with one image: kept in every training fold and never validated. */
  singletonClasses: number;
  /** Classes with 2..k−1 images: each of their images is validated in a different fold. */
  smallClasses: number;
}

/**
 * Why these rules: a class must stay in every training fold where it can, or its validation images
 * are scored by a model that never saw the class and the estimate says nothing about it. A class of
 * n ≥ k images puts ⌊n/k⌋ or ⌈n/k⌉ in each fold (≥ 1 left to train on everywhere); a class of
 * 2 ≤ n < k puts its n images in n different folds (n − 1 ≥ 1 left to train on); a class of one
 * image cannot be both learned and validated, so it is only learned from (as in the class means'
 * leave-one-out, where its own mean would not exist). The dealing starts at a seeded fold per
 * class so that small classes do not all land in fold 0.
 */
export function stratifiedKFold(labels: Int32Array, numClasses: number, k = 5, seed = 0): FoldAssignment {
  if (!(k >= 2 && k <= 127 && Number.isInteger(k))) throw new RangeError(`k must be an integer in 2..127, not ${k}`);
  const n = labels.length;
  const { start, rows } = rowsByClass(labels, numClasses);
  const rand = mulberry32(seed);
  const fold = new Int8Array(n).fill(-1);
  const foldSizes = new Int32Array(k);
  let singletonClasses = 0;
  let smallClasses = 0;
  for (let c = 0; c < numClasses; c++) {
    const lo = start[c];
    const size = start[c + 1] - lo;
    if (size === 0) continue;
    if (size === 1) {
      singletonClasses++;
      continue;
    }
    if (size < k) smallClasses++;
    for (let j = size - 1; j > 0; j--) {
      const r = Math.floor(rand() * (j + 1));
      const t = rows[lo + j];
      rows[lo + j] = rows[lo + r];
      rows[lo + r] = t;
    }
    const offset = Math.floor(rand() * k);
    for (let j = 0; j < size; j++) {
      const f = (offset + j) % k;
      fold[rows[lo + j]] = f;
      foldSizes[f]++;
    }
  }
  return { k, fold, foldSizes, singletonClasses, smallClasses };
}
