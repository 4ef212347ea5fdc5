#!/usr/bin/env node
/**
 * Dataset audit benchmark at Herbarium 2022 scale: 1,050,179 synthetic 96-d embeddings (839,772
 * train-metadata images in 15,501 long-tailed classes, 210,407 test images; bench/audit/gen.mjs)
 * with planted near-duplicates, train → test and train → held-out leaks and label flips, run
 * through the app's own audit modules (bundled with rolldown, as src/workers/auditHandlers.ts
 * calls them; tfjs on its WASM backend, as in the page), each beside a NumPy anchor on the same rows:
 *  1. the near-pair search (cellJoin: k-means cells, every point's cell, the join) against exact
 *     NumPy matmuls for a seeded sample of points (recall, and the brute-force time scaled to N);
 *  2. the default threshold, the planted pairs' recall at it and at 0.95, the pairs left over;
 *  3. novelty (k-th nearest labelled cosine) against NumPy's exact one for a sample of test images;
 *  4. the label pass (temperature fit, leave-one-out class-mean probabilities, confident learning)
 *     against the same probabilities in NumPy for a sample, and the planted flips' precision and recall;
 *  5. the class × institution concentration against a NumPy bincount;
 *  6. the join with the plain JavaScript block kernel on a 1-in-10 subset, beside the tfjs one.
 * The figures are stored in bench/audit/result.json; --render-from re-renders the section from it.
 *   npm run bench:audit            (= node bench/audit/run.mjs)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bulletLines, machineInfo, machineLines, median, parseBenchArgs, sectionHead, sectionMarkers, writeSection } from '../lib.mjs';
import { makeAuditData, PLANTED, VARIANCES, NOISE_LOG_SD } from './gen.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const DEFAULT_RESULT = path.join('bench', 'audit', 'result.json');
const { values: args } = parseBenchArgs({
  script: 'bench/audit/run.mjs',
  summary: 'The dataset audit (near pairs, leaks, novelty, label issues, institution concentration) at Herbarium scale, beside NumPy.',
  options: {
    repeats: { type: 'number', default: 5, help: 'repeats of the cheap steps (threshold, concentration; median reported)' },
    sample: { type: 'number', default: 5000, help: 'points checked against NumPy brute force' },
    'novelty-sample': { type: 'number', default: 2000, help: 'test points whose k-th neighbour NumPy computes exactly' },
    'label-sample': { type: 'number', default: 32768, help: 'labelled rows the NumPy label anchor scores (its time is scaled to all)' },
    'js-every': { type: 'number', default: 10, help: 'the JavaScript-kernel join runs on every n-th point (0: skip it)' },
    'no-labels': { type: 'boolean', help: 'skip the label pass' },
    result: { type: 'string', default: DEFAULT_RESULT, help: 'where the result JSON is written' },
    'render-from': { type: 'string', help: 'render the section from a stored result JSON instead of running' },
    'no-write': { type: 'boolean', help: 'print the section without writing BENCHMARKS.md' },
  },
});
const PY = process.env.PYTHON || '/usr/bin/python3';
const FLOOR = 0.9; // src/store/auditActions.ts AUDIT_FLOOR
const SEED = 1; // the page's audit seed
const SCALE_SAMPLE = 1024; // auditHandlers.ts
const LABEL_BLOCK = 1024; // auditHandlers.ts
const log = (...a) => console.error('[bench:audit]', ...a);

if (args['render-from']) {
  const result = JSON.parse(fs.readFileSync(path.resolve(root, args['render-from']), 'utf8'));
  emit(result, args['render-from']);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// The app's modules, bundled; tfjs on WASM.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltl-audit-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
async function bundle() {
  const { build } = await import('rolldown');
  // tfjs-backend-wasm's Emscripten loader reads __dirname and require in Node: an ESM bundle defines them.
  const banner =
    "import { createRequire as __ltlRequire } from 'node:module'; import { fileURLToPath as __ltlPath } from 'node:url'; import __ltlNodePath from 'node:path';" +
    ' const __filename = __ltlPath(import.meta.url); const __dirname = __ltlNodePath.dirname(__filename); const require = __ltlRequire(import.meta.url);';
  await build({ input: path.join(here, 'entry.ts'), platform: 'node', logLevel: 'silent', output: { dir, format: 'esm', entryFileNames: 'entry.mjs', banner } });
  return import(pathToFileURL(path.join(dir, 'entry.mjs')).href);
}
const app = await bundle();
const wasm = await app.startWasm(path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + path.sep, os.cpus().length);
log(`tfjs ${app.tf.version.tfjs} on ${wasm.backend}: ${wasm.threads} thread(s), SIMD ${wasm.simd}, threads supported ${wasm.multithread}`);
const maxRss = () => process.resourceUsage().maxRSS * 1024;
const loadStart = os.loadavg();

// ---------------------------------------------------------------------------------------------
// Data

let t = performance.now();
const data = makeAuditData({ stratifiedSplit: app.stratifiedSplit });
const genMs = performance.now() - t;
const { N, nTrain, D, C, rows, slotClass, slotSplit, slotInstitution, trueClass, flips, pairs: planted } = data;
log(`data: ${N} points (${nTrain} train metadata, ${data.heldout} held out, ${data.nTest} test), ${C} classes in ${data.genera} genera, in ${Math.round(genMs)} ms`);
const SPLIT = { train: app.SPLIT_TRAIN, heldout: app.SPLIT_HELDOUT, test: app.SPLIT_TEST };
// The unit rows the worker holds for the join (joinRows, or the neighbour queries' copy).
const unit = app.normalizeRows(rows.slice(), N, D);
const readRows = (slots) => {
  const out = new Float32Array(slots.length * D);
  for (let k = 0; k < slots.length; k++) out.set(rows.subarray(slots[k] * D, slots[k] * D + D), k * D);
  return out;
};
const rssAfterData = maxRss();

// The worker's checkpoint: a macrotask between blocks (counted: a page's nested setTimeout is clamped to 4 ms).
let checkpoints = 0;
const checkpoint = () => {
  checkpoints++;
  return new Promise((resolve) => setTimeout(resolve, 0));
};

// ---------------------------------------------------------------------------------------------
// 1. The near-pair search, as joinStage runs it.

const inDatabase = Uint8Array.from(slotSplit, (s) => (s === SPLIT.test ? 0 : 1));
const wantNeighbours = new Uint8Array(N).fill(1);
async function timedJoin(input, dot) {
  const marks = [];
  const c0 = checkpoints;
  let snapshots = 0;
  let cells = null;
  const t0 = performance.now();
  const join = await app.cellJoin(input, {
    floor: FLOOR,
    seed: SEED,
    dot,
    progress: (stage) => {
      if (!marks.length || marks[marks.length - 1].stage !== stage) marks.push({ stage, at: performance.now() - t0 });
    },
    checkpoint,
    // As the worker: a snapshot every 30 s (not stored here); it hands over the cells for the diagnostics.
    onSnapshot: (snap) => {
      snapshots++;
      cells = { cellOf: Int32Array.from({ length: snap.count }, (_, i) => snap.probedCells[i * snap.probe]), centroids: snap.centroids, probe: snap.probe, cells: snap.cells };
    },
  });
  const ms = performance.now() - t0;
  const at = (prefix) => marks.find((m) => m.stage.startsWith(prefix))?.at ?? NaN;
  const stages = { kmeans: at('placing') - at('clustering'), assign: at('comparing') - at('placing'), join: ms - at('comparing') };
  return { join, ms, stages, checkpoints: checkpoints - c0, snapshots, cells };
}
log('cell join (tfjs WASM) over every point …');
const full = await timedJoin({ rows: unit, count: N, dim: D, inDatabase, wantNeighbours }, app.tfBlockDot);
const { join } = full;
const rssAfterJoin = maxRss();
log(`join: ${Math.round(full.ms)} ms (${join.cells} cells, probe ${join.probe}, ${join.comparisons} dot products, ${join.pairs.a.length} pairs ≥ ${join.floor})`);

// The threshold and the novelty order (joinStage after the join), median of repeats.
const thresholdRuns = [];
let threshold;
let noveltyOrder;
for (let r = 0; r < args.repeats; r++) {
  const t1 = performance.now();
  const nearest = [];
  for (let i = 0; i < N; i++) if (inDatabase[i] && !Number.isNaN(join.nearestCosine[i])) nearest.push(join.nearestCosine[i]);
  threshold = app.defaultThreshold(nearest);
  const testPoints = [];
  for (let i = 0; i < N; i++) if (!inDatabase[i] && !Number.isNaN(join.kthCosine[i])) testPoints.push(i);
  const noveltyOf = (i) => Math.sqrt(Math.max(0, 2 - 2 * join.kthCosine[i]));
  testPoints.sort((p, q) => noveltyOf(q) - noveltyOf(p) || p - q);
  noveltyOrder = testPoints;
  thresholdRuns.push(performance.now() - t1);
}
const suggested = Math.max(threshold.threshold, FLOOR);

// The planted pairs against the join's list.
const key = (a, b) => a * 4294967296 + b;
const plantedKind = new Map();
for (let p = 0; p < planted.a.length; p++) plantedKind.set(key(planted.a[p], planted.b[p]), planted.kind[p]);
const plantedCos = new Map();
const dotUnit = (a, b) => {
  let s = 0;
  for (let j = 0; j < D; j++) s += unit[a * D + j] * unit[b * D + j];
  return s;
};
for (let p = 0; p < planted.a.length; p++) plantedCos.set(key(planted.a[p], planted.b[p]), dotUnit(planted.a[p], planted.b[p]));
const kinds = ['duplicate', 'test leak', 'held-out leak'];
const foundCos = new Map();
for (let i = 0; i < join.pairs.a.length; i++) foundCos.set(key(join.pairs.a[i], join.pairs.b[i]), join.pairs.cosine[i]);
function plantedRecall(at) {
  const out = {};
  for (const kind of kinds) {
    let total = 0;
    let found = 0;
    for (const [k, v] of plantedKind) {
      if (v !== kind) continue;
      total++;
      if ((foundCos.get(k) ?? -1) >= at) found++;
    }
    out[kind] = { found, total };
  }
  return out;
}
function otherPairs(at) {
  const out = { duplicate: 0, leak: 0, touchingPlanted: 0 };
  for (let i = 0; i < join.pairs.a.length; i++) {
    if (join.pairs.cosine[i] < at) break; // sorted, highest first
    const a = join.pairs.a[i];
    const b = join.pairs.b[i];
    if (plantedKind.has(key(a, b))) continue;
    out[app.pairKind(slotSplit[a], slotSplit[b])]++;
    if (plantedPoint[a] || plantedPoint[b]) out.touchingPlanted++;
  }
  return out;
}
const quantiles = (values, qs) => {
  const s = Float64Array.from(values).sort();
  return qs.map((q) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]);
};
const Q = [0.5, 0.9, 0.99, 0.999, 1];
const plantedPoint = new Uint8Array(N);
for (let p = 0; p < planted.a.length; p++) plantedPoint[planted.a[p]] = plantedPoint[planted.b[p]] = 1;
const naturalNearest = [];
for (let i = 0; i < N; i++) if (inDatabase[i] && !plantedPoint[i] && !Number.isNaN(join.nearestCosine[i])) naturalNearest.push(join.nearestCosine[i]);
const pairs = {
  threshold: suggested,
  thresholdNote: threshold.note,
  floorEnd: join.floor,
  listed: join.pairs.a.length,
  recallAt: { threshold: plantedRecall(suggested), 0.95: plantedRecall(0.95), floor: plantedRecall(FLOOR) },
  othersAt: { threshold: otherPairs(suggested), 0.95: otherPairs(0.95), floor: otherPairs(FLOOR) },
  plantedCos: Object.fromEntries(kinds.map((kind) => [kind, quantiles([...plantedKind].filter(([, v]) => v === kind).map(([k]) => plantedCos.get(k)), [0, 0.5, 1])])),
  naturalNearest: { q: Q, join: quantiles(naturalNearest, Q), above: { 0.9: naturalNearest.filter((v) => v >= 0.9).length, 0.95: naturalNearest.filter((v) => v >= 0.95).length, 0.99: naturalNearest.filter((v) => v >= 0.99).length }, count: naturalNearest.length },
};

// Why planted pairs are missed: their two images' cells, and where one cell ranks among the other's by centroid cosine.
const cellDiag = (() => {
  if (!full.cells) return null;
  const { cellOf, centroids, cells: K } = full.cells;
  const dbSize = new Int32Array(K);
  for (let i = 0; i < N; i++) if (inDatabase[i]) dbSize[cellOf[i]]++;
  // Where a cell ranks among a point's nearest centroids (1: its own cell): the join probes the first `probe`.
  const pointRank = (point, c2) => {
    const cos = (c) => {
      let v = 0;
      for (let j = 0; j < D; j++) v += unit[point * D + j] * centroids[c * D + j];
      return v;
    };
    const target = cos(c2);
    let rank = 0;
    for (let c = 0; c < K; c++) if (c !== c2 && (cos(c) > target || (cos(c) === target && c < c2))) rank++;
    return rank + 1;
  };
  let missed = 0;
  let sameCell = 0;
  const ranks = [];
  for (let p = 0; p < planted.a.length; p++) {
    const k2 = key(planted.a[p], planted.b[p]);
    if (foundCos.has(k2)) continue;
    missed++;
    const c1 = cellOf[planted.a[p]];
    const c2 = cellOf[planted.b[p]];
    if (c1 === c2) sameCell++;
    else ranks.push(Math.min(pointRank(planted.a[p], c2), pointRank(planted.b[p], c1)));
  }
  let plantedSplit = 0;
  for (let p = 0; p < planted.a.length; p++) if (cellOf[planted.a[p]] !== cellOf[planted.b[p]]) plantedSplit++;
  return { missed, sameCell, ranks: quantiles(ranks.length ? ranks : [NaN], [0, 0.5, 1]), plantedSplit, dbSize: quantiles(dbSize, [0, 0.5, 0.99, 1]), ideal: nDbCount() / K };
})();
function nDbCount() {
  let c = 0;
  for (let i = 0; i < N; i++) c += inDatabase[i];
  return c;
}

// ---------------------------------------------------------------------------------------------
// NumPy: brute force for a sample of points, exact novelty for a sample of test images.

function writeNpy(file, arr, shape) {
  const descr = arr instanceof Float32Array ? '<f4' : arr instanceof Float64Array ? '<f8' : arr instanceof Int32Array ? '<i4' : arr instanceof Uint8Array ? '|u1' : null;
  if (!descr) throw new Error('writeNpy: unsupported array');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, pre);
  fs.writeSync(fd, Buffer.from(header, 'latin1'));
  fs.writeSync(fd, Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
  fs.closeSync(fd);
  return file;
}
const npy = (name, arr, shape = [arr.length]) => writeNpy(path.join(dir, `${name}.npy`), arr, shape);
function numpy(job) {
  const file = path.join(dir, `job-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(job));
  return JSON.parse(execFileSync(PY, [path.join(here, 'anchor.py'), file], { encoding: 'utf8', maxBuffer: 1 << 30 }));
}
const allPoints = Int32Array.from({ length: N }, (_, i) => i);
const sampleQ = app.seededSample(allPoints, args.sample, 5).sort();
const testSlots = allPoints.filter((i) => slotSplit[i] === SPLIT.test);
const noveltyQ = app.seededSample(testSlots, args['novelty-sample'], 6).sort();
log(`NumPy: brute force for ${sampleQ.length} points and ${noveltyQ.length} test points …`);
const np1 = numpy({ rows: npy('unit', unit, [N, D]), split: npy('split', slotSplit), brute: npy('brute', sampleQ), novelty: npy('novelty', noveltyQ), floor: FLOOR, k: join.k });
fs.rmSync(path.join(dir, 'unit.npy'));
const nDb = inDatabase.reduce((s, v) => s + v, 0);

// Join recall against brute force on the sample.
const bf = np1.brute;
let exactPairs = 0;
let foundPairs = 0;
let borderline = 0;
for (let i = 0; i < bf.pairs.q.length; i++) {
  const q = bf.pairs.q[i];
  const d = bf.pairs.d[i];
  exactPairs++;
  if (foundCos.has(key(Math.min(q, d), Math.max(q, d)))) foundPairs++;
  else if (bf.pairs.cos[i] < FLOOR + 1e-5) borderline++;
}
let nnSame = 0;
let kthSame = 0;
const sampleNearest = [];
for (let i = 0; i < sampleQ.length; i++) {
  const q = sampleQ[i];
  if (Math.abs(join.nearestCosine[q] - bf.nnCos[i]) <= 1e-5) nnSame++;
  if (Math.abs(join.kthCosine[q] - bf.kthCos[i]) <= 1e-5) kthSame++;
  if (inDatabase[q] && !plantedPoint[q]) sampleNearest.push(bf.nnCos[i]);
}
const brute = {
  queries: sampleQ.length,
  database: nDb,
  ms: bf.ms,
  matmulMs: bf.matmulMs,
  exactPairs,
  foundPairs,
  borderline,
  nnSame,
  kthSame,
  exactNaturalNearest: quantiles(sampleNearest, Q),
  exactNaturalCount: sampleNearest.length,
  // Every point against every labelled image (the join's task), and the N²/2 of all pairs.
  extrapolatedMs: (bf.ms * N) / sampleQ.length,
  extrapolatedHalfSquareMs: (bf.ms * ((N * (N - 1)) / 2)) / (sampleQ.length * nDb),
};

// Novelty against exact.
function ranks(v) {
  const order = Int32Array.from(v.keys()).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && v[order[j + 1]] === v[order[i]]) j++;
    for (let t2 = i; t2 <= j; t2++) r[order[t2]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}
function spearman(a, b) {
  const ra = ranks(a);
  const rb = ranks(b);
  const m = (ra.length - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - m) * (rb[i] - m);
    da += (ra[i] - m) ** 2;
    db += (rb[i] - m) ** 2;
  }
  return num / Math.sqrt(da * db);
}
const nv = np1.novelty;
const joinKth = Array.from(noveltyQ, (q) => join.kthCosine[q]);
const topOverlap = (m) => {
  const byJoin = new Set(Int32Array.from(joinKth.keys()).sort((a, b) => joinKth[a] - joinKth[b]).slice(0, m));
  const byExact = Int32Array.from(nv.kthCos.keys()).sort((a, b) => nv.kthCos[a] - nv.kthCos[b]).slice(0, m);
  return byExact.filter((i) => byJoin.has(i)).length;
};
let kthExact = 0;
let kthMaxErr = 0;
for (let i = 0; i < noveltyQ.length; i++) {
  const e = nv.kthCos[i] - joinKth[i]; // the join can only miss neighbours: its k-th is ≤ the exact one
  if (Math.abs(e) <= 1e-5) kthExact++;
  kthMaxErr = Math.max(kthMaxErr, e);
}
// The leaked test images in the novelty order (most novel first) and by nearest cosine.
const leakedTest = [];
for (let p = 0; p < planted.a.length; p++) if (planted.kind[p] === 'test leak') leakedTest.push(planted.b[p]);
const positionInNovelty = new Map(noveltyOrder.map((s, i) => [s, i]));
const leakedPercentiles = leakedTest.map((s) => (100 * positionInNovelty.get(s)) / (noveltyOrder.length - 1));
const leastNovel1000 = new Set(noveltyOrder.slice(-leakedTest.length));
const byNearest = [...noveltyOrder].sort((p, q) => join.nearestCosine[q] - join.nearestCosine[p]);
const topNearest = new Set(byNearest.slice(0, leakedTest.length));
const novelty = {
  sample: noveltyQ.length,
  k: join.k,
  npMs: nv.ms,
  spearman: spearman(joinKth, nv.kthCos),
  top100: topOverlap(100),
  kthExact,
  kthMaxErr,
  leaked: leakedTest.length,
  leakedMedianPercentile: median(leakedPercentiles),
  leakedInLeastNovel: leakedTest.filter((s) => leastNovel1000.has(s)).length,
  leakedInTopNearest: leakedTest.filter((s) => topNearest.has(s)).length,
  testImages: noveltyOrder.length,
};

// ---------------------------------------------------------------------------------------------
// 4. The label pass, as findLabelIssues runs it.

let labels = null;
if (!args['no-labels']) {
  const sums = new app.ClassSums(C, D);
  for (let i = 0; i < N; i++) if (slotSplit[i] === SPLIT.train) sums.add(rows, slotClass[i], i * D);
  const data2 = { dim: D, numClasses: C, sums: sums.sums, counts: sums.counts };
  const logPrior = app.logPrior(sums.counts);
  const train = allPoints.filter((s) => slotSplit[s] === SPLIT.train && sums.counts[slotClass[s]] >= 2);
  const heldout = allPoints.filter((s) => slotSplit[s] === SPLIT.heldout && sums.counts[slotClass[s]] >= 1);
  const order = Int32Array.from([...train, ...heldout]);
  const total = order.length;
  const given = Int32Array.from(order, (s) => slotClass[s]);
  const k = Math.min(C, app.LABEL_TOP_K);
  log(`label pass over ${total} labelled images × ${C} classes …`);
  const t0 = performance.now();
  const method = app.ncmCosineMethod(data2);
  const kernel = app.tfDotKernel(method.components);
  const sample = app.seededSample(train, SCALE_SAMPLE, 11).sort();
  const scale = (await app.fitClassMeanScales(method, data2, readRows(sample), Int32Array.from(sample, (s) => slotClass[s]), logPrior, kernel))[0].scale;
  const scaleMs = performance.now() - t0;
  const t1 = performance.now();
  const others = app.tfOtherClassesKernel(data2, scale, logPrior, k);
  const progress = { given: new Float32Array(total), topClass: new Int32Array(total * k), topProb: new Float32Array(total * k) };
  for (let i = 0; i < total; i += LABEL_BLOCK) {
    const end = Math.min(total, i + LABEL_BLOCK);
    const part = order.subarray(i, end);
    const x = readRows(part);
    const cut = train.length - i; // splitAtFit
    const rowsIn = part.length;
    const blocks =
      cut <= 0
        ? [{ x, labels: given.subarray(i, end), inFit: false }]
        : cut >= rowsIn
          ? [{ x, labels: given.subarray(i, end), inFit: true }]
          : [
              { x: x.subarray(0, cut * D), labels: given.subarray(i, i + cut), inFit: true },
              { x: x.subarray(cut * D), labels: given.subarray(i + cut, end), inFit: false },
            ];
    const p = await app.nearestMeanProbabilities(blocks, data2, scale, logPrior, { others, k });
    progress.given.set(p.given, i);
    progress.topClass.set(p.topClass, i * k);
    progress.topProb.set(p.topProb, i * k);
    await checkpoint();
    if ((i / LABEL_BLOCK) % 100 === 0) log(`  … ${end} / ${total} (${Math.round(performance.now() - t1)} ms)`);
  }
  const probMs = performance.now() - t1;
  const t2 = performance.now();
  const issues = app.confidentLearning({ numClasses: C, k, labels: given, given: progress.given, topClass: progress.topClass, topProb: progress.topProb });
  const clMs = performance.now() - t2;
  kernel.dispose();
  others.dispose();
  const rssAfterLabels = maxRss();

  // Planted flips in the list.
  const flipOf = new Map(Array.from(flips.image, (s, f) => [s, f]));
  const listSlots = Int32Array.from(issues.row, (r) => order[r]);
  const count = (slots) => {
    let all = 0;
    let genus = 0;
    let suggestedTrue = 0;
    slots.forEach((s, j) => {
      const f = flipOf.get(s);
      if (f === undefined) return;
      all++;
      if (flips.sameGenus[f]) genus++;
      if (issues.suggested[j] === flips.trueClass[f]) suggestedTrue++;
    });
    return { all, genus, suggestedTrue };
  };
  const top = Math.min(listSlots.length, 2 * flips.image.length);
  let right = 0;
  let rightOfOthers = 0;
  let assessedOthers = 0;
  for (let r = 0; r < total; r++) {
    const s = order[r];
    const ok = progress.topClass[r * k] === trueClass[s];
    if (!flipOf.has(s)) {
      assessedOthers++;
      if (ok) rightOfOthers++;
    }
    if (ok) right++;
  }
  // NumPy: the same probabilities for a seeded sample of rows, timed; scaled to all rows.
  const rowsSample = app.seededSample(Int32Array.from({ length: total }, (_, r) => r), args['label-sample'], 12).sort();
  const slotsSample = Int32Array.from(rowsSample, (r) => order[r]);
  const np2 = numpy({
    labelRows: npy('label-rows', readRows(slotsSample), [slotsSample.length, D]),
    labelLabels: npy('label-labels', Int32Array.from(rowsSample, (r) => given[r])),
    labelInFit: npy('label-infit', Uint8Array.from(rowsSample, (r) => (r < train.length ? 1 : 0))),
    sums: npy('sums', sums.sums, [C, D]),
    counts: npy('counts', sums.counts),
    logPrior: npy('logprior', logPrior),
    scale,
    k,
  }).labels;
  let maxDiff = 0;
  let top1Same = 0;
  rowsSample.forEach((r, i) => {
    maxDiff = Math.max(maxDiff, Math.abs(progress.given[r] - np2.given[i]));
    if (progress.topClass[r * k] === np2.top1[i]) top1Same++;
  });
  const flipsSameGenus = flips.sameGenus.reduce((s, v) => s + v, 0);
  labels = {
    assessed: total,
    train: train.length,
    heldout: heldout.length,
    scale,
    scaleMs,
    probMs,
    clMs,
    blocks: Math.ceil(total / LABEL_BLOCK),
    listed: listSlots.length,
    unsure: issues.unsure,
    flips: flips.image.length,
    flipsSameGenus,
    top,
    inTop: count(listSlots.slice(0, top)),
    inList: count(listSlots),
    ncmTop1True: right / total,
    ncmTop1TrueUnflipped: rightOfOthers / assessedOthers,
    np: { rows: np2.rows, ms: np2.ms, extrapolatedMs: (np2.ms * total) / np2.rows, maxGivenDiff: maxDiff, top1Same },
    rssAfter: rssAfterLabels,
  };
  log(`label pass: scale ${scale.toFixed(2)} in ${Math.round(scaleMs)} ms, probabilities ${Math.round(probMs)} ms, CL ${Math.round(clMs)} ms; ${listSlots.length} listed`);
}

// ---------------------------------------------------------------------------------------------
// 5. Institution concentration (institutionsOf: test images' class −1).

const concClass = Int32Array.from(slotClass, (c, s) => (slotSplit[s] === SPLIT.test ? -1 : c));
const concRuns = [];
let conc;
for (let r = 0; r < args.repeats; r++) {
  const t1 = performance.now();
  conc = app.institutionConcentration(concClass, slotInstitution, C, data.numInstitutions);
  concRuns.push(performance.now() - t1);
}
const shortcut = app.shortcutClasses(conc, app.SHORTCUT_MIN_SHARE, app.SHORTCUT_MIN_IMAGES).length;
const np3 = numpy({ slotClass: npy('conc-class', concClass), slotInstitution: npy('conc-inst', slotInstitution), numClasses: C, numInstitutions: data.numInstitutions, repeats: args.repeats }).concentration;
let concSame = 0;
for (let c = 0; c < C; c++) if (np3.main[c] === conc.mainInstitution[c] && Math.abs(np3.share[c] - conc.share[c]) < 1e-12) concSame++;
const concentration = { ms: median(concRuns), runs: concRuns, npMs: np3.ms, npRuns: np3.runs, same: concSame, classes: C, shortcut, institutions: data.numInstitutions };

// ---------------------------------------------------------------------------------------------
// 6. The JavaScript block kernel on a 1-in-n subset, beside tfjs on the same subset.

let jsSubset = null;
if (args['js-every'] > 0) {
  const every = args['js-every'];
  const pick = allPoints.filter((i) => i % every === 0);
  const sub = { rows: readUnit(pick), count: pick.length, dim: D, inDatabase: Uint8Array.from(pick, (i) => inDatabase[i]), wantNeighbours: new Uint8Array(pick.length).fill(1) };
  log(`subset join: ${pick.length} points, tfjs then JavaScript …`);
  const tfRuns = [];
  let tfJoin;
  for (let r = 0; r < 3; r++) {
    tfJoin = await timedJoin(sub, app.tfBlockDot);
    tfRuns.push(tfJoin.ms);
  }
  const jsJoin = await timedJoin(sub, app.jsBlockDot);
  const tfKeys = new Set();
  for (let i = 0; i < tfJoin.join.pairs.a.length; i++) tfKeys.add(key(tfJoin.join.pairs.a[i], tfJoin.join.pairs.b[i]));
  let common = 0;
  for (let i = 0; i < jsJoin.join.pairs.a.length; i++) if (tfKeys.has(key(jsJoin.join.pairs.a[i], jsJoin.join.pairs.b[i]))) common++;
  jsSubset = {
    every,
    points: pick.length,
    tfMs: median(tfRuns),
    tfRuns,
    tfStages: tfJoin.stages,
    jsMs: jsJoin.ms,
    jsStages: jsJoin.stages,
    comparisons: tfJoin.join.comparisons,
    tfPairs: tfJoin.join.pairs.a.length,
    jsPairs: jsJoin.join.pairs.a.length,
    common,
  };
}
function readUnit(points) {
  const out = new Float32Array(points.length * D);
  for (let k = 0; k < points.length; k++) out.set(unit.subarray(points[k] * D, points[k] * D + D), k * D);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The result.

const result = {
  version: 1,
  machine: machineInfo(['date', 'commit', 'dirtyTree', 'nproc', 'cpu', 'os', 'kernel', 'chromium', 'free', 'python', 'loadAverage']),
  loadAverageAtStart: loadStart.map((x) => Math.round(x * 100) / 100),
  node: process.version,
  numpy: np1.numpy,
  tfjs: app.tf.version.tfjs,
  wasm,
  argv: process.argv.slice(2),
  config: { floor: FLOOR, seed: SEED, repeats: args.repeats, variances: VARIANCES, noiseLogSd: NOISE_LOG_SD, planted: PLANTED },
  data: { N, nTrain, heldout: data.heldout, nTest: data.nTest, D, C, genera: data.genera, institutions: data.numInstitutions, genMs, unitBytes: unit.byteLength, rawBytes: rows.byteLength },
  join: { ms: full.ms, stages: full.stages, checkpoints: full.checkpoints, snapshots: full.snapshots, cellDiag, cells: join.cells, probe: join.probe, k: join.k, comparisons: join.comparisons, halfSquare: (N * (N - 1)) / 2, perPoint: join.comparisons / N, database: nDb },
  thresholdMs: median(thresholdRuns),
  thresholdRuns,
  pairs,
  brute,
  novelty,
  labels,
  concentration,
  jsSubset,
  rss: { afterData: rssAfterData, afterJoin: rssAfterJoin, peak: maxRss() },
  checkpoints,
};
fs.writeFileSync(path.resolve(root, args.result), JSON.stringify(result, null, 1) + '\n');
log(`result → ${args.result}`);
emit(result, null);

// ---------------------------------------------------------------------------------------------
// The section.

function emit(r, from) {
  const s = (ms) => (ms == null || Number.isNaN(ms) ? 'n/a' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms).toLocaleString('en-US')} ms`);
  const n = (v) => (v == null ? 'n/a' : Math.round(v).toLocaleString('en-US'));
  const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(1)}%` : 'n/a');
  const frac = (a, b) => `${n(a)} / ${n(b)} (${pct(a, b)})`;
  const ratio = (a, b) => (a && b ? `${(a / b).toFixed(1)}×` : '—');
  const mib = (b) => `${n(b / 2 ** 20)} MiB`;
  const f3 = (v) => v.toFixed(3);
  const f4 = (v) => v.toFixed(4);
  const d = r.data;
  const j = r.join;
  const p = r.pairs;
  const b = r.brute;
  const nv = r.novelty;
  const L = r.labels;
  const c = r.concentration;
  const js = r.jsSubset;
  const rec = (at) => ['duplicate', 'test leak', 'held-out leak'].map((kind) => `${kind}s ${frac(at[kind].found, at[kind].total)}`).join('; ');
  const oth = (o) => `${n(o.duplicate + o.leak)} (${n(o.duplicate)} duplicate, ${n(o.leak)} leak; ${n(o.touchingPlanted)} of them touch a planted image)`;
  const command = `npm run bench:audit        # node bench/audit/run.mjs${r.argv.length ? ' ' + r.argv.join(' ') : ''}`;
  const timing = [
    '| step | the app (tfjs WASM in Node) | NumPy anchor | ratio |',
    '| --- | ---: | ---: | ---: |',
    `| near pairs: cellJoin over ${n(d.N)} points, once | ${s(j.ms)} | exact matmul of every point against the ${n(b.database)} labelled rows: ${s((b.matmulMs * d.N) / b.queries)} (matmul alone), ${s(b.extrapolatedMs)} with the pairs ≥ floor and the k-th neighbour; from ${n(b.queries)} points in ${s(b.matmulMs)} / ${s(b.ms)}, scaled | ${ratio((b.matmulMs * d.N) / b.queries, j.ms)} faster (${ratio(b.extrapolatedMs, j.ms)}) |`,
    `|   k-means: ${n(j.cells)} cells fitted on a sample (8 iterations) | ${s(j.stages.kmeans)} | — | |`,
    `|   every point's cell | ${s(j.stages.assign)} | — | |`,
    `|   the join (probe ${j.probe}), pairs ≥ ${r.config.floor}, k = ${j.k} neighbours | ${s(j.stages.join)} | — | |`,
    `| threshold + novelty order, median of ${r.thresholdRuns.length} | ${s(r.thresholdMs)} | — | |`,
    ...(L
      ? [
          `| label pass: temperature fit (${n(1024)} sampled train images) | ${s(L.scaleMs)} | — | |`,
          `| label pass: leave-one-out probabilities, ${n(L.assessed)} images × ${n(d.C)} classes (${n(L.blocks)} blocks of 1,024), once | ${s(L.probMs)} | ${s(L.np.extrapolatedMs)} (${n(L.np.rows)} rows in ${s(L.np.ms)}, scaled) | ${ratio(L.probMs, L.np.extrapolatedMs)} slower |`,
          `| label pass: confident learning | ${s(L.clMs)} | — | |`,
        ]
      : ['| label pass | not run (--no-labels) | | |']),
    `| institution concentration (${n(d.nTrain)} images, ${n(d.C)} classes × ${n(d.institutions)} institutions), median of ${c.runs.length} | ${s(c.ms)} | bincount ${s(c.npMs)} | ${ratio(c.ms, c.npMs)} slower |`,
    ...(js
      ? [`| cellJoin on every ${js.every}th point (${n(js.points)}): tfjs WASM (median of ${js.tfRuns.length}) / plain JS \`jsBlockDot\` (once) | ${s(js.tfMs)} / ${s(js.jsMs)} | — | JS ${ratio(js.jsMs, js.tfMs)} slower |`]
      : []),
  ];
  const quality = [
    '| figure | the app | exact / planted reference |',
    '| --- | --- | --- |',
    `| default threshold (defaultThreshold on the labelled images' nearest cosines) | ${f3(p.threshold)} | ${p.thresholdNote} |`,
    `| planted pairs found at the threshold | ${rec(p.recallAt.threshold)} | planted cosines (min / median / max): ${['duplicate', 'test leak', 'held-out leak'].map((kind) => `${kind} ${p.plantedCos[kind].map(f4).join(' / ')}`).join('; ')} |`,
    `| planted pairs found at 0.95 | ${rec(p.recallAt[0.95])} | |`,
    `| planted pairs found at the floor ${r.config.floor} | ${rec(p.recallAt.floor)} | |`,
    `| other pairs at/above the threshold | ${oth(p.othersAt.threshold)} | |`,
    `| other pairs at/above 0.95 / the floor | ${n(p.othersAt[0.95].duplicate + p.othersAt[0.95].leak)} / ${n(p.othersAt.floor.duplicate + p.othersAt.floor.leak)} | pairs listed: ${n(p.listed)} (floor at the end ${f3(p.floorEnd)}) |`,
    `| natural nearest-neighbour cosine of labelled images (not planted), quantiles ${p.naturalNearest.q.map((q) => (q === 1 ? 'max' : q)).join(' / ')} | join: ${p.naturalNearest.join.map(f4).join(' / ')} (${n(p.naturalNearest.above[0.9])} ≥ 0.9, ${n(p.naturalNearest.above[0.95])} ≥ 0.95, ${n(p.naturalNearest.above[0.99])} ≥ 0.99 of ${n(p.naturalNearest.count)}) | exact, ${n(b.exactNaturalCount)} sampled: ${b.exactNaturalNearest.map(f4).join(' / ')} |`,
    `| join recall against brute force, ${n(b.queries)} sampled points: pairs ≥ ${r.config.floor} | ${frac(b.foundPairs, b.exactPairs)}${b.borderline ? ` (${n(b.borderline)} missed within 1e-5 of the floor)` : ''} | NumPy exact matmul |`,
    `| … nearest labelled neighbour the exact one (cosine within 1e-5) | ${frac(b.nnSame, b.queries)} | |`,
    `| … ${j.k}th nearest cosine exact (within 1e-5) | ${frac(b.kthSame, b.queries)} | |`,
    ...(j.cellDiag
      ? [
          `| planted pairs missed at the floor, why | ${j.cellDiag.missed === 0 ? 'none missed' : `${n(j.cellDiag.missed)} missed: ${n(j.cellDiag.sameCell)} in one cell, the others in two cells, the other's cell ranking ${j.cellDiag.ranks.map(n).join(' / ')} (min / median / max) among each image's nearest centroids (probe ${j.probe}: its own cell + ${j.probe - 1})`} | ${n(j.cellDiag.plantedSplit)} of ${n(r.config.planted.duplicates + r.config.planted.testLeaks + r.config.planted.heldoutLeaks)} planted pairs fall in two cells |`,
          `| labelled images per cell (min / median / 99th pct / max) | ${j.cellDiag.dbSize.map(n).join(' / ')} | ${n(j.cellDiag.ideal)} if even |`,
        ]
      : []),
    `| dot products computed | ${n(j.comparisons)} (${n(j.perPoint)} a point) | N²/2 = ${n(j.halfSquare)}: ${pct(j.comparisons, j.halfSquare)}; N × labelled = ${n(d.N * j.database)}: ${pct(j.comparisons, d.N * j.database)} |`,
    `| novelty (${nv.k}th nearest labelled cosine), ${n(nv.sample)} sampled test images: Spearman vs exact | ${nv.spearman.toFixed(4)} | NumPy exact in ${s(nv.npMs)} |`,
    `| … top-100 most novel, overlap with exact | ${nv.top100} / 100 | |`,
    `| … k-th cosine exact (within 1e-5); largest shortfall | ${frac(nv.kthExact, nv.sample)}; ${nv.kthMaxErr.toFixed(4)} | |`,
    `| leaked test images in the novelty order (0 = most novel, 100 = least), median percentile | ${nv.leakedMedianPercentile.toFixed(1)}; ${n(nv.leakedInLeastNovel)} of ${n(nv.leaked)} among the ${n(nv.leaked)} least novel | by nearest cosine instead: ${n(nv.leakedInTopNearest)} of ${n(nv.leaked)} are the ${n(nv.leaked)} test images with the highest |`,
    ...(L
      ? [
          `| label-issue list length | ${n(L.listed)} of ${n(L.assessed)} assessed (${n(L.unsure)} unsure) | ${n(L.flips)} flips planted (${n(L.flipsSameGenus)} to a class of the same genus, the rest random) |`,
          `| planted flips in the top ${n(L.top)} (2 × planted): precision / recall | ${pct(L.inTop.all, L.top)} / ${pct(L.inTop.all, L.flips)} | of them same-genus ${n(L.inTop.genus)} of ${n(L.flipsSameGenus)}, random ${n(L.inTop.all - L.inTop.genus)} of ${n(L.flips - L.flipsSameGenus)}; true class suggested for ${n(L.inTop.suggestedTrue)} |`,
          `| planted flips in the whole list: precision / recall | ${pct(L.inList.all, L.listed)} / ${pct(L.inList.all, L.flips)} | same-genus ${n(L.inList.genus)} of ${n(L.flipsSameGenus)}, random ${n(L.inList.all - L.inList.genus)} of ${n(L.flips - L.flipsSameGenus)} |`,
          `| nearest-class-mean top-1 (leave-one-out, against the true class), unflipped images | ${pct(L.ncmTop1TrueUnflipped, 1)} | temperature ${L.scale.toFixed(2)} |`,
          `| p(given) against NumPy's, ${n(L.np.rows)} sampled rows: largest difference; top-1 class the same | ${L.np.maxGivenDiff.toExponential(2)}; ${frac(L.np.top1Same, L.np.rows)} | |`,
        ]
      : []),
    `| concentration: main institution and share equal NumPy's | ${frac(c.same, c.classes)} | ${n(c.shortcut)} classes ≥ 90% from one institution (≥ 5 images) |`,
    ...(js ? [`| JavaScript kernel's pairs on the subset, also in the tfjs run's | ${frac(js.common, js.jsPairs)} (tfjs ${n(js.tfPairs)}) | ${n(js.comparisons)} dot products |`] : []),
  ];
  const reading = [];
  const minRecall = (at) => Math.min(...['duplicate', 'test leak', 'held-out leak'].map((kind) => at[kind].found / at[kind].total));
  reading.push(
    `The join computes ${pct(j.comparisons, j.halfSquare)} of the N²/2 dot products and takes ${s(j.ms)} on one WASM thread, against ${s((b.matmulMs * d.N) / b.queries)} for NumPy's exact matmul alone over every point (OpenBLAS, both cores; ${s(b.extrapolatedMs)} with the thresholding and the k-th neighbour): the cells cost ${pct(b.exactPairs - b.foundPairs, b.exactPairs)} of the pairs ≥ ${r.config.floor} in the sample, and ${pct(b.queries - b.nnSame, b.queries)} of the sampled points get a nearest neighbour that is not the exact one.`,
  );
  reading.push(
    `Planted pairs: at the default threshold ${f3(p.threshold)} the lowest recall of the three kinds is ${(100 * minRecall(p.recallAt.threshold)).toFixed(1)}% (at 0.95: ${(100 * minRecall(p.recallAt[0.95])).toFixed(1)}%), with ${n(p.othersAt.threshold.duplicate + p.othersAt.threshold.leak)} other pairs above it; the natural nearest-neighbour cosines reach ${f4(p.naturalNearest.join[3])} at the 99.9th percentile, the planted pairs start at ${f4(Math.min(...['duplicate', 'test leak', 'held-out leak'].map((kind) => p.plantedCos[kind][0])))}.`,
  );
  reading.push(
    `Novelty: the join's ${nv.k}th-neighbour cosine ranks the sampled test images roughly as the exact one does (Spearman ${nv.spearman.toFixed(3)}, ${nv.top100} of the exact 100 most novel in its 100, the exact ${nv.k}th neighbour found for ${pct(nv.kthExact, nv.sample)}), and it does not single out leaked test images: one copy among ${nv.k} neighbours barely moves the ${nv.k}th (median percentile ${nv.leakedMedianPercentile.toFixed(0)}); the nearest cosine beside it does (${n(nv.leakedInTopNearest)} of ${n(nv.leaked)}).`,
  );
  if (j.cellDiag) {
    const dg = j.cellDiag;
    reading.push(
      `The cells are far from even: ${dg.dbSize[0].toLocaleString('en-US')} to ${dg.dbSize[3].toLocaleString('en-US')} labelled images (median ${n(dg.dbSize[1])}, ${n(dg.ideal)} if even), so a point meets ${n(j.perPoint)} rows where √n cells and probe ${j.probe} would give ${n(j.probe * dg.ideal)}. Each image is compared with the labelled images of the cells of its ${j.probe} nearest centroids (FAISS's nprobe, searched a cell at a time); ${dg.missed === 0 ? `every planted pair is found, ${n(dg.plantedSplit)} of them across two cells` : `of the ${n(dg.missed)} planted pairs still missed, the other image's cell ranks ${n(dg.ranks[1])}th (median) among an image's nearest centroids`}. With the cells' own neighbour cells probed instead (the first version), 114 planted pairs were missed, every one across two cells that were not centroid neighbours (median rank 69).`,
    );
  }
  if (L)
    reading.push(
      `Label flips: ${pct(L.inList.all, L.flips)} of the planted flips are in the list of ${n(L.listed)} (random flips ${pct(L.inList.all - L.inList.genus, L.flips - L.flipsSameGenus)}, same-genus ${pct(L.inList.genus, L.flipsSameGenus)}); the list is long because the classifier's own mistakes (top-1 ${pct(L.ncmTop1TrueUnflipped, 1)} on unflipped images) are candidates too. Its top ${n(L.top)} hold ${pct(L.inTop.all - L.inTop.genus, L.flips - L.flipsSameGenus)} of the random flips but ${pct(L.inTop.genus, L.flipsSameGenus)} of the same-genus ones. ${n(L.unsure)} rows (${pct(L.unsure, L.assessed)}) are counted unsure (a class outside the kept top ${10} could have passed its threshold), so at this scale the list is not provably cleanlab's. The probabilities take ${s(L.probMs)}, ${ratio(L.probMs, L.np.extrapolatedMs)} NumPy's scaled time, and agree with NumPy's to ${L.np.maxGivenDiff.toExponential(1)}.`,
    );
  const m = r.machine;
  const lines = [
    ...sectionHead('audit', {
      title: 'Audit: near pairs, leaks, novelty, label issues and institutions at Herbarium scale',
      written: 'Written by `bench/audit/run.mjs`; do not edit by hand between the bench:audit markers. Its figures are stored in `bench/audit/result.json`; `node bench/audit/run.mjs --render-from bench/audit/result.json` writes this section again from them.',
      command,
    }),
    `${n(d.N)} synthetic 96-d embeddings (bench/audit/gen.mjs): ${n(d.nTrain)} train-metadata images in ${n(d.C)} classes of 7..80 images in ${n(d.genera)} genera (bench/ingest/gen-herbarium.mjs's dataset model), ${n(d.heldout)} of them held out (the app's stratified split at 0.2), and ${n(d.nTest)} test images; each row a shared mean + genus centre + class offset + noise of a per-image scale. Planted: ${n(r.config.planted.duplicates)} near-duplicate pairs within train, ${n(r.config.planted.testLeaks)} train → test and ${n(r.config.planted.heldoutLeaks)} train → held-out leaks, ${n(r.config.planted.flips)} label flips. The app's modules run as the worker calls them (floor ${r.config.floor}, seed ${r.config.seed}), bundled with rolldown, on tfjs ${r.tfjs} WASM in Node: ${r.wasm.threads} thread, SIMD ${r.wasm.simd} (tfjs-backend-wasm runs no threads in Node; the page on this machine runs 2). NumPy ${r.numpy} on the same rows in the same run.`,
    '',
    `**The machine is shared** (2 cores; other work ran beside this run: load average ${r.loadAverageAtStart.join(', ')} at the start, ${m.loadAverage.join(', ')} at the end), so every time is a loose upper bound; cheap steps are medians of ${r.config.repeats}, the join and the label pass ran once.`,
    '',
    '### Times',
    '',
    ...timing,
    '',
    '### What it finds',
    '',
    ...quality,
    '',
    ...bulletLines('Reading', reading),
    ...bulletLines('Runs and memory', [
      `Data generation ${s(d.genMs)}; unit rows held for the join: ${mib(d.unitBytes)} (${n(d.unitBytes)} bytes); the raw rows standing in for the run's store another ${mib(d.rawBytes)}.`,
      `Node's peak RSS (process.resourceUsage().maxRSS): ${mib(r.rss.afterData)} after the data, ${mib(r.rss.afterJoin)} after the join${r.labels ? `, ${mib(r.labels.rssAfter)} after the label pass` : ''}, ${mib(r.rss.peak)} at the end.`,
      `Checkpoints (a setTimeout(0) between blocks here): ${n(j.checkpoints)} in the join, ${n(r.checkpoints)} in the whole run; a page's nested timers are clamped to ≥ 4 ms (${s(4 * j.checkpoints)} over the join if each yielded), which is why the worker yields to its event loop at most every 50 ms (auditHandlers.ts).`,
      `Runs (ms): threshold + novelty order ${r.thresholdRuns.map(Math.round).join(', ')}; concentration ${c.runs.map((x) => x.toFixed(1)).join(', ')}; NumPy concentration ${c.npRuns.map((x) => x.toFixed(1)).join(', ')}${js ? `; subset tfjs join ${js.tfRuns.map(Math.round).join(', ')} (k-means ${s(js.tfStages.kmeans)}, cells ${s(js.tfStages.assign)}, join ${s(js.tfStages.join)}), JavaScript ${Math.round(js.jsMs)} (k-means ${s(js.jsStages.kmeans)}, cells ${s(js.jsStages.assign)}, join ${s(js.jsStages.join)})` : ''}.`,
      ...(from ? [`Rendered from the stored result ${from} (run ${m.date}).`] : []),
    ]),
    ...machineLines(m, `- Node ${r.node}; ${m.python}; tfjs ${r.tfjs} (wasm backend, ${r.wasm.threads} thread, SIMD ${r.wasm.simd})`),
    sectionMarkers('audit').end,
  ];
  if (!args['no-write']) writeSection('audit', lines.join('\n'), { after: 'map' });
  console.log(lines.join('\n'));
}
