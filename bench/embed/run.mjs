#!/usr/bin/env node
/**
 * Embed benchmark, browser side: MobileNetV2 in headless Chromium (the app's own build), beside the
 * native PyTorch anchor (bench/embed/native.mjs → anchor.py) run in the same invocation.
 *
 *   npm run bench:embed            (= node bench/embed/run.mjs)
 *
 * 1. Model only, per backend (wasm, webgpu, webgl, cpu; a fresh page each), batch 1, 8 and 32,
 *    through the page's hook `window.longTailLab.timeModel({ backend, batchSize, batches, layer })`
 *    (src/store/embedActions.ts → embedTiming in src/workers/embedHandlers.ts): set-up (model
 *    build + one warm-up batch) and the timed batches after it. images/s = batch / median(batch ms).
 *    Layer `out_relu` (the whole network, 1280-d, the same work as torchvision's
 *    mobilenet_v2.features + pooling) for every backend; the app's default layer (block 10) on
 *    WASM too. WASM is timed twice, in pages before and after the native anchor. The software
 *    backends (WebGPU on SwiftShader's fallback adapter, WebGL, the plain-JS CPU backend) get one
 *    or two batches, and a batch size whose single batch is predicted over --slow-batch-s (90 s)
 *    is skipped.
 * 2. End to end in the app: an ImageFolder of Herbarium-sized JPEGs (bench/embed/gen-jpegs.mjs:
 *    1000×1500, 4:2:0) hard-linked as bench/.data/embed-folder/train/<class>/<file>.jpg, picked
 *    through `folder-input`; backend / batch / layer chosen with the section's controls; Start;
 *    timed in the page from the click to `embed-status` data-state = done. Each repeat is a fresh
 *    browser context (fresh OPFS: no stored run to resume). Configurations interleaved.
 * 3. The native anchor: runNativeAnchor() from bench/embed/native.mjs, between the two WASM rounds.
 *
 * Options: --repeats N (end-to-end repeats per configuration, default 3), --images N (JPEGs in the
 * folder, default 96), --classes N (default 4), --native-repeats N (default 3), --no-native,
 * --native-wait (let the native anchor wait for an idle machine up to 10 min per process, not
 * --quiet-wait-s), --quiet-wait-s S (default 45), --native-inner-repeats N (default 3),
 * --slow-budget-s S (default 120),
 * --backends wasm,webgpu,webgl,cpu, --no-e2e, --no-model, --slow-batch-s S (default 90),
 * --build (always rebuild), --no-write (leave BENCHMARKS.md alone), --port N (default 4186; the
 * next free one if taken), --from-result (rewrite the section from the saved record, measuring
 * nothing); --help lists them. Env: CHROMIUM_PATH, PYTHON.
 *
 * Results: bench/.data/embed-result.json (everything), a summary on stdout, and the section of
 * BENCHMARKS.md between `<!-- bench:embed:start -->` and `<!-- bench:embed:end -->`.
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureJpegs, jpegParams } from './gen-jpegs.mjs';
import { runNativeAnchor } from './native.mjs';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';
import { bulletLines, cleanupOnSignals, CLK_TCK, coresBusy, cpuTimes, descendants, ensureAppBuild, fmtMs, freeLines, freePort, machineInfo, median, parseBenchArgs, procJiffies, sectionHead, sectionMarkers, startPreview, stopPreview, waitForQuietMachine, writeSection } from '../lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const dataDir = path.join(root, 'bench', '.data');
const distDir = path.join(dataDir, 'embed-dist'); // our own build: dist/ is rebuilt by others meanwhile
const folderRoot = path.join(dataDir, 'embed-folder');
const resultFile = path.join(dataDir, 'embed-result.json');
const MARK_END = sectionMarkers('embed').end;

const { values: opts, argv } = parseBenchArgs({
  script: 'bench/embed/run.mjs',
  summary: 'Embed benchmark: MobileNetV2 in headless Chromium (model only per backend, and end to end in the app) beside the native PyTorch anchor.',
  options: {
    repeats: { type: 'number', default: 3, help: 'end-to-end repeats per configuration' },
    images: { type: 'number', default: 96, help: 'JPEGs in the folder' },
    classes: { type: 'number', default: 4, help: 'classes in the folder' },
    'native-repeats': { type: 'number', default: 3, help: 'native anchor processes' },
    'no-native': { type: 'boolean', help: 'skip the native anchor' },
    'native-wait': { type: 'boolean', help: 'let the native anchor wait for an idle machine up to 10 min per process, not --quiet-wait-s' },
    'quiet-wait-s': { type: 'number', default: 45, arg: 'S', help: 'wait up to this long for a quiet machine before each timed phase' },
    'native-inner-repeats': { type: 'number', default: 3, help: 'timed repeats inside each anchor process' },
    'slow-budget-s': { type: 'number', default: 120, arg: 'S', help: 'wall time for each software backend' },
    backends: { type: 'string', default: 'wasm,webgpu,webgl,cpu', arg: 'LIST', help: 'backends timed model only' },
    'no-e2e': { type: 'boolean', help: 'skip the end-to-end runs' },
    'no-model': { type: 'boolean', help: 'skip the model-only rounds' },
    'slow-batch-s': { type: 'number', default: 90, arg: 'S', help: 'skip a batch size whose single batch is predicted over this' },
    build: { type: 'boolean', help: 'always rebuild' },
    'no-write': { type: 'boolean', help: 'leave BENCHMARKS.md alone' },
    port: { type: 'number', default: 4186, help: 'port for vite preview (the next free one if taken)' },
    'from-result': { type: 'boolean', help: 'rewrite the section from the saved record, measuring nothing' },
  },
});
const REPEATS = opts.repeats;
const IMAGES = opts.images;
const CLASSES = opts.classes;
const NATIVE_REPEATS = opts['native-repeats'];
const NATIVE_IMAGES = 64;
const BACKENDS = opts.backends.split(',').filter(Boolean);
const SLOW_BATCH_MS = opts['slow-batch-s'] * 1000;
// Each software backend gets this much wall time: a batch size whose call (warm-up batch + timed
// batches) is predicted to overrun it is skipped.
const SLOW_BUDGET_MS = opts['slow-budget-s'] * 1000;
const NATIVE_INNER_REPEATS = opts['native-inner-repeats'];
// Before each timed phase, wait up to this long for other processes to leave the CPUs (< 0.3 cores
// for 3 s); the native anchor waits the same way before each of its processes (its own longer wait:
// --native-wait).
const QUIET_WAIT_MS = opts['quiet-wait-s'] * 1000;
const WANT_PORT = opts.port;
const AVOID_PORTS = new Set([4173, 4175, 4179, 4190, 4191, 4297]);
const BATCH_SIZES = [1, 8, 32];
const FULL_LAYER = 'out_relu';
const DEFAULT_LAYER = 'block_10_project_BN';
// Timed batches per call: many for WASM (fast), one or two for the software backends.
const FAST_BATCHES = { 1: 10, 8: 5, 32: 3 };
const SLOW_BATCHES = { 1: 2, 8: 1, 32: 1 };
const E2E_TIMEOUT_MS = 10 * 60 * 1000;

const log = (...a) => console.error('[bench:embed]', ...a);
const round = (x, d = 1) => (x == null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);
const f1 = (x) => (x == null || !Number.isFinite(x) ? 'n/a' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x < 1 ? x.toFixed(2) : x.toFixed(1));
const f2 = (x) => (x == null || !Number.isFinite(x) ? 'n/a' : x.toFixed(2));
const loadavg = () => os.loadavg().map((x) => round(x, 2));

// ---------------------------------------------------------------------------------------------
// CPU accounting: how much of the machine other processes used while we measured

/**
 * Samples every 500 ms the CPU time of this process and all its descendants (Chromium, the preview
 * server) and the whole machine's; `stop()` gives cores used by the machine, by us, and by others.
 */
