#!/usr/bin/env node
/**
 * The linear probe's solvers on one synthetic long-tailed problem, in Node on tfjs's `wasm`
 * (default) or `cpu` backend: full-batch L-BFGS (trainProbe's default) against mini-batch Adam
 * (batch 256, step 0.01) on the same objective (mean cross-entropy + λ/2·‖W‖²).
 *
 *   node bench/probe/run.mjs [--backend wasm|cpu] [--rows 20000] [--dim 96] [--classes 500]
 *                            [--l2 1e-4] [--adam-epochs 1,2,5,10,20,50,100,200] [--max-iterations 500]
 *
 * Data: class priors ∝ 1/rank (Zipf, every class ≥ 1 row), x = μ_y + N(0, I), μ_c ~ N(0, 0.35²·I).
 * L-BFGS: time per iteration and per evaluation, iterations to converge, and the objective gap
 * f − f* along the way (f*: its converged loss). Adam: the full-batch objective at its weights
 * after k epochs (one run per k, seeded: the first k epochs of a longer run are the same), so
 * "epochs to reach the gap L-BFGS reaches in i iterations" can be read off. Prints; writes nothing.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createServer } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const { values: o } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    rows: { type: 'string', default: '20000' },
    dim: { type: 'string', default: '96' },
    classes: { type: 'string', default: '500' },
    l2: { type: 'string', default: '1e-4' },
    'adam-epochs': { type: 'string', default: '1,2,5,10,20,50,100,200' },
    'max-iterations': { type: 'string', default: '500' },
    'chunk-rows': { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
const N = Number(o.rows);
const D = Number(o.dim);
const C = Number(o.classes);
const l2 = Number(o.l2);
const adamEpochs = o['adam-epochs'].split(',').filter(Boolean).map(Number);
const log = (...a) => console.error('[bench:probe]', ...a);

const server = await createServer({ root, configFile: false, logLevel: 'error', server: { middlewareMode: true, hmr: false }, appType: 'custom', optimizeDeps: { noDiscovery: true, include: [] } });
try {
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const P = await server.ssrLoadModule('/src/core/learn/probe.ts');
  const { mulberry32 } = await server.ssrLoadModule('/src/core/random.mjs');
  await tf.setBackend(o.backend);
  await tf.ready();
  const threads = tf.getBackend() === 'wasm' ? `, ${wasm.getThreadsCount()} thread(s), SIMD ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}` : '';
  log(`backend ${tf.getBackend()}${threads}; Node ${process.version}, ${(await import('node:os')).cpus()[0].model} × ${(await import('node:os')).cpus().length}`);
  log(`${N} rows × ${D}-d × ${C} classes, λ = ${l2}`);

  // Data.
  const rand = mulberry32(Number(o.seed));
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const mu = Float32Array.from({ length: C * D }, () => 0.35 * gauss());
  const w = Array.from({ length: C }, (_, c) => 1 / (c + 1));
  const wsum = w.reduce((a, b) => a + b, 0);
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    if (i < C) labels[i] = i;
    else {
      let u = rand() * wsum;
      let c = 0;
      while (c < C - 1 && u >= w[c]) u -= w[c++];
      labels[i] = c;
    }
  }
  const x = new Float32Array(N * D);
  for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) x[i * D + d] = mu[labels[i] * D + d] + gauss();
  const counts = new Int32Array(C);
  for (const y of labels) counts[y]++;
  log(`class sizes ${counts[0]} … ${Math.min(...counts)}`);

  const chunkRows = o['chunk-rows'] ? Number(o['chunk-rows']) : undefined;
  const objective = P.createProbeObjective(x, labels, D, { numClasses: C, l2, chunkRows });
  const full = (probe) => Float32Array.from([...probe.weights, ...probe.bias]); // every class has rows: the layouts agree
  const lossAt = async (probe) => (await objective.evaluate(full(probe))).loss;

  // One evaluation's time, warm.
  const zeros = new Float32Array(objective.size);
  await objective.evaluate(zeros);
  const te = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await objective.evaluate(zeros);
    te.push(performance.now() - t0);
  }
  log(`one loss+gradient evaluation: ${te.map((t) => t.toFixed(0)).join(', ')} ms (chunks of ${objective.chunkRows} rows)`);

  // L-BFGS.
  const trace = [];
  let t0 = performance.now();
  const lb = await P.trainProbe(x, labels, D, { numClasses: C, l2, chunkRows, maxIterations: Number(o['max-iterations']), onIteration: (k, f, g) => trace.push({ k, f, g, t: performance.now() - t0 }) });
  const lbMs = performance.now() - t0;
  const fStar = lb.losses[lb.losses.length - 1];
  log(`L-BFGS: ${lb.iterations} iterations, ${lb.evaluations} evaluations, ${(lbMs / 1000).toFixed(2)} s (${(lbMs / lb.iterations).toFixed(0)} ms an iteration, ${(lbMs / lb.evaluations).toFixed(0)} ms an evaluation), stop: ${lb.stopReason}, ‖∇‖∞ ${lb.gradNorm.toExponential(2)}, f* = ${fStar.toFixed(7)}`);
  const gaps = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5];
  const firstBelow = (gap) => trace.find((p) => p.f - fStar <= gap * Math.max(1, fStar));
  for (const gap of gaps) {
    const p = firstBelow(gap);
    log(`  L-BFGS gap ≤ ${gap.toExponential(0)}·f*: ${p ? `iteration ${p.k}, ${(p.t / 1000).toFixed(2)} s` : 'never'}`);
  }

  // L-BFGS from an LDA-style start (shared identity covariance): w_c = μ̂_c, b_c = −‖μ̂_c‖²/2 + log π_c.
  const means = new Float64Array(C * D);
  for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) means[labels[i] * D + d] += x[i * D + d] / counts[labels[i]];
  const init = { weights: new Float32Array(D * C), bias: new Float32Array(C) };
  for (let c = 0; c < C; c++) {
    let sq = 0;
    for (let d = 0; d < D; d++) {
      init.weights[d * C + c] = means[c * D + d];
      sq += means[c * D + d] ** 2;
    }
    init.bias[c] = -sq / 2 + Math.log(counts[c] / N);
  }
  t0 = performance.now();
  const warm = await P.trainProbe(x, labels, D, { numClasses: C, l2, chunkRows, init, maxIterations: Number(o['max-iterations']) });
  const warmMs = performance.now() - t0;
  log(`L-BFGS from the class-mean (LDA, Σ = I) start: start loss ${warm.losses[0].toFixed(4)}, ${warm.iterations} iterations, ${(warmMs / 1000).toFixed(2)} s, stop ${warm.stopReason}, f = ${warm.losses[warm.losses.length - 1].toFixed(7)}`);

  // Adam.
  for (const epochs of adamEpochs) {
    t0 = performance.now();
    const adam = await P.trainProbe(x, labels, D, { numClasses: C, l2, solver: 'adam', epochs, seed: 1 });
    const ms = performance.now() - t0;
    const f = await lossAt(adam);
    const gap = (f - fStar) / Math.max(1, fStar);
    const match = trace.find((p) => p.f <= f);
    log(`Adam ${epochs} epochs: ${(ms / 1000).toFixed(2)} s (${(ms / epochs).toFixed(0)} ms an epoch), objective ${f.toFixed(6)}, gap ${gap.toExponential(2)} (L-BFGS is there at iteration ${match ? match.k : '—'})`);
  }
  objective.dispose();
} finally {
  await server.close();
}
