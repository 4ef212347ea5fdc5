#!/usr/bin/env node
// hnswlib-wasm 0.8.2 on one data set: build (M 16, efConstruction 200, inner product on the unit
// rows), then a k-NN search for every point at each ef, keeping the pairs with cosine ≥ 0.95 among
// the results; prints one JSON line per ef (times, recall, peak RSS).
// hnswlib-wasm is not a dependency of the app: install it elsewhere (HNSWLIB_DIR, default
// /tmp/hnsw-try, where `npm i hnswlib-wasm@0.8.2` was run).
//   node bench/audit/hnsw/hnsw.mjs 50000 [efs=50,100] [k=11] [M=16] [efConstruction=200]
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIM, FLOOR, key, loadRows, peakRssMiB, score } from './common.mjs';

const n = Number(process.argv[2] ?? 50000);
const efs = (process.argv[3] ?? '50,100').split(',').map(Number);
// k = 11: the point itself (distance 0) + its 10 nearest others, as cellJoin's k = 10 leaves the point out.
const k = Number(process.argv[4] ?? 11);
const M = Number(process.argv[5] ?? 16);
const efC = Number(process.argv[6] ?? 200);
const pkg = path.join(process.env.HNSWLIB_DIR || '/tmp/hnsw-try', 'node_modules', 'hnswlib-wasm');
const version = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')).version;

// The package is built with -sENVIRONMENT=web: its loader throws "not compiled for this environment"
// unless `window` (or importScripts) exists; the wasm is inlined (SINGLE_FILE), fetched as a data: URL,
// which Node's fetch serves. loadHnswlib() then mounts IDBFS and syncs it, which needs indexedDB;
// nothing here touches files, so the Emscripten factory is called directly and IDBFS is never used.
globalThis.window ??= globalThis;
const factoryFile = fs.readdirSync(path.join(pkg, 'dist')).find((f) => /^hnswlib-[0-9a-f]+\.js$/.test(f));
const { default: factory } = await import(pathToFileURL(path.join(pkg, 'dist', factoryFile)).href);
const lib = await factory();

const rows = loadRows(n);
const t0 = performance.now();
const index = new lib.HierarchicalNSW('ip', DIM, '');
index.initIndex(n, M, efC, 100);
for (let i = 0; i < n; i++) index.addPoint(rows.subarray(i * DIM, i * DIM + DIM), i, false);
const buildS = (performance.now() - t0) / 1000;
const heapMiB = lib.HEAPU8.length / 1048576;

for (const ef of efs) {
  index.setEfSearch(ef);
  const found = new Set();
  const nearestIndex = new Int32Array(n).fill(-1);
  const t1 = performance.now();
  for (let q = 0; q < n; q++) {
    const { distances, neighbors } = index.searchKnn(rows.subarray(q * DIM, q * DIM + DIM), k, undefined);
    for (let r = 0; r < neighbors.length; r++) {
      const j = neighbors[r];
      if (j === q) continue;
      const cos = 1 - distances[r];
      if (nearestIndex[q] < 0) nearestIndex[q] = j; // results come nearest first
      if (cos >= FLOOR - 1e-4) found.add(key(q, j, n));
    }
  }
  const queryS = (performance.now() - t1) / 1000;
  console.log(JSON.stringify({
    n, method: `hnswlib-wasm ${version} (M ${M}, efC ${efC}, ef ${ef}, k ${k})`,
    buildS, queryS, totalS: buildS + queryS, ...score(n, found, nearestIndex),
    wasmHeapMiB: Math.round(heapMiB), peakRssMiB: peakRssMiB(),
  }));
}
