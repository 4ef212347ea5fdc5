/**
 * bench:classify's worker: the app's classifier code (../kernel.ts re-exports src/) on tfjs's WASM
 * backend, started by the app's activateBackend('wasm') (SIMD + threads, every core), in a Web
 * Worker of a cross-origin-isolated page, as the app's embed worker runs the Classify step.
 * Driven by bench/classify/run.mjs through the page (page.ts): one command per message, each
 * timed here with performance.now().
 */

import * as tf from '@tensorflow/tfjs';
import * as K from '../kernel.ts';

const C = 15_501;
const D = 96;
/** Rows read per block when scoring the test set, as the app's classifySubmission (BLOCK_SLOTS). */
const BLOCK_ROWS = 1024;
/** Train rows the app reads for the temperature fit (SCALE_SAMPLE in classifyHandlers.ts). */
const SCALE_SAMPLE = 8192;

interface State {
  X: Float32Array;
  labels: Int32Array;
  testX: Float32Array;
  testLabels: Int32Array;
  trainIdx: Int32Array;
  heldIdx: Int32Array;
  sizes: Int32Array;
  prototypes?: Float32Array;
  counts?: Int32Array;
  logPrior?: Float32Array;
  scale?: number;
  model?: K.LinearModel;
  kernels?: Kernels;
}
type KernelName = 'wasm' | 'js';
type Kernels = Record<KernelName, K.DotKernel>;
let S: State | null = null;

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const seconds = (t0: number) => (performance.now() - t0) / 1000;

function b64(a: ArrayBufferView): string {
  const u = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = '';
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000) as unknown as number[]);
  return btoa(s);
}

async function fetchRaw(name: string, bytes: number): Promise<ArrayBuffer> {
  const r = await fetch(new URL(`/classify-data/${name}`, self.location.origin));
  if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
  const buf = await r.arrayBuffer();
  if (buf.byteLength !== bytes) throw new Error(`${name}: ${buf.byteLength} bytes, expected ${bytes}`);
  return buf;
}

function need<T>(v: T | undefined | null, what: string): T {
  if (v === undefined || v === null) throw new Error(`run ${what} first`);
  return v;
}

/** `n` rows of `idx`, evenly strided (all classes represented), or all of it. */
function strided(idx: Int32Array, n: number): Int32Array {
  if (n >= idx.length) return idx;
  return Int32Array.from({ length: n }, (_, i) => idx[Math.floor((i * idx.length) / n)]);
}

function wasmHeapBytes(): number | null {
  try {
    const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
    return b.wasm?.HEAPU8?.buffer.byteLength ?? null;
  } catch {
    return null;
  }
}