class CpuMeter {
  constructor() {
    this.c0 = cpuTimes();
    this.t0 = performance.now();
    this.first = new Map();
    this.last = new Map();
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), 500);
  }
  sample(initial) {
    for (const pid of [process.pid, ...descendants(process.pid)]) {
      const j = procJiffies(pid);
      if (j == null) continue;
      if (!this.first.has(pid)) this.first.set(pid, initial ? j : 0);
      this.last.set(pid, j);
    }
  }
  stop() {
    clearInterval(this.timer);
    this.sample(false);
    const c1 = cpuTimes();
    const wall = (performance.now() - this.t0) / 1000;
    const machineCores = coresBusy(this.c0, c1);
    let ours = 0;
    for (const [pid, j] of this.last) ours += j - this.first.get(pid);
    const oursCores = ours / CLK_TCK / Math.max(0.001, wall);
    return { wallSeconds: round(wall, 2), machineCores: round(machineCores, 2), oursCores: round(oursCores, 2), othersCores: round(Math.max(0, machineCores - oursCores), 2) };
  }
}

/** Waits (at most `maxMs`) until the whole machine has used < 0.3 cores for 3 s; our browser is idle meanwhile. */
async function waitForQuiet(maxMs, what, waits) {
  const t0 = Date.now();
  const q =
    maxMs > 0
      ? await waitForQuietMachine({
          below: 0.3,
          maxMs,
          onBusy: (cores) => log(`  machine busy (${cores.toFixed(2)} cores in use) before ${what}: waiting up to ${Math.round(maxMs / 1000)} s for it to go quiet ...`),
        })
      : null;
  const cores = q?.cores ?? null;
  const w = { before: what, waitedSeconds: round((Date.now() - t0) / 1000, 1), busyCores: round(cores, 2), quiet: cores != null && cores < 0.3, loadAverage: loadavg() };
  waits.push(w);
  return w;
}

// ---------------------------------------------------------------------------------------------
// Build, serve, data

function ensureBuild() {
  // As package.json's build script: the demo pack and the model in public/ first.
  if (!fs.existsSync(path.join(root, 'public', 'demo', 'demo.pack'))) {
    log('public/demo is missing: npm run demo');
    const r = spawnSync('npm', ['run', 'demo', '--silent'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`npm run demo failed (exit ${r.status})`);
  }
  const model = path.join(root, 'public', 'models', 'mobilenet_v2', 'model.json');
  if (!fs.existsSync(model)) {
    log('public/models/mobilenet_v2 is missing: npm run model');
    const r = spawnSync('npm', ['run', 'model', '--silent'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`npm run model failed (exit ${r.status})`);
  }
  return ensureAppBuild({ root, distDir, force: opts.build, log });
}

/** train/<class>/<file>.jpg hard links (copies where links fail) to the generated JPEGs. */
function ensureFolder(jpegs) {
  const wanted = jpegs.files.map((file, i) => path.join(folderRoot, 'train', `class_${String(i % CLASSES).padStart(2, '0')}`, path.basename(file)));
  const existing = fs.existsSync(folderRoot) ? listFiles(folderRoot) : [];
  const same = existing.length === wanted.length && wanted.every((w, i) => fs.statSync(w, { throwIfNoEntry: false })?.ino === fs.statSync(jpegs.files[i]).ino);
  let linked = 'hard links';
  if (!same) {
    fs.rmSync(folderRoot, { recursive: true, force: true });
    wanted.forEach((w, i) => {
      fs.mkdirSync(path.dirname(w), { recursive: true });
      try {
        fs.linkSync(jpegs.files[i], w);
      } catch {
        fs.copyFileSync(jpegs.files[i], w);
        linked = 'copies';
      }
    });
  }
  const perClass = {};
  for (const w of wanted) perClass[path.basename(path.dirname(w))] = (perClass[path.basename(path.dirname(w))] ?? 0) + 1;
  return { dir: folderRoot, files: wanted.length, classes: Object.keys(perClass).length, perClass, linked };
}

function listFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

const machine = () => machineInfo(['date', 'commit', 'dirty', 'cpu', 'lscpu', 'nproc', 'os', 'kernel', 'chromium', 'chromiumPath', 'node', 'free'], { root });

// ---------------------------------------------------------------------------------------------
// Pages

const launchArgs = [...chromiumArgs, '--enable-unsafe-webgpu'];

async function newPage(browser, url, errors) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => typeof globalThis.longTailLab?.timeModel === 'function', null, { timeout: 60_000 });
  const env = await page.evaluate(() => ({
    crossOriginIsolated: globalThis.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
    webgpu: 'gpu' in navigator,
  }));
  return { context, page, env };
}

