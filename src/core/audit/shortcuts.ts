/**
 * Institution shortcuts. In a herbarium a class whose sheets all come from one institution can
 * be learnt from the paper, the stamp and the mounting instead of the plant, and then fails on
 * sheets from elsewhere. Two readings: how concentrated each class is (its main institution's
 * share of its images), and, from the validated predictions, whether images from a class's main
 * institution are recognised more often than its images from other institutions.
 */

/** Per class: its main institution (most images; ties to the lower index), that one's share, and images with a known institution. */
export interface InstitutionConcentration {
  mainInstitution: Int32Array;
  share: Float64Array;
  images: Int32Array;
  /** Distinct institutions per class. */
  institutions: Int32Array;
}

export function institutionConcentration(imageClass: Int32Array, imageInstitution: Int32Array, numClasses: number, numInstitutions: number): InstitutionConcentration {
  const mainInstitution = new Int32Array(numClasses).fill(-1);
  const share = new Float64Array(numClasses);
  const images = new Int32Array(numClasses);
  const institutions = new Int32Array(numClasses);
  if (numInstitutions === 0) return { mainInstitution, share, images, institutions };
  // Images sorted by (class, institution), so no class × institution table is held.
  const order = Int32Array.from({ length: imageClass.length }, (_, i) => i).filter((i) => imageClass[i] >= 0 && imageInstitution[i] >= 0);
  order.sort((p, q) => imageClass[p] - imageClass[q] || imageInstitution[p] - imageInstitution[q]);
  const bestCount = new Int32Array(numClasses);
  for (let r = 0; r < order.length; ) {
    const c = imageClass[order[r]];
    const inst = imageInstitution[order[r]];
    let end = r;
    while (end < order.length && imageClass[order[end]] === c && imageInstitution[order[end]] === inst) end++;
    const n = end - r;
    images[c] += n;
    institutions[c]++;
    if (n > bestCount[c]) {
      bestCount[c] = n;
      mainInstitution[c] = inst;
    }
    r = end;
  }
  for (let c = 0; c < numClasses; c++) share[c] = images[c] > 0 ? bestCount[c] / images[c] : 0;
  return { mainInstitution, share, images, institutions };
}

/** Shortcut classes: main share ≥ minShare and at least minImages images; by share, then images (both descending), then class. */
export function shortcutClasses(concentration: Pick<InstitutionConcentration, 'share' | 'images'>, minShare: number, minImages: number): Int32Array {
  const { share, images } = concentration;
  const out: number[] = [];
  for (let c = 0; c < share.length; c++) if (images[c] >= minImages && share[c] >= minShare - 1e-12) out.push(c);
  return Int32Array.from(out).sort((p, q) => share[q] - share[p] || images[q] - images[p] || p - q);
}

/** Defaults: 90% of a class's images from one institution, over at least 5 images (fewer say little about a pattern). */
export const SHORTCUT_MIN_SHARE = 0.9;
export const SHORTCUT_MIN_IMAGES = 5;

export interface InstitutionAccuracy {
  /** Classes with validated images both from their main institution and from another. */
  classes: number;
  /** Over those classes, the mean per-class accuracy on images from the main institution and on the others. */
  mainAccuracy: number;
  otherAccuracy: number;
  mainImages: number;
  otherImages: number;
}

/**
 * Validated accuracy on a class's images from its main institution against its images from other
 * institutions, averaged over the classes that have both (a class-balanced comparison, so the
 * head does not decide it). `right`: per image 1 right, 0 wrong, −1 not validated.
 */
export function accuracyByInstitution(imageClass: Int32Array, imageInstitution: Int32Array, right: Int8Array, concentration: Pick<InstitutionConcentration, 'mainInstitution'>): InstitutionAccuracy {
  const c = concentration.mainInstitution.length;
  const hits = [new Int32Array(c), new Int32Array(c)];
  const totals = [new Int32Array(c), new Int32Array(c)];
  for (let i = 0; i < imageClass.length; i++) {
    const y = imageClass[i];
    if (y < 0 || imageInstitution[i] < 0 || right[i] < 0) continue;
    const side = imageInstitution[i] === concentration.mainInstitution[y] ? 0 : 1;
    totals[side][y]++;
    hits[side][y] += right[i];
  }
  let classes = 0;
  let main = 0;
  let other = 0;
  let mainImages = 0;
  let otherImages = 0;
  for (let y = 0; y < c; y++) {
    if (totals[0][y] === 0 || totals[1][y] === 0) continue;
    classes++;
    main += hits[0][y] / totals[0][y];
    other += hits[1][y] / totals[1][y];
    mainImages += totals[0][y];
    otherImages += totals[1][y];
  }
  return { classes, mainAccuracy: classes ? main / classes : NaN, otherAccuracy: classes ? other / classes : NaN, mainImages, otherImages };
}

/** Classes per bin of main-institution share: bins [0, 1/bins), …, [1 − 1/bins, 1] over classes with ≥ minImages images. */
export function shareHistogram(concentration: Pick<InstitutionConcentration, 'share' | 'images'>, bins: number, minImages: number): Int32Array {
  const out = new Int32Array(bins);
  concentration.share.forEach((s, c) => {
    if (concentration.images[c] >= minImages) out[Math.min(bins - 1, Math.floor(s * bins))]++;
  });
  return out;
}
