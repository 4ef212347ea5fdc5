#!/usr/bin/env node
/**
 * Classify benchmark: the app's classifier code at Herbarium 2022 scale, in headless Chromium, as
 * the app runs it: in a Web Worker of a cross-origin-isolated page (COOP same-origin, COEP
 * require-corp, served by the app's own `vite preview` config), tfjs on WASM started by the app's
 * activateBackend('wasm') (SIMD, a thread per core). Synthetic embeddings (gen.mjs): 839,772 train
 * rows × 96 (672,863 train split, 166,909 held out), 210,407 test rows, 15,501 long-tailed
 * classes of 1..80 images.
 *
 *   npm run bench:classify            (= node bench/classify/run.mjs)
 *
 * Steps, each timed in the worker (performance.now()), with the tab's memory sampled meanwhile:
 *  1. prototypes: ClassSums (float64 class sums) over the train split, then the means;
 *  2. NCM temperature fit, as the app's classifyFit does it (8,192 sampled train rows);
 *  3. the τ sweep (21 τ, 0..2) on the held-out rows with the app's tfjs WASM kernel
 *     (tfDotKernel) and, on a strided sample, the plain JS kernel (jsDotKernel);
 *  4. top-1 scoring of the test rows as the app's classifySubmission does it (1,024-row blocks,
 *     scoreTopK) + the submission.csv Blob, repeated (median), each repeat followed by the NumPy
 *     anchor (numpy_anchor.py: the same scoring of every test row with the app's prototypes, s
 *     and bias); the JS kernel on the first rows;
 *  5. one epoch of the linear probe with solver 'adam' (trainProbe; the app's default is now
 *     full-batch L-BFGS) on the train split on WASM, and on a sample of rows on tfjs's `cpu` backend;
 *  6. the app's own Classify step (group `fit`): an in-memory run of the same data (RunPlan,
 *     memory RunStore, RunState.recordEmbedding, an EmbedSession), classifyHandlers(session),
 *     classifyFit({ kind, backend: 'wasm', testPrior: 'train', validation: 'cross', limits,
 *     taxonomy }) per --fit-kinds (synthetic taxonomy: genus ⌊c/6⌋, family ⌊c/57⌋), its progress
 *     stages timestamped, labelledSet / LDA's covariance pass / the bootstrap interval timed apart;
 *     classifySubmission after the ncm-cosine and auto fits;
 *  7. the probe's L-BFGS cost (group `probe`): one evaluation (loss + gradient) of
 *     createProbeObjective on all 839,772 labelled rows, and trainProbe to convergence on
 *     20,000 × 96 × 500, whence the full-scale estimate;
 *  8. the high-dim variant (group `dim`, --dim, default 1,280): classifyFit ncm-cosine and lda on a
 *     synthetic run of --dim-rows images over all classes, above the app's work caps
 *     (MAX_COVARIANCE_WORK, MAX_VALIDATION_WORK), so the capped passes run at full size.
 * Diagnostics: the dot products alone per kernel (and the tfjs matmul alone in both weight
 * layouts), top-1 on the backend by parts (the matmul alone, + one tf.argMax, tfDotKernel.top1 in
 * one stage and in two (the app's), and the dot + JS arg-max path it replaced) in the dot path's
 * chunks and in top1's (larger), and the matmuls of one probe step.
 *
 * Full size by default, but a step whose calibration (a first sample: 4,096 rows; 8,192 for the
 * probe) predicts more than --step-budget-s (default 240 s) for one full-size run is reported
 * from that sample, extrapolated linearly, and marked so (--full runs it anyway).
 *
 * Options: --quick (sample every step and extrapolate: held-out, test and probe 4,096 rows),
 * --full, --step-budget-s S, --heldout-rows N, --test-rows N, --probe-rows N, --js-rows N
 * (rows the JS kernel sweeps and scores, default 4,096), --probe-cpu-rows N (default 1,024),
 * --repeats N (test scoring repeats, default 3), --build (always rebuild the page), --no-write
 * (leave BENCHMARKS.md alone), --from-result (rewrite the section from the last record, measuring
 * nothing), --port N (default 4310; the next free one if taken), --only GROUPS (ncm, fit, probe,
 * dim: measure only these, the others from the last record), --fit-kinds KINDS, --dim D,
 * --dim-rows N, --probe-eval-rows N; --help lists them. Env: CHROMIUM_PATH.
 *
 * Results: bench/.data/classify-result.json, the section on stdout, and the Classify section of
 * BENCHMARKS.md (between the bench:classify markers).
 */

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';
import { cleanupOnSignals, CLK_TCK, cpuTimes, descendants, freePort, machineInfo, median, n0, newestMtime, parseBenchArgs, processType, procJiffies, sectionHead, sectionMarkers, startPreview, statusKiB, stopPreview, writeSection } from '../lib.mjs';
import { C, D, ensureData, FILES, N_TEST, N_TRAIN_ALL } from './gen.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const dataDir = path.join(root, 'bench', '.data');
const genDir = path.join(dataDir, 'classify-data');
const distDir = path.join(dataDir, 'classify-dist');
const resultFile = path.join(dataDir, 'classify-result.json');
const MARK_END = sectionMarkers('classify').end;

const { values: opts } = parseBenchArgs({
  script: 'bench/classify/run.mjs',
  summary: "Classify benchmark: the app's classifiers at Herbarium 2022 scale in a worker of a cross-origin-isolated page in Chromium, against NumPy.",
  options: {
    quick: { type: 'boolean', help: 'sample every step and extrapolate (held-out, test and probe 4,096 rows)' },
    full: { type: 'boolean', help: 'run every step at full size, whatever its calibration predicts' },
    'step-budget-s': { type: 'number', default: 240, arg: 'S', help: 'a step predicted over this for one full-size run is reported from its calibration sample' },
    'heldout-rows': { type: 'number', help: 'held-out rows for the τ sweep (default: all; 4,096 with --quick)' },
    'test-rows': { type: 'number', help: `test rows scored (default: all ${N_TEST.toLocaleString('en-US')}; 4,096 with --quick)` },
    'probe-rows': { type: 'number', help: 'train rows for the probe epoch (default: all; 4,096 with --quick)' },
    'js-rows': { type: 'number', default: 4096, help: 'rows the JS kernel sweeps and scores' },
    'probe-cpu-rows': { type: 'number', default: 1024, help: "rows for the probe epoch on tfjs's cpu backend" },
    repeats: { type: 'number', default: 3, help: 'test scoring repeats, each followed by the NumPy anchor' },
    build: { type: 'boolean', help: 'always rebuild the page' },
    'no-write': { type: 'boolean', help: 'leave BENCHMARKS.md alone' },
    'from-result': { type: 'boolean', help: 'rewrite the section from the last record, measuring nothing' },
    port: { type: 'number', default: 4310, help: 'port for vite preview (the next free one if taken)' },
    only: { type: 'string', arg: 'GROUPS', help: "measure only these groups (comma-separated: ncm = the kernel steps and the NumPy anchor, fit = the app's classifyFit + classifySubmission, probe = the probe, dim = the high-dim fits); the others come from the last record" },
    'fit-kinds': { type: 'string', default: 'ncm-cosine,lda,hierarchical,auto', arg: 'KINDS', help: "classifyFit's kinds timed (fit group)" },
    dim: { type: 'number', default: 1280, arg: 'D', help: 'dims of the high-dim variant (dim group; 0: none)' },
    'dim-rows': { type: 'number', default: 65536, arg: 'N', help: 'images of the high-dim run (more than the app caps its covariance and validation passes at)' },
    'probe-eval-rows': { type: 'number', help: 'rows for one L-BFGS evaluation of the probe objective (default: all 839,772; calibrated on 32,768 first)' },
  },
});
const QUICK = opts.quick;
const FULL = opts.full;
const BUDGET_S = opts['step-budget-s'];
const HELD_ROWS = opts['heldout-rows'] ?? (QUICK ? 4096 : Infinity);
const TEST_ROWS = Math.min(N_TEST, opts['test-rows'] ?? (QUICK ? 4096 : N_TEST));
const PROBE_ROWS = opts['probe-rows'] ?? (QUICK ? 4096 : Infinity);
const CALIB_ROWS = 4096;
const PROBE_CALIB_ROWS = 8192;
const JS_ROWS = opts['js-rows'];
const PROBE_CPU_ROWS = opts['probe-cpu-rows'];
const REPEATS = Math.max(1, opts.repeats);
const WANT_PORT = opts.port;
const AVOID_PORTS = new Set([4175, 4186, 4298]); // other sessions' servers
const SAMPLE_MS = 250;
const GROUPS = ['ncm', 'fit', 'probe', 'dim'];
const ONLY = opts.only ? opts.only.split(',').map((g) => g.trim()) : null;
for (const g of ONLY ?? []) if (!GROUPS.includes(g)) throw new Error(`--only: unknown group ${g} (${GROUPS.join(', ')})`);
const want = (g) => !ONLY || ONLY.includes(g);
const FIT_KINDS = opts['fit-kinds'].split(',').map((k) => k.trim()).filter(Boolean);
const HIGH_DIM = opts.dim;
const DIM_ROWS = opts['dim-rows'];
const PROBE_EVAL_CALIB_ROWS = 32768;
/** The L-BFGS convergence problem (the probe commit's figure: 20,000 × 96 × 500, 135 iterations). */
const CONVERGE = { rows: 20000, classes: 500 };
const log = (...a) => console.error('[bench:classify]', ...a);

