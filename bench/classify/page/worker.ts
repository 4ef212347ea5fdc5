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
  /** The app's classify handlers on an in-memory run of the bench's data (fitSetup). */
  app?: AppRun;
}
interface AppRun {
  session: InstanceType<typeof K.EmbedSession>;
  handlers: ReturnType<typeof K.classifyHandlers>;
  taxonomy: { classGenus: Int32Array; classFamily: Int32Array };
  dim: number;
  numClasses: number;
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

  /** One epoch of the app's linear probe with solver 'adam' (trainProbe: cross-entropy, instance sampling, batch 256, Adam 0.01; the app's default solver is L-BFGS) on `rows` train rows, on `backend`. */
  async probe({ backend, rows, evalRows }: { backend: 'wasm' | 'cpu'; rows: number; evalRows: number }) {
    const s = need(S, 'load');
    const lp = need(s.logPrior, 'prototypes');
    await K.activateBackend(backend);
    try {
      const sample = rows >= s.trainIdx.length ? s.trainIdx : K.seededSample(s.trainIdx, rows, 7);
      const t0 = performance.now();
      // solver 'adam': trainProbe's default is now full-batch L-BFGS (see probeEval for its cost).
      const probe = await K.trainProbe(s.X, s.labels, D, { numClasses: C, rows: sample, solver: 'adam', epochs: 1, logPrior: lp });
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

  /**
   * An in-memory run of the bench's data, as the app's embed worker holds one after embedding:
   * a RunPlan (train slots: the train split and the held-out slots, as gen.mjs split them; then
   * the test slots), every row written to a memory RunStore and recorded in the RunState
   * (recordEmbedding: doneSlots, the train split's class sums), an EmbedSession holding it, and
   * the app's classifyHandlers(session). Synthetic taxonomy: genus ⌊c/6⌋, family ⌊c/57⌋.
   * The bench's own copy of the train rows is then dropped (the store holds them).
   */
  async fitSetup() {
    const s = need(S, 'load');
    const t0 = performance.now();
    const nTrain = s.labels.length;
    const nTest = s.testLabels.length;
    const slots = nTrain + nTest;
    const slotClass = new Int32Array(slots).fill(-1);
    slotClass.set(s.labels);
    const slotSplit = new Uint8Array(slots).fill(K.SPLIT_TEST);
    slotSplit.fill(K.SPLIT_TRAIN, 0, nTrain);
    for (const i of s.heldIdx) slotSplit[i] = K.SPLIT_HELDOUT;
    const app = makeApp({ nTrain, slots, dim: D, numClasses: C, slotClass, slotSplit }, (store, state) => {
      // The test rows first: the memory file grows to its full size in one step.
      store.writeRows(Int32Array.from({ length: nTest }, (_, i) => nTrain + i), s.testX);
      store.writeRows(Int32Array.from({ length: nTrain }, (_, i) => i), s.X);
      for (let i = 0; i < nTrain; i++) state.recordEmbedding(i, s.X, i * D);
      for (let i = 0; i < nTest; i++) state.recordEmbedding(nTrain + i, s.testX, i * D);
    }, nTest);
    s.app = app;
    return { seconds: seconds(t0), slots, train: s.trainIdx.length, heldout: s.heldIdx.length, test: nTest, genera: 1 + Math.floor((C - 1) / 6), families: 1 + Math.floor((C - 1) / 57) };
  },

  /**
   * The app's classifyFit on the run, timed end to end, with the progress stages it reports
   * (each stage's start, seconds from the call) and the checkpoints it awaited (its blocks).
   * Before it, apart: the labelled set (labelledSet) and for LDA the covariance pass, timed
   * as the fit runs them, to split the fit's time.
   */
  async fit({ kind, parts = true }: { kind: string; parts?: boolean }) {
    const s = need(S, 'load');
    const app = need(s.app, 'fitSetup');
    return fitOn(app, kind, parts);
  },

  /** The app's classifySubmission on the fitted classifier: every test slot scored top-1 at the fit's τ, the CSV Blob. */
  async submission({ tau }: { tau: number }) {
    const s = need(S, 'load');
    const app = need(s.app, 'fitSetup');
    const t0 = performance.now();
    const { result } = await app.handlers.classifySubmission({ tau, preview: 5 } as never, jobContext().ctx as never);
    const t = seconds(t0);
    return { seconds: t, rows: result.rows, blobBytes: result.blob.size, notEmbedded: result.notEmbedded, label: result.label, ms: result.ms };
  },

  async fitTeardown() {
    const s = need(S, 'load');
    s.app?.session.fitted?.kernel.dispose();
    s.app = undefined;
    return { seconds: 0 };
  },

  /**
   * One full-batch evaluation (loss + gradient) of the app's L-BFGS probe objective
   * (createProbeObjective, the app's defaults: cross-entropy, instance weights, λ = 1e-4) on
   * `rows` train rows (all: the train split + held-out, 839,772, as the probe's final fit in
   * cross mode; or a seeded sample), at zero weights. Set-up (the rows uploaded as tensors) and
   * the evaluation timed apart; `evaluations` evaluations, the median reported.
   */
  async probeEval({ rows, evaluations = 1 }: { rows: number; evaluations?: number }) {
    const s = need(S, 'load');
    const all = Int32Array.from({ length: s.labels.length }, (_, i) => i);
    const sample = rows >= all.length ? all : K.seededSample(all, rows, 7).sort();
    const t0 = performance.now();
    const obj = K.createProbeObjective(s.X, s.labels, D, { numClasses: C, rows: sample });
    const setup = seconds(t0);
    try {
      const x = new Float32Array(obj.size);
      const times: number[] = [];
      let loss = NaN;
      for (let e = 0; e < evaluations; e++) {
        const t1 = performance.now();
        const r = await obj.evaluate(x);
        times.push(seconds(t1));
        loss = r.loss;
      }
      times.sort((a, b) => a - b);
      return { seconds: times[times.length >> 1], setup, rows: sample.length, classes: obj.classes.length, size: obj.size, chunkRows: obj.chunkRows, loss, wasmHeapBytes: wasmHeapBytes() };
    } finally {
      obj.dispose();
    }
  },

  /**
   * The probe trained to convergence (trainProbe, L-BFGS, the app's defaults and maxIterations
   * 200) on a smaller problem: the train rows of the first `classes` classes, at most `rows`.
   */
  async probeConverge({ rows, classes }: { rows: number; classes: number }) {
    const s = need(S, 'load');
    const pick: number[] = [];
    for (let i = 0; i < s.labels.length && pick.length < rows; i++) if (s.labels[i] < classes) pick.push(i);
    const sel = Int32Array.from(pick);
    const t0 = performance.now();
    const probe = await K.trainProbe(s.X, s.labels, D, { numClasses: classes, rows: sel, maxIterations: 200 });
    const t = seconds(t0);
    // One evaluation on the same problem, for the per-evaluation cost.
    const obj = K.createProbeObjective(s.X, s.labels, D, { numClasses: classes, rows: sel });
    const t1 = performance.now();
    await obj.evaluate(new Float32Array(obj.size));
    const evalSeconds = seconds(t1);
    obj.dispose();
    return { seconds: t, rows: sel.length, classes, iterations: probe.iterations, evaluations: probe.evaluations, converged: probe.converged, stopReason: probe.stopReason, gradNorm: probe.gradNorm, lossStart: probe.losses[0], lossEnd: probe.losses[probe.losses.length - 1], evalSeconds };
  },

  /**
   * The app's classifyFit at `dim` dims (1,280: the full model's layer), on a synthetic run of
   * `rows` train-metadata images over all 15,501 classes (each a random centre + noise; 20% of
   * each class held out, as the bench's split) and no test images: Herbarium's 839,772 × 1,280
   * floats (4.3 GB) would not fit in a tab. The app caps the work anyway (covariance rows at
   * MAX_COVARIANCE_WORK/D², validated images at MAX_VALIDATION_WORK/(C·D)), so with rows above
   * both caps the capped passes run at their full size; what scales with the run's images (the
   * held-out class sums, the sample draws) is small and scaled in run.mjs.
   */
  async dimSetup({ dim, rows }: { dim: number; rows: number }) {
    const s = need(S, 'load');
    s.app?.session.fitted?.kernel.dispose();
    s.app = undefined;
    const t0 = performance.now();
    const rand = K.mulberry32(1280);
    // Class sizes in proportion to the bench's train set (≥ 1 each).
    const perClass = Int32Array.from(s.sizes, (n) => Math.max(1, Math.round((n * rows) / s.labels.length)));
    let n = 0;
    for (const k of perClass) n += k;
    const slotClass = new Int32Array(n);
    const slotSplit = new Uint8Array(n);
    for (let c = 0, i = 0; c < C; c++) {
      const hold = Math.round(0.2 * perClass[c]);
      for (let k = 0; k < perClass[c]; k++, i++) {
        slotClass[i] = c;
        slotSplit[i] = k < hold && k < perClass[c] - 1 ? K.SPLIT_HELDOUT : K.SPLIT_TRAIN;
      }
    }
    const centres = Float32Array.from({ length: C * dim }, () => rand() * 2 - 1);
    const gauss = () => (rand() + rand() + rand() - 1.5) * 3.2;
    const app = makeApp({ nTrain: n, slots: n, dim, numClasses: C, slotClass, slotSplit }, (store, state) => {
      const block = 1024;
      const buf = new Float32Array(block * dim);
      for (let i0 = 0; i0 < n; i0 += block) {
        const m = Math.min(block, n - i0);
        for (let r = 0; r < m; r++) {
          const c = slotClass[i0 + r];
          for (let j = 0; j < dim; j++) buf[r * dim + j] = centres[c * dim + j] + gauss();
        }
        const slotIdx = Int32Array.from({ length: m }, (_, r) => i0 + r);
        store.writeRows(slotIdx, buf.subarray(0, m * dim));
        for (let r = 0; r < m; r++) state.recordEmbedding(i0 + r, buf, r * dim);
      }
    }, 0);
    s.app = app;
    return { seconds: seconds(t0), dim, rows: n, storeBytes: n * dim * 4, validationCap: K.validationCap(C, dim), covarianceCap: Math.max(4 * dim, Math.floor(K.MAX_COVARIANCE_WORK / (dim * dim))) };
  },

  async memory() {
    return { tf: tf.memory(), wasmHeapBytes: wasmHeapBytes() };
  },
};

/** A JobContext that records each progress stage's start (seconds from its creation) and counts the checkpoints awaited. */
function jobContext() {
  const t0 = performance.now();
  const stages: { stage: string; at: number; checkpoints: number }[] = [];
  const ctx = {
    progress(p: { stage: string }) {
      if (stages.length === 0 || stages[stages.length - 1].stage !== p.stage) stages.push({ stage: p.stage, at: seconds(t0), checkpoints: 0 });
    },
    async checkpoint() {
      if (stages.length) stages[stages.length - 1].checkpoints++;
    },
  };
  return { ctx, stages };
}

function makeApp(
  plan: { nTrain: number; slots: number; dim: number; numClasses: number; slotClass: Int32Array; slotSplit: Uint8Array },
  fill: (store: InstanceType<typeof K.RunStore>, state: InstanceType<typeof K.RunState>) => void,
  nTest: number,
): AppRun {
  const state = new K.RunState(new K.RunPlan({ key: `bench-${plan.dim}`, ...plan }));
  const store = new K.RunStore(K.memoryRunFiles(), plan.dim, 'f4');
  fill(store, state);
  const session = new K.EmbedSession();
  session.run = {
    state,
    store,
    storage: 'memory',
    lastCheckpoint: 0,
    classCategoryId: Int32Array.from({ length: plan.numClasses }, (_, c) => c),
    trainIds: K.StringTable.from([]),
    testIds: nTest ? K.StringTable.from(Array.from({ length: nTest }, (_, i) => String(i))) : null,
  };
  const classGenus = Int32Array.from({ length: plan.numClasses }, (_, c) => Math.floor(c / 6));
  const classFamily = Int32Array.from({ length: plan.numClasses }, (_, c) => Math.floor(c / 57));
  return { session, handlers: K.classifyHandlers(session), taxonomy: { classGenus, classFamily }, dim: plan.dim, numClasses: plan.numClasses };
}

function classSizesOf(state: InstanceType<typeof K.RunState>): Int32Array {
  const sizes = new Int32Array(state.plan.numClasses);
  for (const c of state.plan.slotClass) if (c >= 0) sizes[c]++;
  return sizes;
}

/** classifyFit of `kind` on `app` (see the fit command). */
async function fitOn(app: AppRun, kind: string, parts: boolean) {
  const { state, store } = app.session.requireRun();
  const extra: Record<string, number> = {};
  if (parts) {
    // Apart, as classifyFit runs them: the labelled set, and the covariance pass (for LDA and auto).
    let t = performance.now();
    const set = K.labelledSet(state, store, 'cross', 'train');
    extra.labelledSetSeconds = seconds(t);
    if (kind === 'lda' || kind === 'auto') {
      t = performance.now();
      const d = app.dim;
      const means = K.ClassSums.fromData({ numClasses: app.numClasses, dim: d, sums: set.data.sums, counts: set.data.counts }).means().prototypes;
      const gram = K.tfGram; // as classifyFit on every non-cpu backend
      const scatter = new K.ResidualScatter(d, means, gram);
      const cap = Math.max(4 * d, Math.floor(K.MAX_COVARIANCE_WORK / (d * d)));
      const slots = set.fitSlots.length > cap ? K.seededSample(set.fitSlots, cap, 6).sort() : set.fitSlots;
      for (let i = 0; i < slots.length; i += K.BLOCK_SLOTS) {
        const block = slots.subarray(i, i + K.BLOCK_SLOTS);
        await scatter.add(store.readRows(block), Int32Array.from(block, (x) => state.plan.slotClass[x]));
      }
      extra.covarianceScatterSeconds = seconds(t);
      extra.covarianceRows = slots.length;
      t = performance.now();
      const precision = K.precisionOf(K.ledoitWolf(scatter));
      extra.covarianceInvertSeconds = seconds(t);
      t = performance.now();
      if (d >= 256) await K.tfProjectMeans(means, app.numClasses, d, precision);
      extra.projectMeansSeconds = d >= 256 ? seconds(t) : 0;
    }
  }
  const { ctx, stages } = jobContext();
  const t0 = performance.now();
  const request = { kind, backend: 'wasm', testPrior: 'train', validation: 'cross', limits: { manyAbove: 100, fewBelow: 20 }, taxonomy: app.taxonomy };
  const { result } = await app.handlers.classifyFit(request as never, ctx as never);
  const t = seconds(t0);
  if (parts) {
    // Apart, after the fit, on the winner's validation: the τ choice over its sweeps and the
    // 1,000-replicate bootstrap interval, as validateClassMean runs them (intervalOf, choose).
    const v = app.session.fitted!.validated;
    const p = v.predictions;
    const bands = K.classBandCodes(classSizesOf(state), request.limits);
    let t1 = performance.now();
    p.choose(bands);
    extra.chooseSeconds = seconds(t1);
    t1 = performance.now();
    K.stratifiedBootstrap(p.labels, p.predictions[v.choice.setting][v.choice.tauIndex], p.numClasses, undefined, { weights: p.weights, replicates: 1000, seed: 11 });
    extra.bootstrapSeconds = seconds(t1);
  }
  return {
    seconds: t,
    ...extra,
    stages,
    label: result.label,
    kind: result.kind,
    reason: result.reason,
    setting: result.setting,
    tau: result.tau,
    scale: result.scale,
    scaleAtBound: result.scaleAtBound,
    shrinkage: result.shrinkage,
    trainRows: result.trainRows,
    validation: result.validation,
    compared: result.compared,
    backend: result.backend,
    ms: result.ms,
  };
}

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
