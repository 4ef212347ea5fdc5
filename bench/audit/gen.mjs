/**
 * Synthetic embeddings for bench:audit at Herbarium 2022 scale, with known problems planted.
 *
 * Classes, genera and sizes are bench/ingest/gen-herbarium.mjs's dataset model (buildModel: 15,501
 * classes of 7..80 images summing to 839,772, in 2,564 long-tailed genera, 60 institutions), the
 * train-metadata images in its order (class by class), then 210,407 test images whose classes are
 * drawn in proportion to the class sizes. Each 96-d row is
 *
 *   shared mean + genus centre + class offset + noise,   per dimension N(0, ·) with variances
 *   SHARED, GENUS, CLASS and NOISE · u (u per image, log-normal: some images are much cleaner),
 *
 * so images of one genus overlap (nearest-class-mean top-1 well below 100%) and every cosine sits
 * above zero as in real embeddings. Then, with the app's held-out split (stratifiedSplit at 0.2,
 * seed 0, on the given labels):
 *  - FLIPS label flips among the train-metadata images: the given class is another class of the
 *    same genus (half of them, where the genus has one) or a random class; the row stays its true class's;
 *  - DUPLICATES near-duplicate pairs within the train split: a train row copied over another train
 *    image of the same class, plus noise of relative size 0.02..0.14 (cosine ≈ 0.990..0.9998);
 *  - TEST_LEAKS train → test: a test row replaced by a train row plus noise 0.005..0.05;
 *  - HELDOUT_LEAKS train → held-out: a held-out image of the same class, likewise.
 * No image is in two planted problems. Deterministic: mulberry32 seeded SEED.
 */

import { buildModel } from '../ingest/gen-herbarium.mjs';
import { mulberry32 } from '../../src/core/random.mjs';

export const D = 96;
export const N_TEST = 210_407;
export const SEED = 2026;
export const PLANTED = { flips: 2000, duplicates: 2000, testLeaks: 1000, heldoutLeaks: 500 };
/** Per-dimension variances of the parts of a row (the noise's is scaled per image). */
export const VARIANCES = { shared: 0.15, genus: 0.3, class: 0.035, noise: 0.52 };
/** σ of log u, the per-image noise scale's log. */
export const NOISE_LOG_SD = 0.4;

/**
 * `stratifiedSplit(labels, numClasses, fraction, seed)`: the app's split function (passed in, so
 * this file stays plain JS). Returns every array the benchmark needs; rows are raw (not unit).
 */