// ---------------------------------------------------------------------------------------------
// Processes, memory and CPU from /proc

/** utime + stime of a process, in clock ticks (0 when gone). */
const cpuTicks = (pid) => procJiffies(pid) ?? 0;

/** Busy ticks of the whole machine (all CPUs) from /proc/stat. */
const machineBusyTicks = () => cpuTimes().busy;

/** RSS of the renderer processes (the page and its worker) and of the whole Chromium tree, bytes. */
function chromiumMemory(exclude) {
  let renderer = 0;
  let total = 0;
  let rendererCpu = 0;
  for (const pid of descendants(process.pid, exclude)) {
    const type = processType(pid);
    if (type === 'other' || type === 'gone') continue;
    const rss = statusKiB(pid, 'VmRSS') * 1024;
    total += rss;
    if (type === 'renderer') {
      renderer += rss;
      rendererCpu += cpuTicks(pid);
    }
  }
  return { renderer, total, rendererCpu };
}

// ---------------------------------------------------------------------------------------------
// Build and serve

function ensureBuild() {
  const distIndex = path.join(distDir, 'index.html');
  const built = fs.statSync(distIndex, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = Math.max(
    ...['src', 'package.json', 'bench/classify/kernel.ts', 'bench/classify/page', 'bench/classify/vite.config.mjs'].map((p) => newestMtime(path.join(root, p))),
  );
  if (built && built >= sources && !opts.build) {
    log(`${path.relative(root, distDir)} is up to date`);
    return;
  }
  log(`building the page: npx vite build --config bench/classify/vite.config.mjs → ${path.relative(root, distDir)}`);
  const r = spawnSync('npx', ['vite', 'build', '--config', path.join(here, 'vite.config.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`vite build failed (exit ${r.status})`);
}

/** The data files under dist/classify-data/ (hard links; a copy where linking fails). */
function linkData() {
  const dir = path.join(distDir, 'classify-data');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of FILES) {
    const src = path.join(genDir, f);
    const dst = path.join(dir, f);
    fs.rmSync(dst, { force: true });
    try {
      fs.linkSync(src, dst);
    } catch {
      fs.copyFileSync(src, dst);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// NumPy

function runNumpy(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [path.join(here, 'numpy_anchor.py'), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`numpy anchor failed (${code}): ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

// ---------------------------------------------------------------------------------------------

const round = (x, d = 2) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);
const fmtT = (s) => (s == null ? 'n/a' : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 600 ? `${Math.round(s / 60)} min` : s >= 100 ? `${Math.round(s)} s` : s >= 10 ? `${s.toFixed(1)} s` : `${s.toFixed(2)} s`);
const fmtMiB = (bytes) => (bytes == null ? 'n/a' : `${n0(bytes / 1048576)} MiB`);
const gflops = (s, rows) => (2 * rows * C * D) / s / 1e9;
const b64i32 = (s) => {
  const b = Buffer.from(s, 'base64');
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

const machine = (browser) =>
  machineInfo(['cpu', 'cores', 'memGiB', 'kernel', 'node', ['chromium', 'browser'], ['chromiumCli', 'chromium'], 'python'], { root, browser, python: '/usr/bin/python3' });

/** The CPU's SIMD flags that matter for a matmul (from /proc/cpuinfo). */
function cpuFlags() {
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    const flags = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/));
    return ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_vnni', 'amx_tile'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

/** Whether tfjs-backend-wasm's threaded-SIMD binary holds the relaxed-SIMD f32x4.relaxed_madd opcode (0xfd 0x85 0x02): a fused multiply-add for XNNPACK. */
function wasmHasRelaxedMadd() {
  try {
    const b = fs.readFileSync(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm'));
    return b.includes(Buffer.from([0xfd, 0x85, 0x02]));
  } catch {
    return null;
  }
}

/** Images per class in the generated train set: min, median, max. */
function classSizeStats() {
  const b = fs.readFileSync(path.join(genDir, 'labels.i32'));
  const labels = new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  const sizes = new Int32Array(C);
  for (const c of labels) sizes[c]++;
  const sorted = Array.from(sizes).sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[sorted.length >> 1], max: sorted[sorted.length - 1], atMax: sorted.filter((x) => x === sorted[sorted.length - 1]).length };
}

async function main() {
  const tStart = performance.now();
  const r0 = {};
  const meta = ensureData(genDir, { log });
  ensureBuild();
  linkData();
  r0.sizes = classSizeStats();
  const heldRows = Math.min(meta.heldout, HELD_ROWS);
  const probeRows = Math.min(meta.train, PROBE_ROWS);
  const jsRows = Math.min(JS_ROWS, TEST_ROWS, heldRows);

  const port = await freePort(WANT_PORT, AVOID_PORTS);
  const { chromium } = await import('@playwright/test');
  const { child: preview, url, headers } = await startPreview({ root, port, distDir, log });
  const cleanup = () => stopPreview(preview);
  cleanupOnSignals(cleanup);
  const exclude = new Set([preview.pid]);

  const prev = ONLY ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : null;
  const r = {
    ...(prev ?? {}),
    measured: { ...(prev?.measured ?? {}), ...Object.fromEntries(GROUPS.filter(want).map((g) => [g, new Date().toISOString()])) },
    only: ONLY,
    // The options of each run merged into this record (--only keeps the others' groups).
    commands: [...(ONLY ? (prev?.commands ?? ['(the full run before --only existed)']) : []), process.argv.slice(2).join(' ')],
    quick: QUICK,
    full: FULL,
    budgetS: BUDGET_S,
    port,
    headers,
    sizes: r0.sizes,
    rows: { heldRows, testRows: TEST_ROWS, probeRows, jsRows, probeCpuRows: PROBE_CPU_ROWS },
    steps: { ...(prev?.steps ?? {}) },
    memory: {},
    load: [],
    pageErrors: [],
    notes: [],
  };
  // Memory and CPU sampling, tagged with the step running.
  let step = 'start';
  const peaks = {};
  const prevPeaks = prev?.memory?.peaks ?? {};
  const prevLoad = prev?.load ?? [];
  const samples = [];
  const sample = () => {
    const m = chromiumMemory(exclude);
    samples.push({ t: Math.round(performance.now() - tStart), step, renderer: m.renderer, total: m.total });
    const p = (peaks[step] ??= { renderer: 0, total: 0 });
    p.renderer = Math.max(p.renderer, m.renderer);
    p.total = Math.max(p.total, m.total);
    return m;
  };
  const timer = setInterval(sample, SAMPLE_MS);

  let browser;
  try {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [...chromiumArgs, '--disable-gpu', '--enable-blink-features=ForceEagerMeasureMemory'],
    });
    r.machine = { ...machine(browser), cpuFlags: cpuFlags() };
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => r.pageErrors.push(String(e.message ?? e)));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') r.pageErrors.push(m.text());
    });
    await page.goto(url);
    await page.waitForFunction(() => globalThis.bench);
    await page.evaluate(() => globalThis.bench.ready());

    const call = (cmd, args) => page.evaluate(([c, a]) => globalThis.bench.call(c, a), [cmd, args]);
    const uaMemory = () => page.evaluate(() => globalThis.bench.uaMemory(70_000));
    /** Runs a worker command as step `name`: load average and the CPU used around it. */
    const run = async (name, cmd, args) => {
      step = name;
      const load1 = os.loadavg()[0];
      const busy0 = machineBusyTicks();
      const ours0 = chromiumMemory(exclude).rendererCpu;
      const w0 = performance.now();
      sample();
      const out = await call(cmd, args);
      sample();
      const wall = (performance.now() - w0) / 1000;
      const oursCores = (chromiumMemory(exclude).rendererCpu - ours0) / CLK_TCK / wall;
      const busyCores = (machineBusyTicks() - busy0) / CLK_TCK / wall;
      const entry = { step: name, load1: round(load1), tabCores: round(oursCores), otherCores: round(Math.max(0, busyCores - oursCores)), wall: round(wall, 3) };
      r.load.push(entry);
      if (out && typeof out === 'object') out.load1 = entry.load1;
      log(`${name}: ${fmtT(out?.seconds)}${out?.rows ? ` (${n0(out.rows)} rows)` : ''}; tab ${entry.tabCores} cores, others ${entry.otherCores}, load ${entry.load1}`);
      return out;
    };
    /**
     * Rows for a step: `want` (all by default), unless a calibration run on `calib` rows predicts
     * more than the budget for `want`; then the calibration is the measurement (marked sampled).
     */
    const sized = async (name, want, calib, exec) => {
      if (QUICK || want <= calib) return { ...(await exec(`${name}`, want)), predicted: null };
      const cal = await exec(`${name} [calibration]`, calib);
      const predicted = (cal.seconds / cal.rows) * want;
      if (FULL || predicted <= BUDGET_S) return { ...(await exec(name, want)), predicted, calibration: cal };
      log(`${name}: ${n0(want)} rows would take ~${fmtT(predicted)} (> ${BUDGET_S} s): reported from the ${n0(cal.rows)}-row sample`);
      return { ...cal, predicted, sampled: true };
    };

    r.info = await call('info');
    if (!r.info.crossOriginIsolated) throw new Error('the page is not cross-origin isolated: tfjs WASM would run one thread');
    step = 'page';
    await sleep(1000);
    r.memory.pageIdle = sample().renderer;
    r.steps.load = await run('load', 'load', { trainAll: meta.trainAll, test: meta.test });
    step = 'data loaded';
    await sleep(1500);
    r.memory.dataLoaded = sample().renderer;
    // Before tfjs starts its WASM threads: with them, the measurement waits for Chromium's timeout.
    r.memory.uaDataLoaded = await uaMemory();
    r.backend = { ...(await run('backend', 'backend')), relaxedMadd: wasmHasRelaxedMadd() };
    log(`backend ${r.backend.backend}: ${r.backend.threads} threads; ${r.backend.support}`);
    step = 'baseline';
    await sleep(1500);
    const base = sample();
    r.memory.baseline = base.renderer;
    r.memory.baselineTotal = base.total;

    // The kernel steps need the prototypes and the NCM model (the probe epoch's prior too).
    if (want('ncm') || want('probe')) {
      r.steps.prototypes = await run('prototypes', 'prototypes');
      r.steps.scaleFit = await run('scaleFit', 'scaleFit');
    }
    if (want('ncm')) {
    r.diag = {
      kernels: await run('diagnostic: dot products alone', 'kernelOnly', { rows: 2048 }),
      // The dot path's chunks (defaultChunkRows), then top1's (tfTop1ChunkRows).
      top1: await run('diagnostic: top-1 by parts', 'top1Parts', { rows: 4096, chunks: ['dot', 'top1'] }),
      probeOps: await run('diagnostic: probe-step matmuls', 'probeOps', { repeats: 5 }),
    };
    const k = r.diag.kernels;
    log(`dot products of ${n0(k.rows)} rows: tfDotKernel ${fmtT(k.wasmDot)}, jsDotKernel ${fmtT(k.jsDot)}; tfjs matmul alone, W [D×C] ${fmtT(k.matmulDC)}, W [C×D] transposeB ${fmtT(k.matmulCDTransposed)}`);
    for (const [rows, p] of Object.entries(r.diag.top1.parts))
      log(`top-1 of ${n0(r.diag.top1.rows)} rows in ${rows}-row chunks: matmul ${fmtT(p.matmul)}, + argMax ${fmtT(p.argmax)}, top1 one stage ${fmtT(p.oneStage)}, two stages (the app's) ${fmtT(p.top1)}; dot + JS arg-max ${fmtT(p.dotArgmax)}`);

    r.steps.sweepJs = await run('sweep (JS kernel)', 'sweep', { kernel: 'js', rows: jsRows });
    r.steps.sweepWasm = await sized('sweep (WASM kernel)', heldRows, CALIB_ROWS, (name, rows) => run(name, 'sweep', { kernel: 'wasm', rows }));
    const tau = r.steps.sweepWasm.bestTau;
    r.tau = tau;

    // The anchor's inputs: the app's own prototypes, temperature and bias at τ.
    const exported = await call('exportModel', { tau });
    const protoFile = path.join(dataDir, 'classify-prototypes.f32');
    const biasFile = path.join(dataDir, 'classify-bias.f32');
    fs.writeFileSync(protoFile, Buffer.from(exported.prototypes, 'base64'));
    fs.writeFileSync(biasFile, Buffer.from(exported.bias, 'base64'));
    const npOut = path.join(dataDir, 'classify-numpy-pred.i32');
    const npArgs = { dim: D, classes: C, scale: exported.scale, prototypes: protoFile, bias: biasFile, queries: path.join(genDir, 'test.f32'), rows: TEST_ROWS, out: npOut };

    const scoreArgs = (kernel, rows, predictions) => ({ kernel, rows, tau, csv: true, predictions });
    const js = await run('score (JS kernel)', 'score', { ...scoreArgs('js', jsRows, true), csv: false });
    const jsPred = b64i32(js.predictions);
    delete js.predictions;
    r.steps.scoreJs = js;
    // How many test rows the app's kernel scores per repeat (all, unless over the budget).
    let wasmRows = TEST_ROWS;
    if (!QUICK && !FULL && TEST_ROWS > CALIB_ROWS) {
      const cal = await run('score (WASM kernel) [calibration]', 'score', scoreArgs('wasm', CALIB_ROWS, false));
      r.steps.scoreWasmCalibration = cal;
      const predicted = (cal.seconds / cal.rows) * TEST_ROWS;
      if (predicted > BUDGET_S) {
        wasmRows = CALIB_ROWS;
        r.steps.scoreWasmPredicted = predicted;
        log(`score (WASM kernel): ${n0(TEST_ROWS)} rows would take ~${fmtT(predicted)} per repeat (> ${BUDGET_S} s): repeats on ${n0(wasmRows)} rows, extrapolated`);
      }
    }
    r.rows.wasmScoreRows = wasmRows;
    r.steps.scoreWasm = [];
    r.steps.numpy = [];
    let appPred = null;
    for (let rep = 1; rep <= REPEATS; rep++) {
      const s = await run(`score (WASM kernel) ${rep}/${REPEATS}`, 'score', scoreArgs('wasm', wasmRows, rep === 1));
      if (rep === 1) appPred = b64i32(s.predictions);
      delete s.predictions;
      r.steps.scoreWasm.push(s);
      step = `numpy ${rep}/${REPEATS}`;
      const load1 = os.loadavg()[0];
      // The first repeat also times NumPy's parts (matmul alone; bias + argmax) on 16,384 rows, after its scoring.
      const np = await runNumpy(rep === 1 ? { ...npArgs, parts: 16384 } : npArgs);
      np.load1 = round(load1);
      r.steps.numpy.push(np);
      const perRow = (x) => x.seconds / x.rows;
      log(`numpy ${rep}/${REPEATS}: ${fmtT(np.seconds)} (${n0(np.rows)} rows, ${np.cores?.toFixed(2)} cores); per row, app/NumPy ${(perRow(s) / perRow(np)).toFixed(2)}×; load ${np.load1}`);
    }
    const npPred = new Int32Array(fs.readFileSync(npOut).buffer.slice(0));
    const agree = (a, b, n) => {
      let same = 0;
      for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
      return { rows: n, rate: same / n };
    };
    r.agreement = { wasmNumpy: agree(appPred, npPred, wasmRows), jsWasm: agree(jsPred, appPred, Math.min(jsRows, wasmRows)) };
    }

    if (want('fit')) {
      // The app's own Classify step: classifyFit per kind on an in-memory run of the same data, then classifySubmission.
      r.steps.fitSetup = await run('fit: in-memory run', 'fitSetup');
      // Kinds not timed this run stay from the last record (with --only).
      r.steps.fits = { ...(prev?.steps?.fits ?? {}) };
      r.steps.submissions = { ...(prev?.steps?.submissions ?? {}) };
      for (const kind of FIT_KINDS) {
        const f = await run(`classifyFit ${kind}`, 'fit', { kind });
        r.steps.fits[kind] = f;
        log(`classifyFit ${kind}: ${fmtT(f.seconds)} → ${f.label} (${f.setting}, τ ${f.tau}); stages ${f.stages.map((x) => `${x.stage} @${x.at.toFixed(1)} s`).join('; ')}; ${f.reason}`);
        if (kind === 'ncm-cosine' || kind === 'auto') r.steps.submissions[kind] = await run(`classifySubmission (${kind})`, 'submission', { tau: f.tau });
      }
      await run('fit: teardown', 'fitTeardown');
    }

    if (want('probe')) {
      r.steps.probeWasm = await sized('probe epoch, Adam (WASM)', probeRows, PROBE_CALIB_ROWS, (name, rows) =>
        run(name, 'probe', { backend: 'wasm', rows, evalRows: rows >= meta.train ? 2048 : 0 }),
      );
      r.steps.probeCpu = await run('probe epoch, Adam (tfjs cpu backend)', 'probe', { backend: 'cpu', rows: PROBE_CPU_ROWS, evalRows: 0 });
      const evalRows = Math.min(meta.trainAll, opts['probe-eval-rows'] ?? meta.trainAll);
      r.steps.probeEval = await sized('probe L-BFGS evaluation (WASM)', evalRows, PROBE_EVAL_CALIB_ROWS, (name, rows) => run(name, 'probeEval', { rows }));
      r.steps.probeConverge = await run('probe L-BFGS to convergence (small problem)', 'probeConverge', CONVERGE);
    }

    if (want('dim') && HIGH_DIM > 0) {
      r.steps.dim = { setup: await run(`${HIGH_DIM}-d: synthetic run`, 'dimSetup', { dim: HIGH_DIM, rows: DIM_ROWS }), fits: {} };
      for (const kind of ['ncm-cosine', 'lda']) r.steps.dim.fits[kind] = await run(`${HIGH_DIM}-d classifyFit ${kind}`, 'fit', { kind });
      await run(`${HIGH_DIM}-d: teardown`, 'fitTeardown');
    }
    step = 'end';
    const tEnd = performance.now();
    r.wasmMemory = await call('memory');
    r.memory.uaEnd = await uaMemory();
    log(`memory read at the end in ${fmtT((performance.now() - tEnd) / 1000)}`);
    await context.close();
  } finally {
    clearInterval(timer);
    await browser?.close().catch(() => {});
    cleanup();
  }
  for (const [name, p] of Object.entries(prevPeaks)) if (!(name in peaks)) peaks[name] = p;
  const ran = new Set(r.load.map((l) => l.step));
  r.load = [...prevLoad.filter((l) => !ran.has(l.step)), ...r.load];
  r.memory.peaks = peaks;
  r.memory.peakRenderer = Math.max(...Object.values(peaks).map((p) => p.renderer));
  r.memory.peakStep = Object.entries(peaks).sort((a, b) => b[1].renderer - a[1].renderer)[0][0];
  r.memory.peakTotal = Math.max(...Object.values(peaks).map((p) => p.total));
  r.memory.samples = samples.length;
  r.loadAverageEnd = os.loadavg().map((x) => round(x));
  r.totalSeconds = (performance.now() - tStart) / 1000;
  r.summary = summarize(r, meta);
  fs.writeFileSync(resultFile, JSON.stringify({ ...r, sampleTrace: samples }, null, 2) + '\n');
  const section = benchmarksSection(r, meta);
  console.log(section);
  if (!opts['no-write']) {
    writeSection('classify', section);
    log(`wrote ${path.relative(root, resultFile)} and the Classify section of BENCHMARKS.md (${Math.round(r.totalSeconds)} s in all)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Figures

function summarize(r, meta) {
  const s = r.steps;
  const perRow = (x) => x.seconds / x.rows;
  const toFull = (x, total) => perRow(x) * total;
  const ratios = s.scoreWasm.map((a, i) => perRow(a) / perRow(s.numpy[i]));
  const out = {
    prototypes: s.prototypes.seconds,
    scaleFit: s.scaleFit.seconds,
    sweepWasmFull: toFull(s.sweepWasm, meta.heldout),
    sweepWasmMeasured: s.sweepWasm.rows >= meta.heldout,
    sweepJsFull: toFull(s.sweepJs, meta.heldout),
    scoreWasm: median(s.scoreWasm.map((x) => x.seconds)),
    scoreWasmFull: median(s.scoreWasm.map(perRow)) * N_TEST,
    scoreWasmMeasured: s.scoreWasm[0].rows >= N_TEST,
    scoreJsFull: toFull(s.scoreJs, N_TEST),
    numpy: median(s.numpy.map((x) => x.seconds)),
    numpyFull: median(s.numpy.map(perRow)) * N_TEST,
    numpyCores: median(s.numpy.map((x) => x.cores)),
    // NumPy by parts (first repeat), scaled to the test set.
    numpyParts: s.numpy[0].parts ? { matmul: (s.numpy[0].parts.matmul / s.numpy[0].parts.rows) * N_TEST, matmulCores: s.numpy[0].parts.matmulCores, biasArgmax: (s.numpy[0].parts.biasArgmax / s.numpy[0].parts.rows) * N_TEST } : null,
    ratioWasmNumpy: median(ratios),
    ratiosWasmNumpy: ratios,
    probeWasmFull: toFull(s.probeWasm, meta.train),
    probeWasmMeasured: s.probeWasm.rows >= meta.train,
    probeCpuFull: toFull(s.probeCpu, meta.train),
    probeStep: s.probeWasm.seconds / s.probeWasm.steps,
    // The dot products alone (diagnostic), scaled to the test set.
    dotsWasmFull: (r.diag.kernels.wasmDot / r.diag.kernels.rows) * N_TEST,
    // Top-1 by parts in the scorer's default chunks (diagnostic), scaled to the test set.
    top1Full: top1Parts(r),
  };
  // The CSV of the whole test set: from a full-size repeat when there is one.
  const fullCsv = s.scoreWasm.filter((x) => x.rows >= N_TEST && x.csvSeconds != null);
  out.csv = fullCsv.length ? median(fullCsv.map((x) => x.csvSeconds)) : median(s.scoreWasm.map((x) => (x.csvSeconds / x.rows) * N_TEST));
  out.csvBytes = fullCsv.length ? fullCsv[0].csvBytes : null;
  out.gflopsWasm = gflops(out.scoreWasmFull, N_TEST);
  out.gflopsJs = gflops(out.scoreJsFull, N_TEST);
  out.gflopsNumpy = gflops(out.numpyFull, N_TEST);
  out.ncmTotal = out.prototypes + out.scaleFit + out.sweepWasmFull + out.scoreWasmFull + out.csv;
  out.sweepPerScore = out.sweepWasmFull / meta.heldout / (out.scoreWasmFull / N_TEST);
  return out;
}

/**
 * The top-1 diagnostic in top1's own chunks (the second chunk size), each part scaled to the test
 * set, but the replaced path (dotArgmax) in the dot path's chunks (the first), where it ran;
 * null in a record without it.
 */
function top1Parts(r) {
  const t = r.diag.top1;
  if (!t) return null;
  const scaled = (p) => Object.fromEntries(Object.entries(p).map(([name, sec]) => [name, (sec / t.rows) * N_TEST]));
  return { ...scaled(t.parts[t.chunkRows[1]]), dotArgmax: scaled(t.parts[t.chunkRows[0]]).dotArgmax };
}

function benchmarksSection(r, meta) {
  const s = r.steps;
  const m = r.summary;
  const mm = r.memory;
  const k = r.diag.kernels;
  const po = r.diag.probeOps;
  const peakOf = (prefix) => {
    const ps = Object.entries(mm.peaks).filter(([name]) => name.startsWith(prefix)).map(([, v]) => v.renderer);
    return ps.length ? fmtMiB(Math.max(...ps)) : 'n/a';
  };
  const timed = (x, total, full) =>
    x.rows >= total ? `**${fmtT(x.seconds)}**` : `${fmtT(x.seconds)} for ${n0(x.rows)} → **${fmtT(full)}**${x.sampled || !r.quick ? ' (extrapolated)' : ''}`;
  const rowsOf = (x, total) => (x.rows >= total ? n0(total) : `${n0(x.rows)} of ${n0(total)}`);
  const medOf = (xs, total) => {
    const full = xs[0].rows >= total;
    return `median of ${xs.length}: ${xs.map((x) => (full ? x.seconds : (x.seconds / x.rows) * total).toFixed(1)).join(' / ')} s${full ? '' : ' extrapolated'}`;
  };
  const ratio = (a, b) => (a / b >= 1 ? `${(a / b).toFixed(1)}×` : `${(a / b).toFixed(2)}×`);
  const pct = (a) => `${(100 * a.rate).toFixed(3)}% of ${n0(a.rows)}`;
  const np0 = s.numpy[0];
  const loads = r.load.map((l) => l.load1);
  const sampledNote = (x, total) => (x.rows < total ? `, on the ${n0(x.rows)} rows` : '');
  const L = [
    ...sectionHead('classify', { title: 'Classify: the classifiers at Herbarium 2022 scale, in Chromium', written: 'Written by `bench/classify/run.mjs`; do not edit by hand between the classify markers.', command: `npm run bench:classify      # node bench/classify/run.mjs${r.quick ? ' --quick' : ''}${r.full ? ' --full' : ''}   [--quick | --full] [--step-budget-s S] [--repeats N] [--only ncm,fit,probe,dim] [--fit-kinds K,…] [--dim D] [--dim-rows N] [--no-write]${r.commands?.length > 1 || r.only ? `\n# this record, merged from: ${(r.commands ?? []).map((c) => `[${c || 'no options'}]`).join(', then ')}` : ''}` }),
    `Synthetic embeddings (bench/classify/gen.mjs, seeded): ${n0(meta.trainAll)} train images × ${D} (the app's default layer; ${n0(meta.train)} train split, ${n0(meta.heldout)} held out), ${n0(meta.test)} test images, ${n0(C)} classes` +
      (r.sizes ? ` of ${r.sizes.min}–${r.sizes.max} images (median ${r.sizes.median}: the generator's power law, topped up to ${n0(meta.trainAll)} images, comes out nearly flat, so the accuracy figures mean little; the timings do not depend on it). ` : '. ') +
      "The app's own code (src/core/learn, src/compute/tfDotKernel.ts, src/compute/backends.ts, re-exported by bench/classify/kernel.ts) bundled by Vite into a Web Worker of a cross-origin-isolated page (COOP same-origin, COEP require-corp, from the app's `vite preview` config), " +
      "tfjs started by the app's `activateBackend('wasm')`, as the app's embed worker runs the Classify step; times measured in the worker. " +
      `${r.machine.cores} × ${r.machine.cpu} (${r.machine.memGiB} GiB), Chromium ${r.machine.chromium} (Debian, headless), tfjs ${r.backend.tfjs} WASM backend (${r.backend.threads} threads, SIMD, cross-origin isolated); NumPy ${np0.numpy} with ${np0.blas && np0.blas !== 'unknown' ? np0.blas : 'the system BLAS'} (${np0.threads}), ${r.machine.python}. ` +
      `A shared VM: 1-minute load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during the run. ` +
      (r.measured && Object.keys(r.measured).length
        ? `Merged record (--only): ${Object.entries(r.measured).map(([g, t]) => `${g} measured ${t.replace('T', ' ').slice(0, 16)} UTC`).join(', ')}${r.measured.ncm ? '' : '; the ncm group (the kernel steps and the NumPy anchor) from the run before the groups existed'}. `
        : '') +
      (r.quick
        ? '**Quick run: every step on a sample of rows, full-size times extrapolated linearly (→).**'
        : `Every step runs at full size unless a first ${n0(CALIB_ROWS)}-row sample (${n0(PROBE_CALIB_ROWS)} for the probe) predicts more than ${r.budgetS} s for it: then that sample is the measurement, extrapolated linearly (→ … extrapolated).`),
    '',
    "| step | rows | app, tfjs WASM kernel (`tfDotKernel`, the app's path) | app, plain-JS kernel (`jsDotKernel`), sample → full size | JS / WASM | tab RSS peak |",
    '|---|---:|---:|---:|---:|---:|',
    `| prototypes: \`ClassSums\` float64 class sums + means (no dot products: JS only) | ${n0(s.prototypes.rows)} | — | **${fmtT(m.prototypes)}** | | ${peakOf('prototypes')} |`,
    `| NCM temperature fit: \`fitNcmScale\` on the train split (the kernel steps' NCM path; classifyFit now fits s per setting by leave-one-out, \`fitClassMeanScales\`, inside its timed fits below; ${s.scaleFit.evaluations} golden-section steps, s = ${s.scaleFit.scale.toFixed(2)}; takes no kernel: JS whatever the backend) | ${n0(s.scaleFit.sampleRows)} scored | — | **${fmtT(m.scaleFit)}** | | ${peakOf('scaleFit')} |`,
    `| τ sweep: \`sweepTau\`, 21 τ in one pass (best τ ${s.sweepWasm.bestTau}, macro-F1 ${s.sweepWasm.macroF1.toFixed(3)}; at τ = 0: ${s.sweepWasm.macroF1At0.toFixed(3)}${sampledNote(s.sweepWasm, meta.heldout)}) | ${rowsOf(s.sweepWasm, meta.heldout)} | ${timed(s.sweepWasm, meta.heldout, m.sweepWasmFull)} | ${fmtT(s.sweepJs.seconds)} for ${n0(s.sweepJs.rows)} → ${fmtT(m.sweepJsFull)} | ${ratio(m.sweepJsFull, m.sweepWasmFull)} | ${peakOf('sweep (WASM kernel)')} |`,
    `| test scoring, top-1: \`scoreTopK\` in 1,024-row blocks as classifySubmission (k = 1: \`tfDotKernel.top1\`, the argmax on the tfjs backend; the JS kernel has none: its scores, then the JS arg-max), bias at τ = ${r.tau} (top-1 ${s.scoreWasm[0].top1.toFixed(3)}); ${medOf(s.scoreWasm, N_TEST)} | ${rowsOf(s.scoreWasm[0], N_TEST)} | ${timed({ ...s.scoreWasm[0], seconds: m.scoreWasm }, N_TEST, m.scoreWasmFull)} (${m.gflopsWasm.toFixed(1)} GFLOP/s) | ${fmtT(s.scoreJs.seconds)} for ${n0(s.scoreJs.rows)} → ${fmtT(m.scoreJsFull)} (${m.gflopsJs.toFixed(1)} GFLOP/s) | ${ratio(m.scoreJsFull, m.scoreWasmFull)} | ${peakOf('score (WASM kernel)')} |`,
    `| submission.csv: \`submissionCsv\` + Blob${m.csvBytes ? ` (${(m.csvBytes / 1048576).toFixed(1)} MiB)` : ''} | ${n0(N_TEST)} | **${fmtT(m.csv)}** | | | |`,
    `| linear probe, one epoch of Adam: \`trainProbe({ solver: 'adam', epochs: 1 })\` (batch 256, ${n0(Math.ceil(meta.train / 256))} steps${s.probeWasm.heldoutTop1 != null ? `; held-out top-1 ${s.probeWasm.heldoutTop1.toFixed(3)}` : ''}); JS column: tfjs's \`cpu\` backend | ${rowsOf(s.probeWasm, meta.train)} | ${timed(s.probeWasm, meta.train, m.probeWasmFull)} (${fmtT(m.probeStep)} a step) | ${fmtT(s.probeCpu.seconds)} for ${n0(s.probeCpu.rows)} → ${fmtT(m.probeCpuFull)} | ${ratio(m.probeCpuFull, m.probeWasmFull)} | ${peakOf(s.probeWasm.solver === 'adam' || r.measured?.probe ? 'probe epoch, Adam (WASM)' : 'probe epoch (WASM)')} |`,
    `| **NumPy anchor**: the same test scoring (the app's prototypes, s and bias; BLAS matmul + argmax, 1,024-row chunks, ${m.numpyCores != null ? `${m.numpyCores.toFixed(1)} cores busy` : ''}); ${medOf(s.numpy, N_TEST)} | ${rowsOf(np0, N_TEST)} | ${timed({ ...np0, seconds: m.numpy }, N_TEST, m.numpyFull)} (${m.gflopsNumpy.toFixed(1)} GFLOP/s) | | | python ${fmtMiB(Math.max(...s.numpy.map((x) => x.maxRssBytes)))} |`,
    '',
    `**Test scoring, app / NumPy per row: ${m.ratioWasmNumpy.toFixed(2)}×** (median of the ${m.ratiosWasmNumpy.length} interleaved pairs: ${m.ratiosWasmNumpy.map((x) => x.toFixed(2)).join(', ')}; 1-minute load average at the app's repeats ${s.scoreWasm.map((x) => x.load1).join(', ')}, at NumPy's ${s.numpy.map((x) => x.load1).join(', ')}). ` +
      `Same predictions: the app and NumPy on ${pct(r.agreement.wasmNumpy)} test rows, the WASM and JS kernels on ${pct(r.agreement.jsWasm)} (float32 summation order can flip near-ties).`,
    '',
    ...appSection(r, meta, peakOf),
    `Diagnostics. Dot products alone, ${n0(k.rows)} test rows in ${k.chunkRows}-row chunks (the scorer's default at ${n0(C)} classes): \`tfDotKernel\` ${fmtT(k.wasmDot)} (matmul + read-back), \`jsDotKernel\` ${fmtT(k.jsDot)}; the tfjs matmul alone with the weights [D×C] ${fmtT(k.matmulDC)} (tfjs-backend-wasm hands it to XNNPACK), with [C×D] and transposeB ${fmtT(k.matmulCDTransposed)} (its scalar fallback loop). ` +
      top1Sentence(r) +
      `The sweep's \`TauArgmax\` takes each τ's argmax over ${s.sweepWasm.groups} groups of equal log π (of ${n0(C)} classes). ` +
      `One probe step's matmuls at batch 256 (median of 5): forward x·W ${fmtT(po.forward)}, tfjs's gradient for W, \`matMul(x, dy, transposeA)\`, ${fmtT(po.gradW)}; the same product with x transposed first ${fmtT(po.gradWTransposed)}.`,
    '',
    `Tab memory (RSS of Chromium's renderer process, which holds the page and its workers, sampled every ${SAMPLE_MS} ms): page + worker ${fmtMiB(mm.pageIdle)}; with the embeddings loaded ${fmtMiB(mm.dataLoaded)} (train ${fmtMiB(meta.trainAll * D * 4)} + test ${fmtMiB(meta.test * D * 4)} of float32); **baseline with the WASM backend started ${fmtMiB(mm.baseline)}**, **peak ${fmtMiB(mm.peakRenderer)}** (in: ${mm.peakStep}); the whole Chromium tree peaked at ${fmtMiB(mm.peakTotal)}. ` +
      `\`performance.measureUserAgentSpecificMemory()\` (JS heaps and buffers of the page and its workers): ${fmtMiB(mm.uaDataLoaded?.bytes)} with the embeddings loaded${mm.uaEnd ? `, ${fmtMiB(mm.uaEnd.bytes)} at the end (${mm.uaEnd.workers} worker scopes: tfjs's WASM threads count as workers, and since they sit in Atomics.wait the measurement only answers after ${fmtT(mm.uaEnd.ms / 1000)})` : ', no answer at the end within 70 s'}; tfjs's WASM heap at the end ${fmtMiB(r.wasmMemory?.wasmHeapBytes)}.`,
    '',
    `CPU (cores busy during the step: the tab / everything else on the machine): ${r.load
      .filter((l) => !/^(backend|load)$/.test(l.step) && !/ [2-9]\/\d+$/.test(l.step))
      .map((l) => `${l.step.replace(/ 1\/\d+$/, '')} ${l.tabCores} / ${l.otherCores}`)
      .join('; ')}.`,
    '',
    analysis(r, meta),
    MARK_END,
  ];
  return L.join('\n');
}

/** The diagnostics' sentence on top-1 by parts. */
function top1Sentence(r) {
  const t = r.diag.top1;
  if (!t) return '';
  const [small, big] = t.chunkRows;
  const ps = t.parts[small];
  const pb = t.parts[big];
  const both = (name) => `${fmtT(ps[name])} / ${fmtT(pb[name])}`;
  const verdict = `Top-1's larger chunks ${pb.top1 < 0.9 * ps.top1 ? 'pay' : pb.top1 > 1.1 * ps.top1 ? 'cost time' : 'make little difference'} on this run (${fmtT(pb.top1)} against ${fmtT(ps.top1)} in the dot path's; the matmul alone ${fmtT(pb.matmul)} against ${fmtT(ps.matmul)}; one tf.argMax over all the classes, whose pass wants the chunk in cache, ${fmtT(pb.oneStage)} against ${fmtT(ps.oneStage)}).`;
  return (
    `Top-1 by parts, ${n0(t.rows)} test rows in ${small}-row chunks (the dot path's, \`defaultChunkRows\`; after the slash in ${n0(big)}-row chunks, top1's, \`tfTop1ChunkRows\`), median of ${t.rounds} interleaved rounds: the fused matmul alone ${both('matmul')}, + one \`tf.argMax\` over the ${n0(C)} classes ${both('argmax')}; ` +
    `\`tfDotKernel.top1\` in one stage (that tf.argMax, + each row's index and score read back) ${both('oneStage')}, in two stages, the app's path (XNNPACK max-pools blocks of ${t.block} classes, \`tf.argMax\` over the ${n0(Math.ceil(C / t.block))} block maxima, the first best block's ${t.block} scores read back and scanned in JS) ${both('top1')}; ` +
    `the path top1 replaced, \`dot\` (all ${n0(C)} scores of a row read back) + the JS arg-max, ${both('dotArgmax')}. ${verdict} `
  );
}

function analysis(r, meta) {
  const s = r.steps;
  const m = r.summary;
  const k = r.diag.kernels;
  const po = r.diag.probeOps;
  const jsOverWasm = m.scoreJsFull / m.scoreWasmFull;
  const tabScoring = coresOf(r.load, /^score \(WASM kernel\) \d/);
  const parts = [];
  parts.push(
    `What the figures say: at Herbarium scale on this ${r.machine.cores}-core VM, the NCM path of the Classify step as the app runs it on WASM (prototypes, temperature, the τ sweep over every held-out row, scoring every test row, the CSV) takes about ${fmtT(m.ncmTotal)}; one Adam epoch of the linear probe alone takes ${fmtT(m.probeWasmFull)}${m.probeWasmMeasured ? '' : ' (extrapolated)'}.`,
  );
  if (jsOverWasm >= 1.5)
    parts.push(
      `The tfjs WASM kernel scores ${jsOverWasm.toFixed(1)}× faster than the plain-JS kernel (${m.gflopsWasm.toFixed(1)} against ${m.gflopsJs.toFixed(1)} GFLOP/s) because its matmul reaches XNNPACK: tfjs-backend-wasm takes it only when neither operand is transposed, and with the weights [C×D] and transposeB the same matmul runs ${ratio2(k.matmulCDTransposed / k.matmulDC)} slower in its scalar fallback (diagnostics)${r.diag.top1 ? '; for top-1 the tfjs kernel also keeps the arg-max on the backend, the JS kernel arg-maxes every score in JavaScript' : ''}.`,
    );
  else
    parts.push(
      `The tfjs WASM kernel is not faster than the plain-JS kernel here (${m.gflopsWasm.toFixed(1)} against ${m.gflopsJs.toFixed(1)} GFLOP/s): tfjs-backend-wasm runs a matmul through XNNPACK only when neither operand is transposed (the diagnostics: ${fmtT(k.matmulDC)} with the weights [D×C], ${fmtT(k.matmulCDTransposed)} with [C×D] and transposeB).`,
    );
  const t = m.top1Full;
  const numpyCmp = `${m.gflopsWasm.toFixed(1)} against ${m.gflopsNumpy.toFixed(1)} GFLOP/s; NumPy kept ${m.numpyCores != null ? m.numpyCores.toFixed(1) : '?'} cores busy, the tab ${tabScoring} while scoring, ${coresOf(r.load, /^score \(JS kernel\)/)} with the JS kernel`;
  const byParts = t
    ? `By parts (diagnostics, top1's chunks, scaled to the ${n0(N_TEST)} test rows): the fused matmul ${fmtT(t.matmul)}; the two-stage arg-max and what it reads back ${fmtT(t.top1 - t.matmul)} (one tf.argMax over all the classes instead: ${fmtT(t.oneStage - t.matmul)}; tfjs-backend-wasm's ArgMax is a plain loop on one thread, its max pooling XNNPACK's vectorised kernel); ` +
      `the step's remaining ${fmtT(Math.max(0, m.scoreWasmFull - t.top1))} (against the diagnostic, timed apart on a shared machine) is scoreTopK's own work (gathering and normalising each chunk's query rows, 1,024-row blocks with a macrotask between them) and the noise between the two. The path top1 replaced, every score read back and arg-maxed in JavaScript (in its own ${n0(r.diag.top1.chunkRows[0])}-row chunks), would take ${fmtT(t.dotArgmax)}.`
    : '';
  if (m.ratioWasmNumpy <= 1)
    parts.push(
      `The app scores the test set at least as fast as NumPy: ${m.ratioWasmNumpy.toFixed(2)}× NumPy's time per row (${numpyCmp}). scoreTopK's top-1 goes through \`tfDotKernel.top1\`: the arg-max on the tfjs backend, on the fused matmul's output (XNNPACK's max pooling over blocks of classes, then tf.argMax over the blocks), and a row's ${n0(C)} scores never cross into JavaScript. ${byParts}`,
    );
  else if (t) {
    const np = m.numpyParts;
    const cpu = r.machine.cpuFlags ?? [];
    const simd = cpu.includes('avx512f') ? 'AVX-512' : cpu.includes('avx2') ? 'AVX2' : 'its native SIMD';
    const gap = np
      ? ` What is left is the matmul: tfjs's fused matmul alone comes to ${fmtT(t.matmul)} for the test set (${gflops(t.matmul, N_TEST).toFixed(0)} GFLOP/s), NumPy's matmul alone (\`x @ W.T\` into a preallocated array, its first repeat's ${n0(s.numpy[0].parts.rows)} rows, scaled) ${fmtT(np.matmul)} (${gflops(np.matmul, N_TEST).toFixed(0)} GFLOP/s, ${np.matmulCores.toFixed(1)} cores), ` +
        `so the app's matmul alone takes ${ratio2(t.matmul / m.numpyFull)} NumPy's whole scoring; NumPy's bias + argmax come to ${fmtT(np.biasArgmax)}, the rest of its ${fmtT(m.numpyFull)} is normalising and allocating each chunk. ` +
        `tfjs-backend-wasm's XNNPACK runs 128-bit WASM SIMD without fused multiply-add (${r.backend.relaxedMadd ? 'its binary has relaxed-SIMD f32x4.relaxed_madd opcodes' : 'its threaded-SIMD binary has no relaxed-SIMD f32x4.relaxed_madd opcode'}), OpenBLAS ${simd}${cpu.includes('fma') ? ' with FMA' : ''} on this CPU. The arg-max no longer separates them; fewer dot products (an exact pruned search) or a faster matmul kernel could.`
      : '';
    parts.push(
      `NumPy scores the same rows ${m.ratioWasmNumpy.toFixed(2)}× faster (${numpyCmp}), with scoreTopK's top-1 on the tfjs backend already (\`tfDotKernel.top1\`: XNNPACK's max pooling over blocks of classes on the fused matmul's output, then tf.argMax over the blocks). ${byParts}${gap}`,
    );
  }
  else
    parts.push(
      `NumPy scores the same rows ${m.ratioWasmNumpy.toFixed(1)}× faster (${numpyCmp}): tfDotKernel's dot products (matmul + read-back) come to about ${fmtT(m.dotsWasmFull)} of the app's ${fmtT(m.scoreWasmFull)}, the rest is per-row JavaScript on the worker's thread — arg-maxing ${n0(C)} scores a row (the bias is added in the matmul).`,
    );
  if (m.sweepPerScore < 1.5)
    parts.push(
      `The τ sweep costs ${m.sweepPerScore.toFixed(2)}× a top-1 scoring per row: with \`TauArgmax\` taking each τ's argmax over the ${s.sweepWasm.groups} groups of equal priors, 21 τ cost about one pass.`,
    );
  else parts.push(`The τ sweep costs ${m.sweepPerScore.toFixed(1)}× a top-1 scoring per row (${s.sweepWasm.groups} prior groups for \`TauArgmax\`).`);
  parts.push(
    `The probe is the slow part: with Adam (solver 'adam', no longer the app's default) ${fmtT(m.probeStep)} a step, ${fmtT(m.probeWasmFull)} an epoch, 20 epochs ${fmtT(20 * m.probeWasmFull)} (tfjs's plain-JS backend: ${ratio2(m.probeCpuFull / m.probeWasmFull)} longer); the app's default, full-batch L-BFGS, is costed above` +
      (po.gradW > 3 * po.gradWTransposed
        ? `. The app's probe computes the gradient for W as transpose(x)·dy (\`matMulForTraining\`): tfjs's own gradient, \`matMul(x, dy, transposeA)\`, runs in the same scalar fallback (${fmtT(po.gradW)} a step, against ${fmtT(po.gradWTransposed)} with x transposed first).`
        : '.'),
  );
  parts.push(
    `The temperature fit is JS only (fitNcmScale takes no kernel) but scores only ${n0(s.scaleFit.sampleRows)} rows; its ${fmtT(m.scaleFit)} is mostly the ${s.scaleFit.evaluations} log-likelihood evaluations (an exp per row and class). ` +
      `Memory stays with the data: the tab's peak is ${fmtMiB(r.memory.peakRenderer - r.memory.baseline)} above the baseline that holds the embeddings (peak in: ${r.memory.peakStep}); no step keeps an N × C matrix.`,
  );
  return parts.join(' ');
}

/** The app's Classify step (classifyFit, classifySubmission), the probe's L-BFGS cost and the high-dim variant: lines of the section. */
function appSection(r, meta, peakOf) {
  const s = r.steps;
  if (!s.fits && !s.probeEval && !s.dim) return [];
  const pctF = (v) => `${(100 * v).toFixed(1)}%`;
  const L = [];
  const stagesOf = (f) =>
    (f.stages[0]?.at > 0.05 ? `the labelled set and the backend ${fmtT(f.stages[0].at)}; ` : '') +
    f.stages
      .map((x, i) => {
        const end = i + 1 < f.stages.length ? f.stages[i + 1].at : f.seconds;
        return `${x.stage.replace(/ on \d+ images/, '')} ${fmtT(end - x.at)}`;
      })
      .join('; ');
  const apart = (f) =>
    [
      f.labelledSetSeconds != null ? `labelledSet ${fmtT(f.labelledSetSeconds)}` : null,
      f.bootstrapSeconds != null ? `of the validation, the 1,000-replicate bootstrap interval ${fmtT(f.bootstrapSeconds)} and the τ choice ${fmtT(f.chooseSeconds)}` : null,
      f.covarianceScatterSeconds != null ? `covariance pass ${fmtT(f.covarianceScatterSeconds)} over ${n0(f.covarianceRows)} images + Ledoit–Wolf and inverse ${fmtT(f.covarianceInvertSeconds)}${f.projectMeansSeconds ? ` + Pμ ${fmtT(f.projectMeansSeconds)}` : ''}` : null,
    ]
      .filter(Boolean)
      .join(', ');
  const validated = (v) => `${n0(v.images)}${v.sampledFrom ? ` (a seeded sample of ${n0(v.sampledFrom)})` : ''}`;
  const chosen = (f) => {
    const w = f.compared.find((c) => c.kind === f.kind) ?? f.compared[0];
    return { w, text: `${f.label}${f.setting !== f.label ? `: ${f.setting}` : ''}, τ = ${f.tau}${f.scale != null ? `, s = ${f.scale.toFixed(1)}${f.scaleAtBound ? ' (at its bound)' : ''}` : ''}${f.shrinkage != null ? `, shrinkage ${f.shrinkage.toFixed(3)}` : ''}` };
  };
  const goal = (kind, sec) => (kind === 'ncm-cosine' || kind === 'lda' ? (sec <= 120 ? ' (goal ≤ 2 min: **met**)' : ' (goal ≤ 2 min: **not met**)') : '');
  if (s.fits) {
    L.push(
      "**The app's Classify step as the page runs it** (issue 11: the classifier chosen by validation). An in-memory run of the same data (bench worker `fitSetup`: a `RunPlan` of the 839,772 train-metadata slots, train split and held-out as above, then the 210,407 test slots; every row written to a memory `RunStore` and recorded with `RunState.recordEmbedding`), an `EmbedSession` holding it, the app's `classifyHandlers(session)`; `classifyFit({ kind, backend: 'wasm', testPrior: 'train', validation: 'cross', limits, taxonomy })` timed end to end in the worker, with a synthetic taxonomy (genus ⌊c/6⌋: 2,584 genera, family ⌊c/57⌋: 272 families; Herbarium 2022 has 2,564 and 272). " +
        `Cross-validation fits on all ${n0(meta.trainAll)} labelled images and validates leave-one-out on at most MAX_VALIDATED = 2¹⁷ of them (MAX_VALIDATION_WORK = 2³⁹ images × classes × dims allows ${n0(Math.floor(2 ** 39 / (C * D)))} at 96-d); "where the time goes" is the stages classifyFit reports (its progress callbacks, timestamped), and apart, timed before the fit as it runs them, \`labelledSet\` and LDA's covariance pass. Accuracy figures: the synthetic data's, so they mean little.`,
      '',
      '| step | images | app, tfjs WASM | where the time goes | chosen (validated) | macro-F1 [95% CI] | tab RSS peak |',
      '|---|---:|---:|---|---|---:|---:|',
    );
    for (const [kind, f] of Object.entries(s.fits)) {
      const { w, text } = chosen(f);
      const cands = f.compared.length > 1 ? ` Compared: ${f.compared.map((c) => `${c.label} ${pctF(c.macroF1)} [${pctF(c.ciLow)}, ${pctF(c.ciHigh)}] in ${fmtT(c.ms / 1000)}`).join('; ')}. Reason: “${f.reason}”` : '';
      L.push(
        `| \`classifyFit\` ${kind}${kind === 'auto' ? ` (candidates ${f.compared.map((c) => c.label).join(', ')})` : ''} | ${n0(f.trainRows)} fitted, ${validated(f.validation)} validated (${f.validation.method}) | **${fmtT(f.seconds)}**${goal(kind, f.seconds)} | ${stagesOf(f)}${apart(f) ? ` (apart: ${apart(f)})` : ''} | ${text}.${cands} | ${pctF(w.macroF1)} [${pctF(w.ciLow)}, ${pctF(w.ciHigh)}] | ${peakOf(`classifyFit ${kind}`)} |`,
      );
      const sub = s.submissions?.[kind];
      if (sub)
        L.push(
          `| \`classifySubmission\` after the ${kind} fit (every test slot read from the store, \`scoreTopK\` top-1 at τ = ${f.tau}, submission.csv Blob ${(sub.blobBytes / 1048576).toFixed(1)} MiB) | ${n0(sub.rows)} | **${fmtT(sub.seconds)}** | | | | ${peakOf(`classifySubmission (${kind})`)} |`,
        );
    }
    L.push('');
    // Where the fits' time goes, from the figures above.
    const why = [];
    const ncm = s.fits['ncm-cosine'];
    const sweepPerRow = s.sweepWasm ? s.sweepWasm.seconds / s.sweepWasm.rows : null;
    const looOf = (f) => f.stages.find((x) => /leave-one-out/.test(x.stage));
    const durOf = (f, x) => {
      const i = f.stages.indexOf(x);
      return (i + 1 < f.stages.length ? f.stages[i + 1].at : f.seconds) - x.at;
    };
    if (ncm && looOf(ncm)) {
      const loo = durOf(ncm, looOf(ncm));
      const pass = loo - (ncm.bootstrapSeconds ?? 0) - (ncm.chooseSeconds ?? 0);
      why.push(
        `NCM's ${fmtT(loo)} of leave-one-out is the pass over the ${n0(ncm.validation.images)} validated images (temperature fit, scores, every τ: ~${fmtT(pass)}${sweepPerRow ? `; the kernel step's τ sweep scores as many held-out rows in ~${fmtT(sweepPerRow * ncm.validation.images)}: the rest is \`classMeanPass\`'s per-row JavaScript on every score read back, the own class's correction, the scale and prior over all ${n0(C)} classes and \`TauArgmax\`` : ''})` +
          (ncm.bootstrapSeconds != null ? ` and the 1,000-replicate bootstrap interval (${fmtT(ncm.bootstrapSeconds)})` : ''),
      );
    }
    const lda = s.fits.lda;
    if (lda?.covarianceScatterSeconds != null)
      why.push(`LDA adds the covariance pass over every one of the ${n0(lda.covarianceRows)} images (${fmtT(lda.covarianceScatterSeconds)} timed apart: \`ResidualScatter\` with its Σ rᵀr a tfjs matmul per block, \`tfGram\`)`);
    const hier = s.fits.hierarchical;
    if (hier) why.push(`the back-off validates its 7 κ on a ${n0(2 ** 15)}-image sample (SETTING_SEARCH_ROWS) before the chosen κ on all ${n0(hier.validation.images)}: ${fmtT(hier.seconds)}`);
    if (s.fits.auto) why.push(`\`auto\` runs the candidates one after the other (${fmtT(s.fits.auto.seconds)}, the sum) and skips the probe`);
    const ivs = Object.values(s.fits).map((f) => f.compared.find((c) => c.kind === f.kind)).filter((c, i, all) => c && (c.macroF1 > c.ciHigh || c.macroF1 < c.ciLow) && all.findIndex((o) => o?.label === c.label) === i);
    if (ivs.length)
      why.push(
        `note that the 95% intervals lie below their point estimates (${ivs.map((c) => `${c.label} ${pctF(c.macroF1)} against [${pctF(c.ciLow)}, ${pctF(c.ciHigh)}]`).join('; ')}): the app's percentile bootstrap of macro-F1 (\`intervalOf\`, stratified by class) resamples ~8 validated images a class, and macro-F1 of a resample is biased low, so the interval misses the estimate`,
      );
    if (why.length) L.push(`Where the time goes: ${why.join('; ')}.`, '');
  }
  const pe = s.probeEval;
  const pc = s.probeConverge;
  if (pe && pc) {
    // Linear in rows and in the classes present (a sample holds fewer of them).
    const fullEval = pe.rows >= meta.trainAll ? pe.seconds : (pe.seconds / pe.rows) * meta.trainAll * (C / pe.classes);
    const evalsPerFit = pc.evaluations;
    const fitFull = evalsPerFit * fullEval;
    const validation = 15 * fitFull;
    const auto = s.fits?.auto;
    const skipNote = auto ? (auto.reason.match(/the probe was not tried: ([^;]*?)(;|\.$)/)?.[1] ?? null) : null;
    L.push(
      `**The probe to convergence.** The app's probe is now full-batch L-BFGS (\`trainProbe\`'s default; \`createProbeObjective\`: the train rows kept on the backend in ${n0(pe.chunkRows)}-row chunks, per chunk a matmul for the logits, a softmax, a matmul for the gradient). ` +
        `One evaluation (loss + gradient, at zero weights) on ${pe.rows >= meta.trainAll ? `all ${n0(meta.trainAll)} labelled images` : `a seeded sample of ${n0(pe.rows)} of the ${n0(meta.trainAll)} labelled images`} × ${D} × ${n0(pe.classes)} classes on WASM: **${fmtT(pe.seconds)}**${pe.rows >= meta.trainAll ? '' : ` → **${fmtT(fullEval)} for all ${n0(meta.trainAll)}** (extrapolated linearly in rows and in the ${n0(pe.classes)} classes the sample holds)`} (+ ${fmtT(pe.setup)} to upload the rows; ${(((4 * meta.trainAll * C * (D + 1)) / fullEval) / 1e9).toFixed(1)} GFLOP/s of matmul; tab RSS peak ${peakOf('probe L-BFGS evaluation')}). ` +
        `To convergence on a smaller problem (the train rows of the first ${n0(pc.classes)} classes, ${n0(pc.rows)} × ${D} × ${n0(pc.classes)}): ${pc.iterations} iterations, ${pc.evaluations} evaluations, ${fmtT(pc.seconds)}, ${pc.converged ? `converged (${pc.stopReason})` : `not converged (${pc.stopReason})`} (the probe commit's figure: 135 iterations at 20,000 × 96 × 500). ` +
        `At that count, one fit at full scale would take **~${fmtT(fitFull)}** (${evalsPerFit} × ${fmtT(fullEval)}; more classes usually want more iterations, so this is a floor), against the goal of ≤ 30 min: **${fitFull <= 1800 ? 'met' : 'not met'}**${fitFull > 1800 ? ` by ${ratio2(fitFull / 1800)}` : ''}; the app's 5-fold validation (15 fits: 5 folds × 3 weight decays, warm-started, on 4/5 of the rows) + the final fit would take ~${fmtT(validation * 0.8 + fitFull)} at that count. ` +
        `What the app does instead: \`auto\` leaves the probe out above PROBE_AUTO_BUDGET = 2³⁴ images × classes × dims (Herbarium at 96-d is ${(meta.trainAll * C * D / 2 ** 34).toFixed(0)}× over)${skipNote ? `, and says so in its reason: “the probe was not tried: ${skipNote}”` : ''}; the probe runs only when chosen by name.`,
      '',
    );
  }
  // The issue's goals against this record.
  const m = r.summary;
  const goals = [];
  for (const kind of ['ncm-cosine', 'lda']) {
    const f = s.fits?.[kind];
    if (f) goals.push(`${f.label} with leave-one-out selection ≤ 2 min: ${fmtT(f.seconds)}, **${f.seconds <= 120 ? 'met' : 'not met'}**`);
  }
  if (pe && pc) {
    const fullEval = pe.rows >= meta.trainAll ? pe.seconds : (pe.seconds / pe.rows) * meta.trainAll * (C / pe.classes);
    const fit = pc.evaluations * fullEval;
    goals.push(`the probe to convergence ≤ 30 min: ~${fmtT(fit)} (estimated), **${fit <= 1800 ? 'met' : 'not met'}** (auto leaves it out and says why)`);
  }
  const sub = s.submissions?.['ncm-cosine'] ?? Object.values(s.submissions ?? {})[0];
  if (m?.ratioWasmNumpy)
    goals.push(
      `test scoring as fast as NumPy: the kernel step ${m.ratioWasmNumpy.toFixed(2)}× NumPy's time per row${sub ? `, the app's \`classifySubmission\` ${fmtT(sub.seconds)} against NumPy's ${fmtT(m.numpyFull)} (${(sub.seconds / m.numpyFull).toFixed(2)}×)` : ''}, **not met**: nearly all of it is tfjs-backend-wasm's matmul (128-bit WASM SIMD without FMA in XNNPACK against OpenBLAS; the diagnostics below)`,
    );
  const dm = s.dim;
  if (dm) {
    const d = dm.setup.dim;
    const heldFull = meta.heldout;
    L.push(
      `**At ${n0(d)}-d** (the full model's layer): Herbarium's ${n0(meta.trainAll)} labelled images × ${n0(d)} are ${((meta.trainAll * d * 4) / 1e9).toFixed(1)} GB of float32 (${((meta.trainAll * d * 2) / 1e9).toFixed(1)} GB as float16): more than the bench's tab can hold as a memory run. The app caps the work by D, not by images: the covariance pass reads at most MAX_COVARIANCE_WORK/D² = ${n0(dm.setup.covarianceCap)} images (a seeded sample), leave-one-out validates at most MAX_VALIDATION_WORK/(C·D) = ${n0(dm.setup.validationCap)}; LDA's D×D Gram and Pμ run as tfjs matmuls at D ≥ 256. ` +
        `So the bench fits a synthetic ${n0(d)}-d run of ${n0(dm.setup.rows)} images over all ${n0(C)} classes (more than both caps: the capped passes run at the size they would at full scale; ${((dm.setup.storeBytes) / 2 ** 20).toFixed(0)} MiB in the store; built in ${fmtT(dm.setup.seconds)}, not counted):`,
      '',
      '| step | images | app, tfjs WASM, measured | where the time goes | at full scale (839,772 images, estimated) | tab RSS peak |',
      '|---|---:|---:|---|---:|---:|',
    );
    for (const [kind, f] of Object.entries(dm.fits)) {
      // What grows with the run's images: labelledSet's held-out class sums (the rest of the fit is capped).
      const heldHere = f.trainRows - Math.round(f.trainRows * 0.8);
      const extra = f.labelledSetSeconds != null ? f.labelledSetSeconds * (heldFull / Math.max(1, heldHere) - 1) : 0;
      L.push(
        `| \`classifyFit\` ${kind} at ${n0(d)}-d | ${n0(f.trainRows)} fitted, ${validated(f.validation)} validated | **${fmtT(f.seconds)}** | ${stagesOf(f)}${apart(f) ? ` (apart: ${apart(f)})` : ''} | ~${fmtT(f.seconds + Math.max(0, extra))}${goal(kind, f.seconds + Math.max(0, extra))} (the capped passes as measured; labelledSet's held-out sums scaled to ${n0(heldFull)} held-out images) | ${peakOf(`${d}-d classifyFit ${kind}`)} |`,
      );
    }
    const dn = dm.fits['ncm-cosine'];
    const dl = dm.fits.lda;
    if (dn && dl && dl.covarianceScatterSeconds != null) {
      const looN = dn.stages.find((x) => /leave-one-out/.test(x.stage));
      const looL = dl.stages.find((x) => /leave-one-out/.test(x.stage));
      const dur = (f, x) => {
        const i = f.stages.indexOf(x);
        return (i + 1 < f.stages.length ? f.stages[i + 1].at : f.seconds) - x.at;
      };
      const cov = dl.covarianceScatterSeconds + dl.covarianceInvertSeconds + (dl.projectMeansSeconds ?? 0);
      const rest = dur(dl, looL) - dur(dn, looN) - cov;
      L.push(
        '',
        `At ${n0(d)}-d LDA's leave-one-out takes ${fmtT(dur(dl, looL))} against NCM's ${fmtT(dur(dn, looN))} on the same ${n0(dl.validation.images)} images; the covariance (Gram on tfjs, Ledoit–Wolf, the ${n0(d)}×${n0(d)} inverse in JavaScript, Pμ) is ${fmtT(cov)} of it, and most of the remaining ~${fmtT(rest)} is LDA's own-class correction, \`quadraticForm(P, x)\` (xᵀPx: D² = ${(d * d / 1e6).toFixed(1)} M multiply-adds in JavaScript per validated image, ldaMethod's leaveOut in src/core/learn/lda.ts).`,
      );
    }
    L.push('');
    const lda = dm.fits.lda;
    if (lda) goals.push(`at ${n0(d)}-d (capped passes measured on the synthetic run): ${fmtT(lda.seconds)} for LDA, ${dm.fits['ncm-cosine'] ? `${fmtT(dm.fits['ncm-cosine'].seconds)} for NCM cosine` : ''}`);
  }
  if (goals.length) L.push(`**Goals (issue 11):** ${goals.join('; ')}.`, '');
  return L;
}

const coresOf = (loads, re) => {
  const xs = loads.filter((l) => re.test(l.step)).map((l) => l.tabCores);
  return xs.length ? `${median(xs).toFixed(1)} cores` : '? cores';
};
const ratio2 = (x) => (x >= 10 ? `${Math.round(x)}×` : `${x.toFixed(1)}×`);

if (opts['from-result']) {
  // Rewrite the section from the saved record, measuring nothing.
  const r = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  const meta = JSON.parse(fs.readFileSync(path.join(genDir, 'meta.json'), 'utf8'));
  r.summary = summarize(r, meta);
  const section = benchmarksSection(r, meta);
  console.log(section);
  if (!opts['no-write']) writeSection('classify', section);
} else await main();
