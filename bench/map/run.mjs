#!/usr/bin/env node
/**
 * Map benchmark at Herbarium scale: 1,050,179 synthetic 96-d embeddings (839,772 train in
 * 15,501 long-tailed classes of 1..80 images + 210,407 unlabelled test rows), run through the
 * app's own code (bundled with rolldown) as the embed worker runs it, each beside a NumPy anchor
 * on the same rows in the same run:
 *  1. PCA (pcaMap: covariance pass over unit rows with the JS Gram kernel, eigen, projection)
 *     against NumPy (normalise, np.cov, eigh, project); the first axes compared;
 *  2. UMAP (umapMap: a stratified sample of UMAP_FIT_LIMIT fitted with umap-js, the rest placed);
 *  3. one exact k-NN query (k = 12) against NumPy's matrix-vector product + argpartition;
 *  4. the drawing: bench/map/render/run.mjs (regl-scatterplot against plotly's scattergl in
 *     headless Chromium), unless --no-render.
 *   npm run bench:map            (= node bench/map/run.mjs)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bulletLines, machineInfo, machineLines, median, parseBenchArgs, sectionHead, sectionMarkers, writeSection } from '../lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseBenchArgs({
  script: 'bench/map/run.mjs',
  summary: 'PCA, UMAP, one k-NN query and the drawing of the embedding map at Herbarium scale, beside NumPy.',
  options: {
    repeats: { type: 'string', default: '3', help: 'repeats of PCA and of the k-NN query (median reported)' },
    points: { type: 'string', default: '1050179', help: 'points (train + test)' },
    'no-render': { type: 'boolean', help: 'skip the Chromium drawing benchmark' },
    'render-from': { type: 'string', help: 'use a stored result of bench/map/render/run.mjs (its JSON) instead of running it' },
    'no-write': { type: 'boolean', help: 'print the section without writing BENCHMARKS.md' },
  },
});
const repeats = Number(args.repeats);
const N = Number(args.points);
const D = 96;
const N_TEST = Math.round((N * 210_407) / 1_050_179);
const N_TRAIN = N - N_TEST;
const PY = process.env.PYTHON || '/usr/bin/python3';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltl-map-'));

async function bundle() {
  const { build } = await import('rolldown');
  await build({ input: path.join(root, 'bench', 'map', 'entry.ts'), platform: 'node', logLevel: 'silent', output: { dir, format: 'esm', entryFileNames: 'entry.mjs' } });
  return import(pathToFileURL(path.join(dir, 'entry.mjs')).href);
}
const app = await bundle();

// Long-tailed classes of 1..80 images until the train rows are used up; centres + noise.
const random = app.mulberry32(7);
const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const classOf = new Int32Array(N).fill(-1);
let classes = 0;
for (let i = 0; i < N_TRAIN; classes++) {
  const size = Math.max(1, Math.min(80, Math.round(80 * Math.pow(random(), 3))));
  for (let k = 0; k < size && i < N_TRAIN; k++) classOf[i++] = classes;
}
const centres = new Float32Array(classes * D);
for (let j = 0; j < centres.length; j++) centres[j] = gauss();
const rows = new Float32Array(N * D);
for (let i = 0; i < N; i++) {
  const c = classOf[i] >= 0 ? classOf[i] : Math.floor(random() * classes);
  for (let j = 0; j < D; j++) rows[i * D + j] = centres[c * D + j] + 0.7 * gauss();
}
const rawFile = path.join(dir, 'rows.f32');
fs.writeFileSync(rawFile, Buffer.from(rows.buffer));
const unit = app.normalizeRows(rows.slice(), N, D);
const source = {
  count: N,
  dim: D,
  classOf,
  readPoints(points) {
    const out = new Float32Array(points.length * D);
    for (let k = 0; k < points.length; k++) out.set(unit.subarray(points[k] * D, (points[k] + 1) * D), k * D);
    return out;
  },
};
const ctx = { seed: 1, progress: () => {}, checkpoint: async () => {} };
const rssPeak = { v: 0 };
const sample = () => (rssPeak.v = Math.max(rssPeak.v, process.memoryUsage().rss));
const timer = setInterval(sample, 200);

function numpy(script, ...argv) {
  return JSON.parse(execFileSync(PY, ['-c', script, rawFile, String(N), String(D), ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim());
}

// 1. PCA
const pcaMs = [];
const npPcaMs = [];
let pca;
let pcaAgreement = NaN;
for (let r = 0; r < repeats; r++) {
  const t = performance.now();
  pca = await app.pcaMap.project(source, ctx);
  pcaMs.push(performance.now() - t);
  const np = numpy(`import sys, time, json, numpy as np
x = np.fromfile(sys.argv[1], dtype=np.float32).reshape(int(sys.argv[2]), int(sys.argv[3]))
t = time.perf_counter()
u = x / np.linalg.norm(x, axis=1, keepdims=True)
c = np.cov(u, rowvar=False)
w, v = np.linalg.eigh(c)
p = (u - u.mean(0)) @ v[:, ::-1][:, :2]
ms = (time.perf_counter() - t) * 1000
print(json.dumps({"ms": ms, "x": p[:2000, 0].tolist()}))`);
  npPcaMs.push(np.ms);
  if (r === 0) {
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < np.x.length; i++) (ab += np.x[i] * pca.x[i]), (aa += np.x[i] ** 2), (bb += pca.x[i] ** 2);
    pcaAgreement = Math.abs(ab) / Math.sqrt(aa * bb);
  }
}
sample();

// 2. UMAP (once: it takes minutes)
const t0 = performance.now();
const umap = await app.umapMap.project(source, ctx);
const umapMs = performance.now() - t0;
sample();

// 3. one k-NN query
const K = 12;
const knnMs = [];
const queries = [5, Math.floor(N / 2), N - 7];
let agree = true;
for (let r = 0; r < Math.max(repeats, 5); r++) {
  const q = queries[r % queries.length];
  const t = performance.now();
  const found = app.nearestByCosine(unit, N, D, unit.slice(q * D, (q + 1) * D), K + 1);
  knnMs.push(performance.now() - t);
  if (r < queries.length) {
    const np = numpy(`import sys, json, numpy as np
x = np.fromfile(sys.argv[1], dtype=np.float32).reshape(int(sys.argv[2]), int(sys.argv[3]))
u = x / np.linalg.norm(x, axis=1, keepdims=True)
s = u @ u[int(sys.argv[4])]
k = int(sys.argv[5])
idx = np.argpartition(-s, k)[:k]
print(json.dumps(sorted(idx.tolist())))`, String(q), String(K + 1));
    agree &&= JSON.stringify([...found.indexes].sort((a, b) => a - b)) === JSON.stringify(np);
  }
}
const npKnn = numpy(`import sys, time, json, numpy as np
x = np.fromfile(sys.argv[1], dtype=np.float32).reshape(int(sys.argv[2]), int(sys.argv[3]))
u = x / np.linalg.norm(x, axis=1, keepdims=True)
ts = []
for q in (5, len(u) // 2, len(u) - 7) * 3:
    t = time.perf_counter(); s = u @ u[q]; idx = np.argpartition(-s, 13)[:13]; ts.append((time.perf_counter() - t) * 1000)
print(json.dumps(sorted(ts)[len(ts) // 2]))`);
clearInterval(timer);
fs.rmSync(dir, { recursive: true, force: true });

let render = null;
if (!args['no-render']) {
  const { runRenderBench, renderTable } = await import('./render/run.mjs');
  render = args['render-from'] ? JSON.parse(fs.readFileSync(args['render-from'], 'utf8')) : await runRenderBench({ points: N });
  render.table = renderTable(render);
  render.from = args['render-from'] ? `stored result ${args['render-from']} (run ${render.machine?.date ?? 'earlier'} by \`node bench/map/render/run.mjs\`)` : 'this run';
}

const s = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms).toLocaleString('en-US')} ms`);
const n = (v) => v.toLocaleString('en-US');
const m = machineInfo(['date', 'commit', 'dirtyTree', 'nproc', 'cpu', 'os', 'kernel', 'chromium', 'free']);
const lines = [
  ...sectionHead('map', {
    title: 'Map: PCA, UMAP, neighbours and drawing at Herbarium scale',
    written: 'Written by `bench/map/run.mjs`; do not edit by hand between the bench:map markers.',
    command: `npm run bench:map        # node bench/map/run.mjs --repeats ${repeats} --points ${N}${args['no-render'] ? ' --no-render' : ''}${args['render-from'] ? ` --render-from ${args['render-from']}` : ''}`,
  }),
  `${n(N)} synthetic 96-d embeddings: ${n(N_TRAIN)} train rows in ${n(classes)} long-tailed classes (1..80 images) + ${n(N_TEST)} unlabelled test rows, ${n(N * D * 4)} bytes of float32. The app's own modules (bundled with rolldown) run in Node on one thread; NumPy is the anchor on the same rows in the same run.`,
  '',
  '| step | the app | anchor | ratio |',
  '| --- | ---: | ---: | ---: |',
  `| PCA of every point (normalise, covariance, eigen, project), median of ${repeats} | ${s(median(pcaMs))} | NumPy ${s(median(npPcaMs))} | ${(median(pcaMs) / median(npPcaMs)).toFixed(1)}× |`,
  `| UMAP: fit ${n(umap.fitted)} stratified points + place the other ${n(N - umap.fitted)} (once) | ${s(umapMs)} | — | — |`,
  `| one exact k-NN query (k = ${K}) over all points, median of ${knnMs.length} | ${s(median(knnMs))} | NumPy ${s(npKnn)} | ${(median(knnMs) / npKnn).toFixed(1)}× |`,
  '',
  ...bulletLines('Checks and runs', [
    `PCA's first axis against NumPy's on the first 2,000 points: |cos| = ${pcaAgreement.toFixed(6)}; ${pca.note}`,
    `UMAP: ${umap.note}`,
    `k-NN: the neighbour sets equal NumPy's for ${queries.length} queries: ${agree}`,
    `Runs (ms): PCA ${pcaMs.map(Math.round).join(', ')}; NumPy PCA ${npPcaMs.map(Math.round).join(', ')}; k-NN ${knnMs.map(Math.round).join(', ')}`,
    `Node's peak RSS over the run: ${n(Math.round(rssPeak.v / 2 ** 20))} MiB (the rows, a unit copy and the coordinates).`,
    'In the page the covariance pass uses the tfjs Gram kernel of the run\'s backend (here the JS one, the fallback on the cpu backend).',
    'No GPU machine was lent to this task (the device tool\'s status: not drawn), so the frame times below are from SwiftShader software WebGL only.',
  ]),
  ...(render ? ['', `### Drawing ${n(render.config?.points ?? N)} points in headless Chromium (bench/map/render; ${render.from})`, '', render.table] : []),
  ...machineLines(m, `Node ${process.version}`),
  sectionMarkers('map').end,
];
if (!args['no-write']) writeSection('map', lines.join('\n'));
console.log(lines.join('\n'));