/** Rejects (and closes the context, which stops the page's work) after `ms`. */
async function withTimeout(promise, ms, context, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      context.close().catch(() => {});
      reject(new Error(`${what}: no answer in ${Math.round(ms / 1000)} s (page closed)`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Model only

function timing(r, batchSize) {
  const med = median(r.batchMs);
  return {
    ...r,
    batchSize,
    medianBatchMs: round(med, 1),
    imagesPerSecond: med ? round((batchSize / med) * 1000, 2) : null,
    batchMs: r.batchMs.map((x) => round(x, 1)),
    setupMs: round(r.setupMs, 0),
    tensorsGrew: r.numTensorsAfter !== r.numTensorsBefore,
  };
}

/**
 * One backend in a fresh page: every layer in `layers`, batch 1, 8, 32. Slow backends: a batch
 * size is skipped when its single batch is predicted (from the previous size's per-image time) to
 * take over SLOW_BATCH_MS, or its whole call (warm-up + timed batches) to overrun the backend's
 * SLOW_BUDGET_MS.
 */
async function modelPhase(browser, url, backend, { layers, round: roundNo }) {
  const errors = [];
  const out = { backend, round: roundNo, layers: {}, notes: [], errors };
  const meter = new CpuMeter();
  const tBackend = performance.now();
  let context;
  try {
    const p = await newPage(browser, url, errors);
    context = p.context;
    out.env = p.env;
    const fast = backend === 'wasm';
    for (const layer of layers) {
      const rows = (out.layers[layer] = {});
      let perImageMs = null;
      let perImageFrom = null;
      let dead = false;
      for (const bs of BATCH_SIZES) {
        if (dead) {
          rows[bs] = { skipped: 'the page stopped answering at a smaller batch' };
          continue;
        }
        const batches = (fast ? FAST_BATCHES : SLOW_BATCHES)[bs];
        const predicted = perImageMs == null ? null : perImageMs * bs;
        const prev = perImageFrom;
        if (!fast && predicted != null && predicted > SLOW_BATCH_MS) {
          rows[bs] = { skipped: `one batch predicted at ${fmtMs(predicted)} (> ${SLOW_BATCH_MS / 1000} s; from batch ${prev})`, predictedMs: round(predicted, 0) };
          log(`  ${backend} ${layer} batch ${bs}: skipped (${rows[bs].skipped})`);
          continue;
        }
        const left = SLOW_BUDGET_MS - (performance.now() - tBackend);
        if (!fast && predicted != null && predicted * (batches + 1) > left) {
          rows[bs] = {
            skipped: `one batch predicted at ${fmtMs(predicted)} (from batch ${prev}); with its warm-up batch ${fmtMs(predicted * (batches + 1))}, over the ${SLOW_BUDGET_MS / 1000} s this backend is given`,
            predictedMs: round(predicted, 0),
          };
          log(`  ${backend} ${layer} batch ${bs}: skipped (${rows[bs].skipped})`);
          continue;
        }
        // Set-up is a model build plus one warm-up batch: allow 2 batches + compile, generously; a
        // software backend no longer than what is left of its budget (and 30 s more).
        let limit = Math.min(20 * 60_000, 180_000 + (predicted ?? 30_000) * (batches + 1) * 3);
        if (!fast) limit = Math.min(limit, Math.max(90_000, left + 30_000));
        log(`  ${backend} ${layer} batch ${bs} × ${batches}${predicted ? ` (predicted ${fmtMs(predicted)} a batch)` : ''} ...`);
        const t0 = performance.now();
        const callMeter = new CpuMeter();
        try {
          const r = await withTimeout(
            p.page.evaluate((args) => globalThis.longTailLab.timeModel(args), { backend, batchSize: bs, batches, layer }),
            limit,
            context,
            `${backend} batch ${bs}`,
          );
          rows[bs] = timing(r, bs);
          rows[bs].wallMs = round(performance.now() - t0, 0);
          rows[bs].cpu = callMeter.stop();
          out.detail = r.detail;
          perImageMs = rows[bs].medianBatchMs / bs;
          perImageFrom = bs;
          log(`    ${f1(rows[bs].imagesPerSecond)} img/s (median ${fmtMs(rows[bs].medianBatchMs)} a batch; set-up ${fmtMs(rows[bs].setupMs)}; tensors ${r.numTensorsBefore} → ${r.numTensorsAfter}; Chromium ${f2(rows[bs].cpu.oursCores)} cores, others ${f2(rows[bs].cpu.othersCores)})`);
        } catch (e) {
          const msg = String(e.message ?? e).split('\n')[0];
          rows[bs] = { error: msg, wallMs: round(performance.now() - t0, 0), cpu: callMeter.stop() };
          log(`    FAILED: ${msg}`);
          if (/no answer|closed|Target/.test(msg)) dead = true;
        }
      }
    }
  } catch (e) {
    out.error = String(e.message ?? e).split('\n')[0];
    log(`  ${backend}: FAILED: ${out.error}`);
  } finally {
    await context?.close().catch(() => {});
    out.cpu = meter.stop();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 2. End to end in the app

/** In the page: click Start, follow the run until data-state is done (or error); times from the click. */
function pageRun({ timeoutMs }) {
  const q = (id) => document.querySelector(`[data-testid="${id}"]`);
  const start = q('embed-start');
  if (!start || start.disabled) return Promise.resolve({ error: `embed-start ${start ? 'is disabled' : 'not found'}` });
  return new Promise((resolve) => {
    const progress = [];
    const rates = [];
    let lastNow = -1;
    let lastRate = '';
    let settled = false;
    const look = () => {
      const t = performance.now() - t0;
      const bar = q('embed-progress');
      const now = Number(bar?.getAttribute('aria-valuenow') ?? 0);
      if (now !== lastNow) {
        lastNow = now;
        progress.push([Math.round(t), now]);
      }
      const ips = q('stat-images-per-second')?.getAttribute('data-value') ?? '';
      if (ips !== lastRate) {
        lastRate = ips;
        if (ips !== '') rates.push([Math.round(t), Number(ips)]);
      }
      const state = q('embed-status')?.getAttribute('data-state');
      if (state === 'done' || state === 'error') finish(state, t);
    };
    const finish = (state, t, extra = {}) => {
      if (settled) return;
      settled = true;
      mo.disconnect();
      clearTimeout(timer);
      resolve({
        state,
        ms: t,
        progress,
        rates,
        max: Number(q('embed-progress')?.getAttribute('aria-valuemax') ?? 0),
        error: state === 'error' ? (q('embed-status')?.textContent ?? '').trim() : undefined,
        ...extra,
      });
    };
    const mo = new MutationObserver(look);
    mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    const timer = setTimeout(() => finish('timeout', performance.now() - t0, { error: `not done in ${timeoutMs} ms` }), timeoutMs);
    const t0 = performance.now();
    start.click();
  });
}

async function e2eRun(browser, url, folder, config) {
  const errors = [];
  const meter = new CpuMeter();
  let context;
  const out = { ...config, errors };
  try {
    const p = await newPage(browser, url, errors);
    context = p.context;
    out.env = p.env;
    const page = p.page;
    const dropzone = page.getByTestId('dropzone');
    const before = Number((await dropzone.getAttribute('data-actions-done')) ?? 0);
    const tPick = performance.now();
    await page.getByTestId('folder-input').setInputFiles(folder.dir);
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="dropzone"]')?.getAttribute('data-actions-done') ?? 0) > n, before, { timeout: 60_000 });
    out.folderMs = round(performance.now() - tPick, 0);
    out.format = await page.getByTestId('dataset-format').getAttribute('data-value').catch(() => null);
    await page.getByTestId('embed-start').waitFor({ state: 'visible', timeout: 30_000 });
    await page.getByTestId('backend-select').selectOption(config.backend);
    await page.getByTestId('batch-size').fill(String(config.batch));
    const layers = await page.$$eval('[data-testid="layer-select"] option', (os) => os.map((o) => o.value));
    if (!layers.includes(config.layer)) throw new Error(`layer-select has no ${config.layer} (has ${layers.join(', ')})`);
    await page.getByTestId('layer-select').selectOption(config.layer);
    const chosen = await page.evaluate(() => ({
      backend: document.querySelector('[data-testid="backend-select"]').value,
      batch: document.querySelector('[data-testid="batch-size"]').value,
      layer: document.querySelector('[data-testid="layer-select"]').value,
    }));
    if (chosen.backend !== config.backend || Number(chosen.batch) !== config.batch || chosen.layer !== config.layer) throw new Error(`the controls show ${JSON.stringify(chosen)}`);
    await page.waitForFunction(() => !document.querySelector('[data-testid="embed-start"]')?.disabled, null, { timeout: 30_000 });
    const r = await page.evaluate(pageRun, { timeoutMs: E2E_TIMEOUT_MS });
    Object.assign(out, r);
    if (r.state !== 'done') throw new Error(`run ended ${r.state}: ${r.error ?? ''}`);
    const read = async (id, attr = 'data-value') => page.getByTestId(id).getAttribute(attr).catch(() => null);
    out.backendUsed = await read('backend');
    out.backendReason = (await page.getByTestId('backend-reason').textContent().catch(() => null))?.trim() ?? null;
    out.embedded = Number(await read('stat-embedded'));
    out.skipped = Number(await read('stat-skipped-images'));
    out.numTensors = await read('embed-status', 'data-num-tensors');
    out.images = r.max;
    out.imagesPerSecond = round((r.max / r.ms) * 1000, 2);
    // After the first batch: excludes loading the model (build + warm-up, and auto's calibration).
    const firstIdx = r.progress.findIndex(([, n]) => n > 0);
    const first = r.progress[firstIdx];
    const last = r.progress[r.progress.length - 1];
    if (first && last && last[0] > first[0]) {
      out.firstBatchAtMs = first[0];
      out.steadyImagesPerSecond = round(((last[1] - first[1]) / (last[0] - first[0])) * 1000, 2);
    }
    out.appRate = r.rates.length ? r.rates[r.rates.length - 1][1] : null;
    out.appRateMedian = median(r.rates.map(([, v]) => v));
    out.ok = out.embedded + out.skipped === out.images && out.skipped === 0;
    if (!out.ok) out.error = `embedded ${out.embedded}, skipped ${out.skipped} of ${out.images}`;
  } catch (e) {
    out.ok = false;
    out.error = out.error ?? String(e.message ?? e).split('\n')[0];
  } finally {
    await context?.close().catch(() => {});
    out.cpu = meter.stop();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Summary and Markdown

/** A call during which other processes used more than this many cores is left out of the medians (if any call is left). */
const BUSY_CORES = 0.25;

function summarizeModel(rounds) {
  // backend → layer → batch → { imagesPerSecond (median over every timed batch of the quiet calls), ... }
  const out = {};
  for (const r of rounds) {
    for (const [layer, rows] of Object.entries(r.layers)) {
      for (const [bs, row] of Object.entries(rows)) {
        const cell = (((out[r.backend] ??= {})[layer] ??= {})[bs] ??= { calls: [], skipped: null, errors: [] });
        if (row.batchMs) cell.calls.push({ ...row, round: r.round });
        else if (row.skipped) cell.skipped = row.skipped;
        else if (row.error) cell.errors.push(row.error);
      }
    }
  }
  for (const layers of Object.values(out))
    for (const rows of Object.values(layers))
      for (const [bs, cell] of Object.entries(rows)) {
        const quiet = cell.calls.filter((c) => (c.cpu?.othersCores ?? 0) <= BUSY_CORES);
        const used = quiet.length ? quiet : cell.calls;
        cell.leftOut = cell.calls.length - used.length;
        cell.contended = quiet.length === 0 && cell.calls.length > 0;
        cell.batchMs = used.flatMap((c) => c.batchMs);
        cell.setupMs = used.map((c) => c.setupMs);
        cell.perRound = cell.calls.map((c) => ({ round: c.round, imagesPerSecond: c.imagesPerSecond, othersCores: c.cpu?.othersCores ?? null, used: used.includes(c) }));
        cell.tensors = cell.calls.map((c) => `${c.numTensorsBefore}→${c.numTensorsAfter}`);
        cell.chromiumCores = round(median(used.map((c) => c.cpu?.oursCores)), 2);
        const med = median(cell.batchMs);
        cell.medianBatchMs = round(med, 1);
        cell.imagesPerSecond = med ? round((Number(bs) / med) * 1000, 2) : null;
        cell.medianSetupMs = round(median(cell.setupMs), 0);
        cell.batches = cell.batchMs.length;
        delete cell.calls;
      }
  return out;
}

function summarizeE2e(runs) {
  const out = {};
  for (const r of runs) {
    const c = (out[r.id] ??= { id: r.id, backend: r.backend, batch: r.batch, layer: r.layer, label: r.label, runs: [], ok: 0 });
    c.runs.push(r);
    if (r.ok) c.ok++;
  }
  for (const c of Object.values(out)) {
    const ok = c.runs.filter((r) => r.ok);
    c.imagesPerSecond = round(median(ok.map((r) => r.imagesPerSecond)), 2);
    c.steadyImagesPerSecond = round(median(ok.map((r) => r.steadyImagesPerSecond)), 2);
    c.appRate = round(median(ok.map((r) => r.appRate)), 1);
    c.seconds = round(median(ok.map((r) => r.ms / 1000)), 2);
    c.firstBatchSeconds = round(median(ok.map((r) => r.firstBatchAtMs / 1000)), 2);
    c.backendsUsed = [...new Set(ok.map((r) => r.backendUsed))];
    c.reasons = [...new Set(ok.map((r) => r.backendReason).filter(Boolean))];
    c.numTensors = [...new Set(ok.map((r) => r.numTensors))];
    c.othersCores = ok.map((r) => r.cpu?.othersCores);
    c.chromiumCores = round(median(ok.map((r) => r.cpu?.oursCores)), 2);
    c.images = ok[0]?.images ?? null;
  }
  return out;
}

function ratio(a, b) {
  return a != null && b ? round(a / b, 2) : null;
}

function comparisons(res) {
  const n = res.native?.ok ? res.native.imagesPerSecond : null;
  const wasm = res.model.wasm?.[FULL_LAYER]?.['32']?.imagesPerSecond ?? null;
  const e2e = res.e2e['wasm-32-full'];
  const c = {
    modelWasm32: wasm,
    torchContiguous32: n?.model?.['contiguous/32'] ?? null,
    torchChannelsLast32: n?.model?.['channels_last/32'] ?? null,
    appWasm32Full: e2e?.imagesPerSecond ?? null,
    appWasm32FullSteady: e2e?.steadyImagesPerSecond ?? null,
    seedE2eContiguous: n?.e2e?.contiguous ?? null,
    seedE2eChannelsLast: n?.e2e?.channels_last ?? null,
    seedLoaderContiguous: n?.loader?.contiguous ?? null,
  };
  c.modelVsContiguous = ratio(c.modelWasm32, c.torchContiguous32);
  c.modelVsChannelsLast = ratio(c.modelWasm32, c.torchChannelsLast32);
  c.e2eVsSeed = ratio(c.appWasm32Full, c.seedE2eContiguous);
  c.e2eSteadyVsSeed = ratio(c.appWasm32FullSteady, c.seedE2eContiguous);
  c.e2eVsSeedChannelsLast = ratio(c.appWasm32Full, c.seedE2eChannelsLast);
  c.goalMet = c.modelVsContiguous == null ? null : c.modelVsContiguous >= 1;
  // Like for like: the anchor times its loop without loading the model, so the app is judged
  // after its first batch; click → done (model load and warm-up included) is reported beside it.
  c.e2eGoalMet = c.e2eSteadyVsSeed == null ? null : c.e2eSteadyVsSeed >= 1;
  return c;
}

const met = (b) => (b == null ? 'n/a' : b ? '**met**' : '**missed**');
const LAYER_LABEL = { [FULL_LAYER]: 'whole network (`out_relu`, 1280-d)', [DEFAULT_LAYER]: 'block 10 (the app\'s default, 96-d)' };

function section(res, command) {
  const L = [];
  const m = res.machine;
  const c = res.comparison;
  const n = res.native?.ok ? res.native.imagesPerSecond : null;
  L.push(...sectionHead('embed', { title: 'Embed: MobileNetV2 in the browser vs PyTorch on the CPU', written: 'Written by `bench/embed/run.mjs`; do not edit by hand between the bench:embed markers. The native anchor (PyTorch) is run by the same command, through `bench/embed/native.mjs`.', command }));
  L.push(
    `**Goal:** MobileNetV2 in the browser as fast as PyTorch's default layout on this machine. ` +
      `Model only, batch 32, whole network: ${met(c.goalMet)} — WASM ${f1(c.modelWasm32)} images/s vs PyTorch ${f1(c.torchContiguous32)} (default layout; ${f2(c.modelVsContiguous)}×) and ${f1(c.torchChannelsLast32)} (channels_last; ${f2(c.modelVsChannelsLast)}×). ` +
      `End to end (decode + resize + embed, batch 32, whole network, after the first batch as the anchor times it): ${met(c.e2eGoalMet)} — the app on WASM ${f1(c.appWasm32FullSteady)} images/s vs the seed's cv2 + PyTorch loop ${f1(c.seedE2eContiguous)} (${f2(c.e2eSteadyVsSeed)}×); click → done on ${IMAGES} images, model load and warm-up included, ${f1(c.appWasm32Full)} (${f2(c.e2eVsSeed)}×).`,
  );
  L.push('');
  // Side by side
  L.push('| images / s (median) | browser (Chromium, app build) | PyTorch default layout | PyTorch channels_last | browser / default | browser / channels_last |');
  L.push('|---|---:|---:|---:|---:|---:|');
  for (const bs of BATCH_SIZES) {
    const b = res.model.wasm?.[FULL_LAYER]?.[bs]?.imagesPerSecond ?? null;
    const t = n?.model?.[`contiguous/${bs}`] ?? null;
    const cl = n?.model?.[`channels_last/${bs}`] ?? null;
    L.push(`| model only, batch ${bs}, whole network — WASM | ${f1(b)} | ${f1(t)} | ${f1(cl)} | ${f2(ratio(b, t))}× | ${f2(ratio(b, cl))}× |`);
  }
  const e = res.e2e['wasm-32-full'];
  L.push(`| **end to end**, batch 32, whole network: app on WASM, ${e?.images ?? IMAGES} JPEGs, click → done / the seed's cv2 + PyTorch loop | ${f1(c.appWasm32Full)} | ${f1(c.seedE2eContiguous)} | ${f1(c.seedE2eChannelsLast)} | ${f2(c.e2eVsSeed)}× | ${f2(c.e2eVsSeedChannelsLast)}× |`);
  L.push(`| … the app after its first batch (model load and warm-up left out, as the anchor leaves them out) | ${f1(c.appWasm32FullSteady)} | | | ${f2(c.e2eSteadyVsSeed)}× | ${f2(ratio(c.appWasm32FullSteady, c.seedE2eChannelsLast))}× |`);
  if (n?.loader && Object.keys(n.loader).length)
    L.push(`| (the seed's \`DataLoader\` with worker processes, batch 32) | | ${f1(n.loader.contiguous)} | ${f1(n.loader.channels_last)} | ${f2(ratio(c.appWasm32Full, n.loader.contiguous))}× | ${f2(ratio(c.appWasm32Full, n.loader.channels_last))}× |`);
  if (n?.decode != null) L.push(`| decode and resize only (no model) | | ${f1(n.decode)} (cv2) | | | |`);
  L.push('');
  if (!res.native?.ok) L.push(`The native anchor did not run or failed: ${res.native?.error ?? res.native?.notes?.join('; ') ?? 'skipped (--no-native)'}.`);
  else
    L.push(
      `PyTorch: median over ${res.native.okRuns} fresh processes (${res.native.innerRepeats} timed repeats each), ${res.native.images} of the same JPEGs, random weights, \`torch.set_num_threads(${res.native.machine?.torchThreads ?? 'n/a'})\`; the anchor process used ${res.native.runs.filter((r) => r.ok).map((r) => f2(r.anchorCores)).join(', ')} cores on average over its whole run, other processes at most ${f2(res.native.othersCpuMax)}. ${res.native.notes?.length ? `Its notes: ${res.native.notes.join('; ')}. ` : ''}Its own section (\`bench/embed/native.mjs --write\`) describes it in full.`,
    );
  L.push('');

  // Model only, every backend
  L.push('### Model only, per backend');
  L.push('');
  L.push('`await window.longTailLab.timeModel({ backend, batchSize, batches, layer })` in a fresh page per backend (and per WASM round): images/s = batch / median(batch ms) × 1000; set-up = building the model plus one warm-up batch (shader / program compilation).');
  L.push('');
  L.push('| backend | layer | batch 1 | batch 8 | batch 32 | set-up (batch 1 / 8 / 32) | timed batches | Chromium\'s CPU during the call, cores (1 / 8 / 32) | `numTensors` before → after |');
  L.push('|---|---|---:|---:|---:|---|---|---|---|');
  for (const backend of BACKENDS) {
    const layers = res.model[backend];
    if (!layers) {
      L.push(`| ${backend} | | ${res.modelRounds.find((r) => r.backend === backend)?.error ?? 'not run'} | | | | | | |`);
      continue;
    }
    for (const [layer, rows] of Object.entries(layers)) {
      const cell = (bs) => {
        const x = rows[bs];
        if (!x) return 'not run';
        if (x.imagesPerSecond != null) return `${f1(x.imagesPerSecond)} (${fmtMs(x.medianBatchMs)})${x.contended ? ' †' : ''}`;
        if (x.skipped) return `skipped: ${x.skipped}`;
        return `failed: ${x.errors.join('; ').slice(0, 160)}`;
      };
      const setup = BATCH_SIZES.map((bs) => (rows[bs]?.medianSetupMs != null ? fmtMs(rows[bs].medianSetupMs) : '—')).join(' / ');
      const batches = BATCH_SIZES.map((bs) => rows[bs]?.batches ?? 0).join(' / ');
      const tensors = [...new Set(BATCH_SIZES.flatMap((bs) => rows[bs]?.tensors ?? []))].join(', ');
      const cores = BATCH_SIZES.map((bs) => (rows[bs]?.chromiumCores != null ? f2(rows[bs].chromiumCores) : '—')).join(' / ');
      L.push(`| ${backend} | ${LAYER_LABEL[layer] ?? layer} | ${cell(1)} | ${cell(8)} | ${cell(32)} | ${setup} | ${batches} | ${cores} | ${tensors || '—'} |`);
    }
  }
  L.push('');
  if (Object.values(res.model).some((layers) => Object.values(layers).some((rows) => Object.values(rows).some((x) => x.contended))))
    L.push(`† Other processes used more than ${BUSY_CORES} cores during every call of this cell (see below): the figure understates the backend.`);
  const details = [...new Map(res.modelRounds.filter((r) => r.detail).map((r) => [r.backend, r.detail])).entries()];
  if (details.length) L.push(`Backends as the app's probe describes them: ${details.map(([b, d]) => `${b}: ${d}`).join('; ')}.`);
  const wasmRounds = res.modelRounds.filter((r) => r.backend === 'wasm');
  if (wasmRounds.length > 1)
    L.push(
      `WASM per round (before / after the native anchor; in brackets the cores other processes used during the call, * = left out of the medians above because > ${BUSY_CORES}): ` +
        [FULL_LAYER, DEFAULT_LAYER]
          .map(
            (layer) =>
              `${layer === FULL_LAYER ? 'whole network' : 'block 10'} ${BATCH_SIZES.map((bs) => `batch ${bs} ${wasmRounds.map((r) => { const x = r.layers[layer]?.[bs]; return x?.imagesPerSecond == null ? 'n/a' : `${f1(x.imagesPerSecond)} (${f2(x.cpu?.othersCores)})${(x.cpu?.othersCores ?? 0) > BUSY_CORES && res.model.wasm?.[layer]?.[bs]?.leftOut ? '*' : ''}`; }).join(' / ')}`).join(', ')}`,
          )
          .join('; ') +
        ' images/s.',
    );
  L.push(`Other processes' CPU while each backend was timed (cores): ${res.modelRounds.map((r) => `${r.backend}${r.round > 1 ? ` (round ${r.round})` : ''} ${f2(r.cpu?.othersCores)}`).join(', ')}.`);
  L.push('');

  // End to end
  L.push('### End to end in the app');
  L.push('');
  L.push('| configuration | runs ok | images / s, click → done (median) | per run | after the first batch | app\'s `stat-images-per-second` (last shown) | click → first batch | backend used | Chromium\'s CPU, cores |');
  L.push('|---|---:|---:|---|---:|---:|---:|---|---:|');
  for (const cfg of Object.values(res.e2e)) {
    const per = cfg.runs.map((r) => (r.ok ? f1(r.imagesPerSecond) : 'failed')).join(', ');
    L.push(
      `| ${cfg.label} | ${cfg.ok} / ${cfg.runs.length} | ${f1(cfg.imagesPerSecond)} | ${per} | ${f1(cfg.steadyImagesPerSecond)} | ${f1(cfg.appRate)} | ${cfg.firstBatchSeconds != null ? `${cfg.firstBatchSeconds.toFixed(1)} s` : 'n/a'} | ${cfg.backendsUsed.join(', ') || 'n/a'} | ${f2(cfg.chromiumCores)} |`,
    );
  }
  L.push('');
  const auto = res.e2e['auto-16-default'];
  if (auto?.reasons?.length) L.push(`\`auto\` chose **${auto.backendsUsed.join(', ')}**; the app's reason (\`backend-reason\`): ${auto.reasons.map((r) => `“${r}”`).join(' / ')}`);
  const tensors = [...new Set(Object.values(res.e2e).flatMap((c) => c.numTensors))].filter(Boolean);
  if (tensors.length) L.push(`\`embed-status\` \`data-num-tensors\` (min–max of \`tf.memory().numTensors\` over the batches): ${tensors.join(', ')}${tensors.every((t) => t.split('-')[0] === t.split('-')[1]) ? ' (flat in every run)' : ''}.`);
  L.push(`Other processes' CPU during each run (cores): ${Object.values(res.e2e).map((c) => `${c.id} ${c.runs.map((r) => f2(r.cpu?.othersCores)).join(', ')}`).join('; ')}.`);
  const failed = res.e2eRuns.filter((r) => !r.ok);
  for (const r of failed) L.push(`- failed: ${r.id} repeat ${r.repeat}: ${r.error}`);
  L.push('');
  L.push(...bulletLines('**What the figures say.**', res.analysis));

  // Data and method
  L.push('### Data');
  L.push('');
  const j = res.jpegs;
  L.push(
    `${res.folder.files} synthetic JPEGs from \`bench/embed/gen-jpegs.mjs\` (${j.width} × ${j.height}, ${j.subsampling}, quality ${j.quality}, seed ${j.seed}; ${Math.round(j.bytesMedian / 1000)} kB median, ${(j.bytesTotal / 1e6).toFixed(1)} MB in all), ` +
      `laid out as an ImageFolder \`${path.relative(root, res.folder.dir)}/train/<class>/<file>.jpg\` (${res.folder.classes} classes, ${res.folder.linked} to \`${j.dir}/\`). The native anchor reads the first ${res.native?.images ?? NATIVE_IMAGES} of the same files.`,
  );
  L.push('');
  L.push('### Method');
  L.push('');
  L.push(
    `- Build: \`npm run model\` (public/models/mobilenet_v2, the bundled MobileNetV2) and \`npx vite build --outDir ${path.relative(root, distDir)}\` (rebuilt when older than the sources), served by \`vite preview --outDir ${path.relative(root, distDir)} --port ${res.port}\` (COOP ${res.headers.coop}, COEP ${res.headers.coep}: cross-origin isolated ${res.crossOriginIsolated}, so tfjs loads its threaded SIMD WASM build, with \`setThreadsCount(${res.hardwareConcurrency})\`; how much of the two cores it actually uses is in the CPU columns). ` +
      `Debian Chromium headless via Playwright with \`${launchArgs.join(' ')}\` (no GPU on this machine: WebGPU gets SwiftShader's fallback adapter).`,
  );
  L.push(
    `- Model only: the hook runs in the app's embed worker (the app's \`FeatureModel\`: \`tf.loadLayersModel\` of the bundled model cut at the layer, \`tf.mean\` over space, a fixed pseudo-random uint8 batch scaled to [−1, 1], \`await data()\` per batch). Timed batches per call: WASM ${BATCH_SIZES.map((b) => FAST_BATCHES[b]).join(' / ')} at batch 1 / 8 / 32 in each of ${wasmRounds.length} rounds; WebGPU, WebGL and CPU ${BATCH_SIZES.map((b) => SLOW_BATCHES[b]).join(' / ')}, and a batch size is skipped when one batch is predicted (per-image time of the previous size × batch) over ${SLOW_BATCH_MS / 1000} s. ` +
      `"Whole network" = \`out_relu\` (Keras MobileNetV2's last 1×1 convolution + ReLU6, 7×7×1280) + mean pooling: the same layers and shapes as torchvision's \`mobilenet_v2().features\` + \`adaptive_avg_pool2d\`. Block 10 (the app's default embedding) stops after about two thirds of the blocks.`,
  );
  L.push(
    `- End to end: per run a fresh browser context (empty OPFS: nothing to resume), \`setInputFiles\` of the folder on \`folder-input\`, \`backend-select\`, \`batch-size\`, \`layer-select\` set, then in the page: \`performance.now()\` just before \`embed-start\`.click(), a MutationObserver until \`embed-status\` \`data-state\` = done; images/s = images / that time (it includes loading the model, its warm-up batch and, for auto, the calibration). "After the first batch" = (images at the last progress update − at the first) / the time between them. ` +
      `The app's own readout \`stat-images-per-second\` (a rate over its last ~10 s of batches) goes blank when the run ends: the last value shown is reported. ${REPEATS} repeat${REPEATS === 1 ? '' : 's'} per configuration, configurations interleaved; the native anchor ran between the first WASM model round and the end-to-end runs.`,
  );
  if (res.quietWaits?.length)
    L.push(
      `- Before each WASM round and each end-to-end round the script waited up to ${QUIET_WAIT_MS / 1000} s for the machine to go quiet (< 0.3 cores busy for 3 s; the native anchor likewise before each of its processes, < 0.15 cores, up to ${opts['native-wait'] ? '10 min' : `${QUIET_WAIT_MS / 1000} s`}): ` +
        res.quietWaits.map((w) => `${w.before} ${w.quiet ? `quiet after ${w.waitedSeconds} s` : `still ${f2(w.busyCores)} cores busy after ${w.waitedSeconds} s, ran anyway`}`).join('; ') + '.',
    );
  L.push(`- CPU accounting: every 500 ms, utime+stime of this script's process tree (Chromium, the preview server) and of the whole machine from /proc; "other processes" = machine − ours, in cores (0 = quiet).`);
  L.push('- The machine is a 2-vCPU VM shared with other work (tests and benchmarks of other sessions ran at the same time): figures drift by up to ~1.5× between whole runs; the load average and the other processes\' CPU are given so that a contended figure can be recognised. Full record: `bench/.data/embed-result.json`.');
  L.push('');
  L.push('### Machine');
  L.push('');
  L.push(`- ${m.date}, commit ${m.commit}${m.dirty ? ' with uncommitted app changes' : ''}; build ${res.build.rebuilt ? 'made by this run' : `from ${res.build.builtAt}`}`);
  L.push(`- \`lscpu\`: ${m.lscpu.split('\n').map((l) => l.replace(/\s{2,}/g, ' ').trim()).join('; ')}; \`nproc\`: ${m.nproc}`);
  L.push(`- ${m.os}, kernel ${m.kernel}; node ${m.node}; \`chromium --version\`: ${m.chromium}`);
  L.push(`- Load average (1 / 5 / 15 min) at the start: ${res.loadAverageStart.join(' / ')}; at the end: ${res.loadAverageEnd.join(' / ')}; ${Math.round(res.totalSeconds)} s in all (browser ${Math.round(res.browserSeconds)} s, native anchor ${Math.round(res.nativeSeconds ?? 0)} s)`);
  L.push(...freeLines(m.free));
  L.push(MARK_END);
  return L.join('\n');
}

function analyse(res) {
  const a = [];
  const c = res.comparison;
  const M = res.model;
  const w = M.wasm?.[FULL_LAYER];
  if (w?.['1']?.imagesPerSecond && w?.['32']?.imagesPerSecond)
    a.push(`WASM, whole network: batch 32 gives ${f1(w['32'].imagesPerSecond)} images/s, batch 1 ${f1(w['1'].imagesPerSecond)} (${f2(w['32'].imagesPerSecond / w['1'].imagesPerSecond)}×).`);
  const d = M.wasm?.[DEFAULT_LAYER];
  if (d?.['32']?.imagesPerSecond && w?.['32']?.imagesPerSecond)
    a.push(`The app's default embedding (block 10) runs ${f2(d['32'].imagesPerSecond / w['32'].imagesPerSecond)}× as fast as the whole network on WASM (${f1(d['32'].imagesPerSecond)} vs ${f1(w['32'].imagesPerSecond)} images/s at batch 32).`);
  const wc = w?.['32']?.chromiumCores;
  if (wc != null)
    a.push(
      `CPU used: while WASM ran the whole network at batch 32, Chromium used ${f2(wc)} cores (the backend reports ${res.modelRounds.find((r) => r.backend === 'wasm')?.detail ?? 'n/a'}; the call includes the model build and the warm-up batch)` +
        (res.native?.ok ? `; the PyTorch anchor process averaged ${f2(median(res.native.runs.filter((r) => r.ok).map((r) => r.anchorCores)))} cores over its whole run (decode included).` : '.'),
    );
  for (const b of ['webgpu', 'webgl', 'cpu']) {
    const best = Object.values(M[b]?.[FULL_LAYER] ?? {}).map((x) => x.imagesPerSecond).filter((x) => x != null);
    if (best.length && w?.['32']?.imagesPerSecond) a.push(`${b}: best ${f1(Math.max(...best))} images/s, ${f1(w['32'].imagesPerSecond / Math.max(...best))}× slower than WASM at batch 32.`);
  }
  for (const r of res.modelRounds) {
    for (const [layer, rows] of Object.entries(r.layers))
      for (const [bs, row] of Object.entries(rows)) if (row.tensorsGrew) a.push(`\`numTensors\` grew in ${r.backend} ${layer} batch ${bs}: ${row.numTensorsBefore} → ${row.numTensorsAfter} (the timed model is disposed after the call).`);
    if (r.error) a.push(`${r.backend}: the page failed: ${r.error}`);
  }
  if (c.appWasm32Full && c.modelWasm32)
    a.push(
      `End to end the app reaches ${f2(c.appWasm32Full / c.modelWasm32)}× its model-only WASM rate${c.appWasm32FullSteady ? ` (${f2(c.appWasm32FullSteady / c.modelWasm32)}× after the first batch)` : ''}: decoding 1000×1500 JPEGs (one decode worker on 2 cores) and the model share two cores, and click → done includes loading the model and its warm-up batch.`,
    );
  if (c.seedE2eContiguous && c.torchContiguous32) a.push(`PyTorch end to end reaches ${f2(c.seedE2eContiguous / c.torchContiguous32)}× of its model-only rate (cv2 decoding is not overlapped with the model in the seed's plain loop).`);
  return a;
}

// A new section goes before the native anchor's section when there is one (the comparison first).
const writeBenchmarksMd = (sectionText) => writeSection('embed', sectionText, { before: 'embed:native' });

// ---------------------------------------------------------------------------------------------

const E2E_CONFIGS = [
  { id: 'wasm-32-full', backend: 'wasm', batch: 32, layer: FULL_LAYER, label: 'WASM, batch 32, whole network (`out_relu`) — compared with the seed' },
  { id: 'wasm-32-default', backend: 'wasm', batch: 32, layer: DEFAULT_LAYER, label: 'WASM, batch 32, block 10 (default layer)' },
  { id: 'wasm-16-default', backend: 'wasm', batch: 16, layer: DEFAULT_LAYER, label: 'WASM, batch 16 (default), block 10 (default layer)' },
  { id: 'auto-16-default', backend: 'auto', batch: 16, layer: DEFAULT_LAYER, label: '`auto` (default), batch 16 (default), block 10 (default) — the app as it opens' },
];

/** Re-renders the section from the saved record (no measuring): --from-result. */
function fromResult() {
  const result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  result.model = summarizeModel(result.modelRounds);
  result.e2e = summarizeE2e(result.e2eRuns);
  result.comparison = comparisons(result);
  result.analysis = analyse(result);
  fs.writeFileSync(resultFile, JSON.stringify(result, null, 2) + '\n');
  const text = section(result, result.command);
  console.log(text);
  if (!opts['no-write']) writeBenchmarksMd(text);
}

async function main() {
  if (opts['from-result']) return fromResult();
  const tStart = performance.now();
  const command = `npm run bench:embed${argv.length ? ` -- ${argv.join(' ')}` : ''}        # node bench/embed/run.mjs${argv.length ? ' ' + argv.join(' ') : ''}`;
  const result = { command, loadAverageStart: loadavg(), machine: machine(), options: { REPEATS, IMAGES, CLASSES, NATIVE_REPEATS, BACKENDS, SLOW_BATCH_MS }, notes: [] };
  log(`load average at the start: ${result.loadAverageStart.join(' ')}`);
  const jpegs = ensureJpegs({ n: Math.max(IMAGES, NATIVE_IMAGES), log });
  const sorted = [...jpegs.bytes].sort((x, y) => x - y);
  result.jpegs = {
    ...jpegParams(jpegs),
    bytesMedian: median(sorted.slice(0, IMAGES)),
    bytesTotal: sorted.slice(0, IMAGES).reduce((s, x) => s + x, 0),
  };
  result.folder = ensureFolder({ files: jpegs.files.slice(0, IMAGES) });
  log(`folder: ${result.folder.files} JPEGs in ${result.folder.classes} classes under ${path.relative(root, result.folder.dir)} (${result.folder.linked})`);
  result.build = ensureBuild();
  const port = await freePort(WANT_PORT, AVOID_PORTS);
  result.port = port;
  const { chromium } = await import('@playwright/test');
  const { child: preview, url, headers } = await startPreview({ root, port, distDir, log });
  result.headers = headers;
  const cleanup = () => stopPreview(preview);
  cleanupOnSignals(cleanup);
  result.modelRounds = [];
  result.e2eRuns = [];
  result.quietWaits = [];
  let browserMs = 0;
  let browser;
  const launch = async () => {
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: launchArgs });
  };
  const close = async () => {
    await browser?.close().catch(() => {});
    browser = null;
  };
  try {
    // 1a. WASM, round 1.
    let t = performance.now();
    await launch();
    if (!opts['no-model'] && BACKENDS.includes('wasm')) {
      await waitForQuiet(QUIET_WAIT_MS, 'WASM round 1', result.quietWaits);
      log('model only: wasm, round 1 ...');
      const r = await modelPhase(browser, url, 'wasm', { layers: [FULL_LAYER, DEFAULT_LAYER], round: 1 });
      result.modelRounds.push(r);
      result.crossOriginIsolated = r.env?.crossOriginIsolated;
      result.hardwareConcurrency = r.env?.hardwareConcurrency;
    }
    await close(); // nothing of ours runs beside the native anchor
    browserMs += performance.now() - t;

    // 3. Native anchor.
    if (!opts['no-native']) {
      log(`native anchor: ${NATIVE_REPEATS} processes on ${NATIVE_IMAGES} JPEGs ...`);
      t = performance.now();
      try {
        result.native = await runNativeAnchor({
          innerRepeats: NATIVE_INNER_REPEATS,
          repeats: NATIVE_REPEATS,
          images: NATIVE_IMAGES,
          // The same bounded wait for a quiet machine as the browser phases get (per process);
          // --native-wait: the anchor's own default (up to 10 min per process).
          waitQuiet: true,
          ...(opts['native-wait'] ? {} : { maxWaitMs: QUIET_WAIT_MS }),
          maxExtra: 1,
          // Not the anchor's own partial file (its standalone runs keep theirs).
          partialFile: path.join(dataDir, 'embed-native-partial-from-run.json'),
          log: (...a) => console.error('[bench:embed:native]', ...a),
        });
      } catch (e) {
        result.native = { ok: false, error: String(e.message ?? e).split('\n')[0] };
        log(`native anchor FAILED: ${result.native.error}`);
      }
      result.nativeSeconds = (performance.now() - t) / 1000;
      if (result.native?.ok) {
        const n = result.native.imagesPerSecond;
        log(`  PyTorch model b32: default ${f1(n.model['contiguous/32'])}, channels_last ${f1(n.model['channels_last/32'])}; e2e ${f1(n.e2e.contiguous)} / ${f1(n.e2e.channels_last)} img/s`);
      }
    }

    t = performance.now();
    await launch();
    // 2. End to end, configurations interleaved.
    if (!opts['no-e2e']) {
      for (let rep = 1; rep <= REPEATS; rep++) {
        await waitForQuiet(QUIET_WAIT_MS, `end-to-end round ${rep}`, result.quietWaits);
        for (const cfg of E2E_CONFIGS) {
          log(`end to end ${rep}/${REPEATS}: ${cfg.id} ...`);
          const r = await e2eRun(browser, url, result.folder, cfg);
          r.repeat = rep;
          result.e2eRuns.push(r);
          log(
            r.ok
              ? `  ${f1(r.imagesPerSecond)} img/s click → done (${fmtMs(r.ms)}; after the first batch ${f1(r.steadyImagesPerSecond)}; app ${f1(r.appRate)}); backend ${r.backendUsed}; others ${f2(r.cpu.othersCores)} cores`
              : `  FAILED: ${r.error}`,
          );
        }
      }
    }
    // 1b. WASM round 2, then the software backends.
    if (!opts['no-model']) {
      if (BACKENDS.includes('wasm')) {
        await waitForQuiet(QUIET_WAIT_MS, 'WASM round 2', result.quietWaits);
        log('model only: wasm, round 2 ...');
        result.modelRounds.push(await modelPhase(browser, url, 'wasm', { layers: [FULL_LAYER, DEFAULT_LAYER], round: 2 }));
      }
      // The software backends last, within a budget: the whole benchmark should stay near 15 min.
      for (const backend of BACKENDS.filter((b) => b !== 'wasm')) {
        log(`model only: ${backend} ...`);
        result.modelRounds.push(await modelPhase(browser, url, backend, { layers: [FULL_LAYER], round: 1 }));
      }
    }
    browserMs += performance.now() - t;
  } finally {
    await close();
    cleanup();
  }
  result.browserSeconds = browserMs / 1000;
  result.totalSeconds = (performance.now() - tStart) / 1000;
  result.loadAverageEnd = loadavg();
  result.model = summarizeModel(result.modelRounds);
  result.e2e = summarizeE2e(result.e2eRuns);
  result.comparison = comparisons(result);
  result.analysis = analyse(result);
  result.crossOriginIsolated ??= result.e2eRuns[0]?.env?.crossOriginIsolated;
  result.hardwareConcurrency ??= result.e2eRuns[0]?.env?.hardwareConcurrency;
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(resultFile, JSON.stringify(result, null, 2) + '\n');
  const text = section(result, command);
  console.log(text);
  if (!opts['no-write']) {
    writeBenchmarksMd(text);
    log(`wrote ${path.relative(root, resultFile)} and the bench:embed section of BENCHMARKS.md (${Math.round(result.totalSeconds)} s in all)`);
  }
  const anyOk = result.modelRounds.some((r) => Object.values(r.layers).some((rows) => Object.values(rows).some((x) => x.imagesPerSecond))) || result.e2eRuns.some((r) => r.ok);
  if (!anyOk) process.exitCode = 1;
}

await main();
