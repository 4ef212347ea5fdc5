// Shared by the hnsw-vs-ivf scripts: the data files, the truth, recall, peak memory.
import fs from 'node:fs';
import path from 'node:path';

export const DIM = 96;
export const FLOOR = 0.95; // the pairs scored
export const dataDir = (n) => path.join(process.env.HNSW_BENCH_DATA || '/tmp/ltl-hnsw-data', String(n));

const readTyped = (file, Type) => {
  const b = fs.readFileSync(file);
  return new Type(b.buffer, b.byteOffset, b.byteLength / Type.BYTES_PER_ELEMENT);
};
export const loadRows = (n) => readTyped(path.join(dataDir(n), 'rows.f32'), Float32Array);
export const loadInt = (n, name) => readTyped(path.join(dataDir(n), `${name}.i32`), Int32Array);

/** A pair (a < b) as one number key. */
export const key = (a, b, n) => (a < b ? a * n + b : b * n + a);

/**
 * Recall of a method's pairs (set of keys, cosine ≥ FLOOR) against brute force on the query sample
 * (truth.i32: a, b pairs with a in the sample) and against all planted copies (planted.i32: source, copy).
 * Also the share of sample queries whose nearest neighbour the method got right (truth nn.i32).
 */
export function score(n, found, nearestIndex) {
  const truth = loadInt(n, 'truth');
  const planted = loadInt(n, 'planted');
  const sample = loadInt(n, 'sample');
  const nn = loadInt(n, 'nn');
  let hit = 0;
  for (let i = 0; i < truth.length; i += 2) if (found.has(key(truth[i], truth[i + 1], n))) hit++;
  let plantedHit = 0;
  for (let i = 0; i < planted.length; i += 2) if (found.has(key(planted[i], planted[i + 1], n))) plantedHit++;
  let nnHit = 0;
  for (let s = 0; s < sample.length; s++) if (nearestIndex[sample[s]] === nn[s]) nnHit++;
  return {
    truthPairs: truth.length / 2,
    recall: hit / (truth.length / 2),
    plantedPairs: planted.length / 2,
    plantedRecall: plantedHit / (planted.length / 2),
    nnAccuracy: nnHit / sample.length,
  };
}

export const peakRssMiB = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