const commands: Record<string, (args: any) => Promise<unknown>> = {
  async info() {
    return {
      crossOriginIsolated: self.crossOriginIsolated,
      sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
      hardwareConcurrency: navigator.hardwareConcurrency,
      userAgent: navigator.userAgent,
    };
  },

  async backend() {
    const t0 = performance.now();
    await K.activateBackend('wasm');
    // One small matmul so XNNPACK's first-use set-up is not charged to a timed step.
    const a = tf.randomNormal([64, D]);
    const b = tf.randomNormal([D, 256]);
    await tf.matMul(a, b).data();
    tf.dispose([a, b]);
    return { backend: tf.getBackend(), threads: K.wasmThreadsInUse(), support: await K.wasmThreadSupport(), seconds: seconds(t0), tfjs: tf.version.tfjs };
  },

  async load({ trainAll, test }: { trainAll: number; test: number }) {
    const t0 = performance.now();
    const [X, labels, held, testX, testLabels] = await Promise.all([
      fetchRaw('train.f32', trainAll * D * 4).then((b) => new Float32Array(b)),
      fetchRaw('labels.i32', trainAll * 4).then((b) => new Int32Array(b)),
      fetchRaw('heldout.u8', trainAll).then((b) => new Uint8Array(b)),
      fetchRaw('test.f32', test * D * 4).then((b) => new Float32Array(b)),
      fetchRaw('test-labels.i32', test * 4).then((b) => new Int32Array(b)),
    ]);
    let nHeld = 0;
    for (const h of held) nHeld += h;
    const trainIdx = new Int32Array(trainAll - nHeld);
    const heldIdx = new Int32Array(nHeld);
    for (let i = 0, a = 0, h = 0; i < trainAll; i++) {
      if (held[i]) heldIdx[h++] = i;
      else trainIdx[a++] = i;
    }
    const sizes = new Int32Array(C);
    for (const c of labels) sizes[c]++;
    S = { X, labels, testX, testLabels, trainIdx, heldIdx, sizes };
    return { seconds: seconds(t0), train: trainIdx.length, heldout: heldIdx.length, test: testLabels.length };
  },

  /** Float64 class sums over the train split, then the means (plain JS: no dot products). */
  async prototypes() {
    const s = need(S, 'load');
    const t0 = performance.now();
    const sums = new K.ClassSums(C, D);
    sums.addRows(s.X, s.labels, s.trainIdx);
    const { prototypes, counts } = sums.means();
    const t = seconds(t0);
    s.prototypes = prototypes;
    s.counts = counts;
    s.logPrior = K.logPrior(counts);
    return { seconds: t, rows: s.trainIdx.length };
  },

  /** The temperature fit as the app's classifyFit does it: a seeded sample of 8,192 train rows of classes with ≥ 2 images, leave-one-out. */
  async scaleFit() {
    const s = need(S, 'load');
    const prototypes = need(s.prototypes, 'prototypes');
    const counts = need(s.counts, 'prototypes');
    const t0 = performance.now();
    const eligible = s.trainIdx.filter((i) => counts[s.labels[i]] >= 2);
    const sample = K.seededSample(eligible, SCALE_SAMPLE, 1);
    const rows = new Float32Array(sample.length * D);
    for (let r = 0; r < sample.length; r++) rows.set(s.X.subarray(sample[r] * D, (sample[r] + 1) * D), r * D);
    const labels = Int32Array.from(sample, (i) => s.labels[i]);
    const fit = await K.fitNcmScale(rows, labels, prototypes, counts, D, {
      metric: 'cosine',
      logPrior: need(s.logPrior, 'prototypes'),
      rows: Int32Array.from({ length: sample.length }, (_, i) => i),
      leaveOneOut: true,
    });
    const t = seconds(t0);
    s.scale = fit.scale;
    s.model = K.ncmModel(prototypes, D, 'cosine', fit.scale, counts);
    s.kernels?.wasm.dispose();
    s.kernels = { wasm: K.tfDotKernel(s.model), js: K.jsDotKernel(s.model) };
    return { seconds: t, scale: fit.scale, atBound: fit.atBound, evaluations: fit.evaluations, sampleRows: fit.sampleRows.length };
  },

  /** The τ sweep (21 τ, 0..2) on `rows` held-out rows (all, or an evenly strided sample). */
  async sweep({ kernel, rows }: { kernel: KernelName; rows: number }) {
    const s = need(S, 'load');
    const model = need(s.model, 'scaleFit');
    const lp = need(s.logPrior, 'prototypes');
    const sample = strided(s.heldIdx, rows);
    const bands = K.classBandCodes(s.sizes, { manyAbove: 100, fewBelow: 20 });
    const t0 = performance.now();
    const r = await K.sweepTau(s.X, model, s.labels, { logPrior: lp, baseBias: lp, rows: sample, classBand: bands, kernel: need(s.kernels, 'scaleFit')[kernel] });
    const t = seconds(t0);
    const best = r.points[r.bestIndex];
    const at0 = r.points[0];
    // What each τ's argmax runs over (TauArgmax: one candidate per group of equal priors).
    const groups = new K.TauArgmax(K.tauGrid(), lp).groups;
    return { seconds: t, rows: sample.length, bestTau: r.bestTau, macroF1: best.macroF1, top1: best.top1, macroF1At0: at0.macroF1, top1At0: at0.top1, groups };
  },

  /**
   * Scores the first `rows` test rows top-1 as the app's classifySubmission does (blocks of 1,024
   * rows, scoreTopK with the bias baseBias − τ·log π, a macrotask between blocks), then writes the
   * submission.csv Blob. Returns the predictions (base64 Int32) when asked.
   */
  async score({ kernel, rows, tau, csv, predictions }: { kernel: KernelName; rows: number; tau: number; csv: boolean; predictions: boolean }) {
    const s = need(S, 'load');
    const model = need(s.model, 'scaleFit');
    const lp = need(s.logPrior, 'prototypes');
    const counts = need(s.counts, 'prototypes');
    const k = need(s.kernels, 'scaleFit')[kernel];
    const n = Math.min(rows, s.testLabels.length);
    const bias = Float32Array.from(lp, (v) => v - tau * v);
    const predicted = new Int32Array(n);
    const t0 = performance.now();
    for (let i = 0; i < n; i += BLOCK_ROWS) {
      const m = Math.min(BLOCK_ROWS, n - i);
      const top = await K.scoreTopK(s.testX.subarray(i * D, (i + m) * D), model, 1, { bias, kernel: k });
      predicted.set(top.indexes, i);
      await macrotask();
    }
    const scoreSeconds = seconds(t0);
    let csvSeconds: number | null = null;
    let csvBytes: number | null = null;
    if (csv) {
      const t1 = performance.now();
      const ids = { length: n, get: (i: number) => String(i) };
      const classCategoryId = Int32Array.from({ length: C }, (_, c) => c);
      const sub = K.submissionCsv(ids, predicted, classCategoryId, { fallbackClass: K.mostLikelyClass(counts) });
      const blob = new Blob(sub.chunks, { type: 'text/csv' });
      csvSeconds = seconds(t1);
      csvBytes = blob.size;
    }
    let correct = 0;
    for (let i = 0; i < n; i++) if (predicted[i] === s.testLabels[i]) correct++;
    return { seconds: scoreSeconds, rows: n, csvSeconds, csvBytes, top1: correct / n, predictions: predictions ? b64(predicted) : null };
  },

  /** One epoch of the app's linear probe (trainProbe, its defaults: cross-entropy, instance sampling, batch 256, Adam 0.01) on `rows` train rows, on `backend`. */
  async probe({ backend, rows, evalRows }: { backend: 'wasm' | 'cpu'; rows: number; evalRows: number }) {
    const s = need(S, 'load');
    const lp = need(s.logPrior, 'prototypes');
    await K.activateBackend(backend);
    try {
      const sample = rows >= s.trainIdx.length ? s.trainIdx : K.seededSample(s.trainIdx, rows, 7);
      const t0 = performance.now();
      const probe = await K.trainProbe(s.X, s.labels, D, { numClasses: C, rows: sample, epochs: 1, logPrior: lp });
      const t = seconds(t0);
      let heldoutTop1: number | null = null;
      if (evalRows > 0 && backend === 'wasm') {
        // Not timed: the probe's held-out top-1 after one epoch, for scale.
        const model = K.probeModel(probe);
        const kernel = K.tfDotKernel(model);
        const ev = strided(s.heldIdx, evalRows);
        const top = await K.scoreTopK(s.X, model, 1, { rows: ev, kernel });
        kernel.dispose();
        let correct = 0;
        for (let i = 0; i < ev.length; i++) if (top.indexes[i] === s.labels[ev[i]]) correct++;
        heldoutTop1 = correct / ev.length;
      }
      return { seconds: t, rows: sample.length, steps: Math.ceil(sample.length / 256), loss: probe.losses[0], heldoutTop1, evalRows: heldoutTop1 === null ? 0 : Math.min(evalRows, s.heldIdx.length) };
    } finally {
      if (backend !== 'wasm') await K.activateBackend('wasm');
    }
  },

  /** What the anchor needs: the app's prototypes, and the test bias at τ (−∞ for a class without train rows). */
  async exportModel({ tau }: { tau: number }) {
    const s = need(S, 'load');
    const lp = need(s.logPrior, 'prototypes');
    const counts = need(s.counts, 'prototypes');
    const bias = Float32Array.from(lp, (v, c) => (counts[c] > 0 ? v - tau * v : -Infinity));
    return { prototypes: b64(need(s.prototypes, 'prototypes')), bias: b64(bias), scale: need(s.scale, 'scaleFit') };
  },

  /**
   * Where the scoring time goes, on the first `rows` test rows in chunks of `chunkRows` (the
   * scorer's default: 135 at 15,501 classes): the app's two kernels' dot products (tfDotKernel:
   * matmul + async read-back into the scorer's buffer; jsDotKernel), and the tfjs matmul alone
   * (no read-back) with the weights [D×C] (no transpose: tfjs-backend-wasm hands it to XNNPACK)
   * and [C×D] with transposeB (tfjs-backend-wasm's scalar fallback loop).
   */
  async kernelOnly({ rows, chunkRows }: { rows: number; chunkRows?: number }) {
    const s = need(S, 'load');
    const model = need(s.model, 'scaleFit');
    const kernels = need(s.kernels, 'scaleFit');
    const chunk = chunkRows ?? K.defaultChunkRows(C);
    const n = Math.min(rows, s.testLabels.length);
    const out = new Float32Array(chunk * C);
    const bias = Float32Array.from(model.bias);
    const time = async (f: (q: Float32Array, m: number) => Promise<void>) => {
      await f(s.testX.subarray(0, chunk * D), chunk); // warm-up chunk, not timed
      const t0 = performance.now();
      for (let i = 0; i < n; i += chunk) {
        const m = Math.min(chunk, n - i);
        await f(s.testX.subarray(i * D, (i + m) * D), m);
      }
      return seconds(t0);
    };
    const wasmDot = await time((q, m) => kernels.wasm.dot(q, m, bias, out));
    const jsDot = await time((q, m) => kernels.js.dot(q, m, bias, out));
    const w = tf.tensor2d(model.weights, [C, D]);
    const wT = tf.tidy(() => tf.transpose(w));
    const matmulDC = await time(async (q, m) => {
      tf.tidy(() => tf.matMul(tf.tensor2d(q, [m, D]), wT)).dispose();
    });
    const matmulCDTransposed = await time(async (q, m) => {
      tf.tidy(() => tf.matMul(tf.tensor2d(q, [m, D]), w, false, true)).dispose();
    });
    tf.dispose([w, wT]);
    return { rows: n, chunkRows: chunk, wasmDot, jsDot, matmulDC, matmulCDTransposed, seconds: wasmDot + jsDot + matmulDC + matmulCDTransposed };
  },

  /**
   * Top-1 on the backend (tfDotKernel.top1, scoreTopK's path for k = 1) by parts, on the first
   * `rows` test rows in chunks of each of `chunks` rows ('dot': the dot path's default chunk,
   * defaultChunkRows, 135 at 15,501 classes; 'top1': top1's, tfTop1ChunkRows, 1,024), the model's
   * own bias, median of `rounds` interleaved rounds: the fused matmul alone;
   * + one tf.argMax over all the classes (nothing read back); tfDotKernel.top1 in one stage (that
   * tf.argMax, + each row's index and score read back: top1Block 0); the app's top1 (two stages:
   * XNNPACK max-pools blocks of TOP1_BLOCK classes, tf.argMax over the blocks, that block's scores
   * read back); and the path top1 replaced (`dot`: every score read back, then the JS arg-max).
   */
  async top1Parts({ rows, chunks, rounds = 3 }: { rows: number; chunks: (number | 'dot' | 'top1')[]; rounds?: number }) {
    const s = need(S, 'load');
    const model = need(s.model, 'scaleFit');
    const kernel = need(s.kernels, 'scaleFit').wasm;
    const oneStage = K.tfDotKernel(model, { top1Block: 0 });
    const n = Math.min(rows, s.testLabels.length);
    const bias = Float32Array.from(model.bias);
    const w = tf.tidy(() => tf.transpose(tf.tensor2d(model.weights, [C, D])));
    const b = tf.tensor1d(bias);
    const out: Record<string, Record<string, number>> = {};
    const chunkRows = chunks.map((c) => (c === 'dot' ? K.defaultChunkRows(C) : c === 'top1' ? K.tfTop1ChunkRows(C) : c));
    const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
    for (const chunk of chunkRows) {
      const time = async (f: (q: Float32Array, m: number) => Promise<void>) => {
        await f(s.testX.subarray(0, chunk * D), chunk); // warm-up chunk, not timed
        const t0 = performance.now();
        for (let i = 0; i < n; i += chunk) {
          const m = Math.min(chunk, n - i);
          await f(s.testX.subarray(i * D, (i + m) * D), m);
        }
        return seconds(t0);
      };
      const idx = new Int32Array(chunk);
      const best = new Float32Array(chunk);
      const scratch = new Float32Array(chunk * C);
      const mm = (q: Float32Array, m: number) => tf.fused.matMul({ a: tf.tensor2d(q, [m, D]), b: w, bias: b });
      const parts: Record<string, (q: Float32Array, m: number) => Promise<void>> = {
        matmul: async (q, m) => tf.tidy(() => mm(q, m)).dispose(),
        argmax: async (q, m) => tf.tidy(() => tf.argMax(mm(q, m), 1)).dispose(),
        oneStage: (q, m) => oneStage.top1!(q, m, bias, idx, best),
        top1: (q, m) => kernel.top1!(q, m, bias, idx, best),
        dotArgmax: async (q, m) => {
          await kernel.dot(q, m, bias, scratch);
          for (let j = 0; j < m; j++) {
            let top = -Infinity;
            let arg = -1;
            const o = j * C;
            for (let c = 0; c < C; c++) {
              const v = scratch[o + c];
              if (v > top) {
                top = v;
                arg = c;
              }
            }
            idx[j] = arg;
          }
        },
      };
      const times: Record<string, number[]> = {};
      for (let round = 0; round < rounds; round++) for (const [name, f] of Object.entries(parts)) (times[name] ??= []).push(await time(f));
      out[chunk] = Object.fromEntries(Object.entries(times).map(([name, t]) => [name, med(t)]));
    }
    oneStage.dispose();
    tf.dispose([w, b]);
    return { rows: n, chunkRows, rounds, block: K.TOP1_BLOCK, parts: out, seconds: 0 };
  },

  /**
   * The matmuls of one probe step (batch 256, [96×C] weights) on tfjs WASM, median of `repeats`:
   * the forward x·W (new weights every step, as after an Adam update), tfjs's gradient for W
   * (matMul(x, dy, transposeA = true)) and the same product with x transposed first.
   */
  async probeOps({ repeats = 5, batch = 256 }: { repeats?: number; batch?: number }) {
    const x = tf.randomNormal([batch, D]);
    const dy = tf.randomNormal([batch, C]);
    const med = (a: number[]) => a.sort((p, q) => p - q)[a.length >> 1];
    const time = async (f: () => tf.Tensor) => {
      const ts: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const t0 = performance.now();
        const y = f();
        await y.data();
        ts.push(seconds(t0));
        y.dispose();
      }
      return med(ts);
    };
    const forward = await time(() => tf.tidy(() => tf.matMul(x, tf.randomNormal([D, C]))));
    const forwardWeightsOnly = await time(() => tf.randomNormal([D, C]));
    const gradW = await time(() => tf.matMul(x, dy, true, false));
    const gradWTransposed = await time(() => tf.tidy(() => tf.matMul(tf.transpose(x), dy)));
    tf.dispose([x, dy]);
    return { batch, forward: forward - forwardWeightsOnly, gradW, gradWTransposed, seconds: 0 };
  },

  async memory() {
    return { tf: tf.memory(), wasmHeapBytes: wasmHeapBytes() };
  },
};

self.onmessage = async (e: MessageEvent<{ id: number; cmd: string; args: unknown }>) => {
  const { id, cmd, args } = e.data;
  try {
    const f = commands[cmd];
    if (!f) throw new Error(`no command ${cmd}`);
    const result = await f(args ?? {});
    self.postMessage({ id, result });
  } catch (err) {
    self.postMessage({ id, error: String((err as Error)?.stack ?? err) });
  }
};
self.postMessage({ ready: true });
