#!/usr/bin/env node
// Synthetic audit data: n unit 96-d rows in long-tailed classes (1..80 rows, centre + noise of a
// per-class spread), 1% of them planted near-copies (another row + small noise, cosine 0.98..0.9998),
// shuffled; a 2,000-query sample (1,000 uniform + 1,000 among the planted rows and their sources).
//   node bench/audit/hnsw/gen.mjs 50000
import fs from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../../src/core/random.mjs';
import { DIM, dataDir } from './common.mjs';

const n = Number(process.argv[2] ?? 50000);
const random = mulberry32(20240611 ^ n);
const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const copies = Math.round(n * 0.01);
const base = n - copies;

const raw = new Float32Array(n * DIM);
const centre = new Float32Array(DIM);
for (let i = 0; i < base; ) {
  const size = Math.max(1, Math.min(80, Math.round(80 * random() ** 3)));
  const spread = 0.45 + 0.45 * random();
  for (let j = 0; j < DIM; j++) centre[j] = gauss();
  for (let k = 0; k < size && i < base; k++, i++) for (let j = 0; j < DIM; j++) raw[i * DIM + j] = centre[j] + spread * gauss();
}
const unitRow = (i) => {
  let s = 0;
  for (let j = 0; j < DIM; j++) s += raw[i * DIM + j] ** 2;
  const f = 1 / Math.sqrt(s);
  for (let j = 0; j < DIM; j++) raw[i * DIM + j] *= f;
};
for (let i = 0; i < base; i++) unitRow(i);
// Near-copies: source + noise of norm t (0.02..0.2) orthogonal-ish, renormalised: cos ≈ 1/√(1+t²) ≥ 0.98.
const plantedPre = new Int32Array(copies * 2);
const e = new Float32Array(DIM);
for (let c = 0; c < copies; c++) {
  const src = Math.floor(random() * base);
  const dst = base + c;
  const t = 0.02 + 0.18 * random();
  let s = 0;
  for (let j = 0; j < DIM; j++) s += (e[j] = gauss()) ** 2;
  for (let j = 0; j < DIM; j++) raw[dst * DIM + j] = raw[src * DIM + j] + (t / Math.sqrt(s)) * e[j];
  unitRow(dst);
  let cos = 0;
  for (let j = 0; j < DIM; j++) cos += raw[src * DIM + j] * raw[dst * DIM + j];
  if (cos < 0.98) throw new Error(`planted copy ${c} has cosine ${cos}`);
  plantedPre[2 * c] = src;
  plantedPre[2 * c + 1] = dst;
}
// Shuffle rows (seeded Fisher–Yates) so copies are spread through the index order.
const perm = Int32Array.from({ length: n }, (_, i) => i);
for (let i = n - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [perm[i], perm[j]] = [perm[j], perm[i]];
}
const where = new Int32Array(n); // old index → new
const rows = new Float32Array(n * DIM);
for (let i = 0; i < n; i++) {
  where[perm[i]] = i;
  rows.set(raw.subarray(perm[i] * DIM, perm[i] * DIM + DIM), i * DIM);
}
const planted = plantedPre.map((x) => where[x]);
// Sample: 1,000 uniform + 1,000 drawn from the planted rows (sources and copies), distinct.
const chosen = new Set();
while (chosen.size < Math.min(1000, n)) chosen.add(Math.floor(random() * n));
for (let tries = 0; chosen.size < Math.min(2000, n) && tries < 1e6; tries++) chosen.add(planted[Math.floor(random() * planted.length)]);
const sample = Int32Array.from([...chosen].sort((a, b) => a - b));

const dir = dataDir(n);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'rows.f32'), Buffer.from(rows.buffer));
fs.writeFileSync(path.join(dir, 'planted.i32'), Buffer.from(planted.buffer));
fs.writeFileSync(path.join(dir, 'sample.i32'), Buffer.from(sample.buffer));
console.log(JSON.stringify({ n, dim: DIM, copies, sample: sample.length, dir }));
