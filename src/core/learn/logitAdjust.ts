/**
 * Post-hoc logit adjustment (Menon et al., "Long-tail learning via logit adjustment", ICLR 2021):
 * a classifier trained on long-tailed data learns logits ≈ log p(x|y) + log π_y + const; subtracting
 * τ·log π_y removes the prior's pull toward the head. τ = 1 gives argmax p(x|y), the Bayes rule for
 * the balanced error; τ = 0 is the plain classifier.
 */

/**
 * The default pseudo-count for a class with no train image: half an image. It keeps log π finite
 * (log 0 = −∞ would give the class +∞ after adjustment and make it win every row) and rates an
 * empty class rarer than any real one (the smallest real class has 1), but only by log 2: a
 * "tiny" 1e-9 would hand it a boost of τ·log(10⁹) ≈ 21 over a one-image class and let a class
 * the model knows nothing about win. Only zero counts get it; the others stay as counted.
 */
export const EMPTY_CLASS_PSEUDO_COUNT = 0.5;

/** log π_c = log(n_c / Σn), with `pseudoCount` standing in for n_c = 0 (in the sum too). */
export function logPrior(counts: ArrayLike<number>, pseudoCount = EMPTY_CLASS_PSEUDO_COUNT): Float32Array {
  if (!(pseudoCount > 0)) throw new RangeError(`the pseudo-count must be positive, not ${pseudoCount}`);
  let total = 0;
  for (let c = 0; c < counts.length; c++) {
    if (counts[c] < 0) throw new RangeError(`class ${c} has a negative count ${counts[c]}`);
    total += counts[c] > 0 ? counts[c] : pseudoCount;
  }
  const logTotal = Math.log(total);
  const out = new Float32Array(counts.length);
  for (let c = 0; c < counts.length; c++) out[c] = Math.log(counts[c] > 0 ? counts[c] : pseudoCount) - logTotal;
  return out;
}

/**
 * The per-class term to add to a classifier's logits: base − τ·log π (base defaults to zeros).
 * For the probe pass no base: adjusted = xW + b − τ·log π. For nearest class mean, whose logits
 * carry + log π, pass base = log π: (1 − τ)·log π.
 */
export function adjustmentBias(logPriors: Float32Array, tau: number, base?: Float32Array): Float32Array {
  if (base && base.length !== logPriors.length) throw new RangeError(`base has ${base.length} classes, the prior ${logPriors.length}`);
  const out = new Float32Array(logPriors.length);
  for (let c = 0; c < out.length; c++) out[c] = (base ? base[c] : 0) - tau * logPriors[c];
  return out;
}

/** Adjusts an [N×C] logits matrix in place: logits[i·C + c] −= τ·log π_c. Returns the same array. */
export function adjustLogits(logits: Float32Array, logPriors: Float32Array, tau: number): Float32Array {
  const c = logPriors.length;
  if (logits.length % c !== 0) throw new RangeError(`${logits.length} logits are not whole rows of ${c} classes`);
  for (let o = 0; o < logits.length; o += c) for (let j = 0; j < c; j++) logits[o + j] -= tau * logPriors[j];
  return logits;
}
