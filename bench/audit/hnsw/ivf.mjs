#!/usr/bin/env node
// The app's join (src/core/audit/cellJoin.ts, bundled with rolldown) on one data set, every point
// both database and wanting neighbours, floor 0.9; prints one JSON line (times, recall, peak RSS).
//   node bench/audit/hnsw/ivf.mjs 50000 js|tf [probe, default the app's 4]
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DIM, FLOOR, key, loadRows, peakRssMiB, score } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const n = Number(process.argv[2] ?? 50000);
const kernel = process.argv[3] ?? 'js';
const probe = process.argv[4] ? Number(process.argv[4]) : undefined;

// The bundle is made in another process (bundle.mjs), so that rolldown's memory stays out of the peak RSS.
const bundle = path.join(process.env.HNSW_BENCH_DATA || '/tmp/ltl-hnsw-data', 'ivf-entry.cjs');
if (!fs.existsSync(bundle)) execFileSync(process.execPath, [path.join(here, 'bundle.mjs'), bundle], { stdio: 'ignore' });
const app = createRequire(import.meta.url)(bundle);

let dot = app.jsBlockDot;
let wasmInfo;
if (kernel === 'tf') {
  app.setWasmPaths(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/');
  if (!(await app.tf.setBackend('wasm'))) throw new Error('tfjs wasm backend did not start');
  await app.tf.ready();
  dot = app.tfBlockDot;
  wasmInfo = { simd: await app.tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: app.getThreadsCount() };
}
const rows = loadRows(n);
const ones = new Uint8Array(n).fill(1);
const stages = [];
let stage = '';
const t0 = performance.now();
const res = await app.cellJoin(
  { rows, count: n, dim: DIM, inDatabase: ones, wantNeighbours: ones },
  { floor: 0.9, seed: 1, dot, probe, progress: (s) => s !== stage && (stages.push([(stage = s), performance.now() - t0])) },
);
const total = (performance.now() - t0) / 1000;
// "Build" = clustering + placing (what an index costs before the first query); the join is the query.
const joinStart = stages.find(([s]) => s.startsWith('comparing'))?.[1] ?? 0;
const found = new Set();
for (let i = 0; i < res.pairs.a.length; i++) if (res.pairs.cosine[i] >= FLOOR - 1e-4) found.add(key(res.pairs.a[i], res.pairs.b[i], n));
console.log(JSON.stringify({
  n, method: `cellJoin (${kernel === 'tf' ? 'tfjs-wasm matmul' : 'jsBlockDot'}${probe ? `, probe ${probe}` : ''})`,
  backend: kernel === 'tf' ? app.tf.getBackend() : 'js', wasmInfo,
  buildS: joinStart / 1000, queryS: total - joinStart / 1000, totalS: total,
  cells: res.cells, comparisons: res.comparisons, pairsAt0_9: res.pairs.a.length, floorEnd: res.floor,
  ...score(n, found, res.nearestIndex), peakRssMiB: peakRssMiB(),
}));