export function makeAuditData({ stratifiedSplit, seed = SEED, variances = VARIANCES, noiseLogSd = NOISE_LOG_SD, planted = PLANTED } = {}) {
  const model = buildModel();
  const cats = model.categories;
  const C = cats.length;
  const nTrain = cats.reduce((s, c) => s + c.size, 0);
  const N = nTrain + N_TEST;
  const rand = mulberry32(seed);
  let spare = NaN;
  const gauss = () => {
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = NaN;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const t = 2 * Math.PI * rand();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };

  // Classes: genus index per class, the classes of each genus.
  const genusIds = [...new Set(cats.map((c) => c.genus_id))].sort((a, b) => a - b);
  const genusIndex = new Map(genusIds.map((g, i) => [g, i]));
  const classGenus = Int32Array.from(cats, (c) => genusIndex.get(c.genus_id));
  const genusClasses = genusIds.map(() => []);
  classGenus.forEach((g, c) => genusClasses[g].push(c));

  // True class per image: train metadata in order, test drawn by class size.
  const trueClass = new Int32Array(N);
  for (let c = 0, i = 0; c < C; c++) for (let k = 0; k < cats[c].size; k++) trueClass[i++] = c;
  for (let i = nTrain; i < N; i++) trueClass[i] = trueClass[Math.floor(rand() * nTrain)];

  // Rows.
  const sd = (v) => Math.sqrt(v);
  const shared = Float32Array.from({ length: D }, () => sd(variances.shared) * gauss());
  const genus = Float32Array.from({ length: genusIds.length * D }, () => sd(variances.genus) * gauss());
  const offset = Float32Array.from({ length: C * D }, () => sd(variances.class) * gauss());
  const rows = new Float32Array(N * D);
  for (let i = 0; i < N; i++) {
    const c = trueClass[i];
    const g = classGenus[c];
    const s = sd(variances.noise) * Math.exp(noiseLogSd * gauss() - (noiseLogSd * noiseLogSd) / 2);
    for (let j = 0, o = i * D; j < D; j++) rows[o + j] = shared[j] + genus[g * D + j] + offset[c * D + j] + s * gauss();
  }

  // Label flips (train metadata), before the split: the split is made from the given labels.
  const used = new Uint8Array(N);
  const given = trueClass.slice(0, nTrain);
  const flips = { image: new Int32Array(planted.flips), trueClass: new Int32Array(planted.flips), given: new Int32Array(planted.flips), sameGenus: new Uint8Array(planted.flips) };
  for (let f = 0; f < planted.flips; ) {
    const i = Math.floor(rand() * nTrain);
    if (used[i]) continue;
    const y = trueClass[i];
    const siblings = genusClasses[classGenus[y]];
    const inGenus = f % 2 === 0 && siblings.length > 1;
    let to = y;
    while (to === y) to = inGenus ? siblings[Math.floor(rand() * siblings.length)] : Math.floor(rand() * C);
    used[i] = 1;
    given[i] = to;
    flips.image[f] = i;
    flips.trueClass[f] = y;
    flips.given[f] = to;
    flips.sameGenus[f] = inGenus ? 1 : 0;
    f++;
  }
  const split = stratifiedSplit(given, C, 0.2, 0);
  const SPLIT_TRAIN = 0, SPLIT_HELDOUT = 1, SPLIT_TEST = 2;
  const slotSplit = new Uint8Array(N).fill(SPLIT_TEST);
  for (let i = 0; i < nTrain; i++) slotSplit[i] = split.heldout[i] ? SPLIT_HELDOUT : SPLIT_TRAIN;

  // Train and held-out images of each given class, for same-class copies.
  const byClass = (want) => {
    const lists = Array.from({ length: C }, () => []);
    for (let i = 0; i < nTrain; i++) if (slotSplit[i] === want) lists[given[i]].push(i);
    return lists;
  };
  const trainOf = byClass(SPLIT_TRAIN);
  const heldoutOf = byClass(SPLIT_HELDOUT);
  const copy = (from, to, lo, hi) => {
    let norm = 0;
    for (let j = 0; j < D; j++) norm += rows[from * D + j] ** 2;
    const eps = ((lo + (hi - lo) * rand()) * Math.sqrt(norm)) / Math.sqrt(D);
    for (let j = 0; j < D; j++) rows[to * D + j] = rows[from * D + j] + eps * gauss();
  };
  const pairs = { a: [], b: [], kind: [] };
  const plant = (count, kind, lo, hi, partner) => {
    for (let p = 0; p < count; ) {
      const i = Math.floor(rand() * nTrain);
      if (used[i] || slotSplit[i] !== SPLIT_TRAIN) continue;
      const j = partner(i);
      if (j < 0 || j === i || used[j]) continue;
      used[i] = used[j] = 1;
      copy(i, j, lo, hi);
      pairs.a.push(Math.min(i, j));
      pairs.b.push(Math.max(i, j));
      pairs.kind.push(kind);
      p++;
    }
  };
  const pick = (list) => (list.length ? list[Math.floor(rand() * list.length)] : -1);
  plant(planted.duplicates, 'duplicate', 0.02, 0.14, (i) => pick(trainOf[given[i]]));
  plant(planted.testLeaks, 'test leak', 0.005, 0.05, () => nTrain + Math.floor(rand() * N_TEST));
  plant(planted.heldoutLeaks, 'held-out leak', 0.005, 0.05, (i) => pick(heldoutOf[given[i]]));

  // Institutions: each class has a home institution (Zipf-weighted, as gen-herbarium's) that a
  // class-specific share of its images comes from; the rest, and the test images, from anywhere.
  const drawInstitution = () => {
    const u = rand();
    let k = 0;
    while (model.instCdf[k] < u && k < model.instCdf.length - 1) k++;
    return k;
  };
  const home = Int32Array.from({ length: C }, drawInstitution);
  const homeShare = Float32Array.from({ length: C }, () => Math.min(1, 0.2 + 1.0 * rand() ** 0.7));
  const slotInstitution = new Int32Array(N);
  for (let i = 0; i < N; i++) slotInstitution[i] = i < nTrain && rand() < homeShare[given[i]] ? home[given[i]] : drawInstitution();

  const slotClass = new Int32Array(N).fill(-1);
  slotClass.set(given);
  return {
    N,
    nTrain,
    nTest: N_TEST,
    D,
    C,
    genera: genusIds.length,
    numInstitutions: model.institutions.length,
    rows,
    trueClass,
    slotClass,
    slotSplit,
    slotInstitution,
    classGenus,
    flips,
    pairs: { a: Int32Array.from(pairs.a), b: Int32Array.from(pairs.b), kind: pairs.kind },
    heldout: split.heldoutCount,
  };
}
