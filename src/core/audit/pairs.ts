/**
 * What a near pair means, from the splits of its two images, and where the page's threshold
 * starts. Held-out images are train-metadata images set aside for validation: a copy of one in
 * the train split inflates the validated scores, a copy of any train-metadata image among the
 * test images inflates the leaderboard's. Test–test pairs are not searched.
 */

import { SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TRAIN } from '../embed/runState.ts';

export type PairKind = 'duplicate' | 'leak';

/** Same split (train–train, held-out–held-out): a duplicate; train–held-out or anything–test: a leak. */
export function pairKind(splitA: number, splitB: number): PairKind | null {
  if (splitA === SPLIT_TEST && splitB === SPLIT_TEST) return null;
  if (splitA === splitB) return 'duplicate';
  if (splitA === SPLIT_TEST || splitB === SPLIT_TEST) return 'leak';
  if ((splitA === SPLIT_TRAIN && splitB === SPLIT_HELDOUT) || (splitA === SPLIT_HELDOUT && splitB === SPLIT_TRAIN)) return 'leak';
  return null;
}

/** The range the default threshold is looked for in, and the histogram's bin width. */
export const THRESHOLD_RANGE: readonly [number, number] = [0.9, 0.99];
export const THRESHOLD_BIN = 0.005;
/** Where no image has a neighbour in the range (nothing to separate). */
export const FALLBACK_THRESHOLD = 0.95;

/**
 * The starting threshold, read off the images' nearest-neighbour cosines: copies of an image
 * pile up near 1, distinct images below; the threshold goes to the middle of the emptiest stretch
 * of the histogram between 0.90 and 0.99 (the longest run of bins with the fewest images), so it
 * sits in the gap between the two wherever the data has one.
 */
export function defaultThreshold(nearestCosines: ArrayLike<number>): { threshold: number; note: string } {
  const [lo, hi] = THRESHOLD_RANGE;
  const bins = Math.round((hi - lo) / THRESHOLD_BIN);
  const counts = new Int32Array(bins);
  let inRange = 0;
  for (let i = 0; i < nearestCosines.length; i++) {
    const v = nearestCosines[i];
    if (!(v >= lo && v < hi)) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / THRESHOLD_BIN))]++;
    inRange++;
  }
  let above = 0;
  for (let i = 0; i < nearestCosines.length; i++) if (nearestCosines[i] >= hi) above++;
  if (inRange === 0 && above === 0)
    return { threshold: FALLBACK_THRESHOLD, note: `no image has a neighbour above cosine ${lo}: the threshold starts at ${FALLBACK_THRESHOLD}` };
  let min = Infinity;
  for (const c of counts) min = Math.min(min, c);
  let bestStart = 0;
  let bestLength = 0;
  for (let b = 0; b < bins; ) {
    if (counts[b] !== min) {
      b++;
      continue;
    }
    let e = b;
    while (e < bins && counts[e] === min) e++;
    if (e - b > bestLength) {
      bestLength = e - b;
      bestStart = b;
    }
    b = e;
  }
  const threshold = Math.round((lo + (bestStart + bestLength / 2) * THRESHOLD_BIN) * 1000) / 1000;
  return {
    threshold,
    note: `the middle of the emptiest stretch of the nearest-neighbour histogram between ${lo} and ${hi} (${min.toLocaleString('en-US')} images per ${THRESHOLD_BIN} bin there)`,
  };
}
