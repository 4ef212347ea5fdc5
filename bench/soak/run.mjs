#!/usr/bin/env node
/**
 * Soak benchmark: one long embedding run in headless Chromium that is reloaded every few minutes
 * and has its decode worker killed once, then checked from outside for images embedded twice and
 * rows lost, with the tab's memory sampled over the whole run.
 *
 *   npm run bench:soak                     (= node bench/soak/run.mjs; 10,000 images)
 *   npm run bench:soak -- --images 300 --reload-every 60 --no-write     (a quick estimate)
 *
 * 1. Data: bench/soak/gen.mjs writes N 64×64 PNGs in a long-tailed class mix with a Herbarium
 *    2022 `train_metadata.json`, under the OS temp dir (cached).
 * 2. The app: `vite build` into bench/.data/soak-dist under /tmp/e2e.lock (the lock the e2e runs
 *    build under), served by `vite preview` on --port (default 4215).
 * 3. The soak: a browser context, the folder through `folder-input`, backend / batch size set,
 *    Start. Every --reload-every seconds: page.reload(), the folder again, the stored run found
 *    (embed-status paused), Resume; the images done just before the reload and at the resume say
 *    how much was embedded again (work redone is fine; counted twice is not). Once --kill-at
 *    images are done, the decode worker (`new Worker(..., { name: 'decode' })`) is killed from
 *    inside: `self.close()` (the worker silently stops with jobs pending; --kill-mode throw: an
 *    uncaught error instead). Every --sample-s seconds: images done, the page's JS heap (CDP
 *    Runtime.getHeapUsage) and the PSS of Chromium's renderer and GPU processes (/proc).
 *    A run whose count does not move for --stall-s seconds is reported as stalled.
 * 4. The check: embeddings.npz and prototypes.npz downloaded through their buttons, then
 *    bench/soak/check.py (NumPy): every image id exactly once, no zero / non-finite row, each
 *    class's count = its train rows = its metadata images less held-out ones, each prototype =
 *    the mean of its class's rows; and the rows of --control-images images (every k-th) equal
 *    those of an uninterrupted run of just those images in a fresh context (the control, also the
 *    anchor for images/s).
 *
 * Results: bench/.data/soak-result.json, a summary on stdout, and the `soak` section of
 * BENCHMARKS.md (unless --no-write).
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';
import { bulletLines, cleanupOnSignals, descendants, fmtMiB, freePort, machineInfo, machineLines, median, n0, newestMtime, parseBenchArgs, processType, pssKiB, sectionHead, sectionMarkers, startPreview, stopPreview, writeSection } from '../lib.mjs';
import { ensureSoakDataset, ensureSubset } from './gen.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const dataDir = path.join(root, 'bench', '.data');
const distDir = path.join(dataDir, 'soak-dist');
const workDir = path.join(os.tmpdir(), 'long-tail-lab-soak-out');
const resultFile = path.join(dataDir, 'soak-result.json');

const { values: opts, argv } = parseBenchArgs({
  script: 'bench/soak/run.mjs',
  summary: 'Soak: one long embedding run, reloaded every few minutes and with a decode worker killed, checked for rows doubled or lost; memory over time.',
  options: {
    images: { type: 'number', default: 10_000, help: 'images in the dataset' },
    'reload-every': { type: 'number', default: 180, arg: 'S', help: 'reload the page every S seconds of the run (0: never)' },
    'kill-at': { type: 'number', help: 'kill the decode worker once this many images are done (default 35% of --images; -1: never)' },
    'kill-mode': { type: 'string', default: 'close', arg: 'close|throw', help: 'how the decode worker dies: self.close() with jobs pending, or an uncaught error' },
    'control-images': { type: 'number', default: 500, help: 'images (every k-th) of the uninterrupted control run (0: none)' },
    backend: { type: 'string', default: 'wasm', help: 'backend-select value' },
    batch: { type: 'number', default: 16, help: 'batch-size' },
    'sample-s': { type: 'number', default: 15, arg: 'S', help: 'memory sample interval' },
    'stall-s': { type: 'number', default: 180, arg: 'S', help: 'report the run stalled when done does not move for this long' },
    'timeout-min': { type: 'number', default: 90, arg: 'MIN', help: 'give up after this long' },
    port: { type: 'number', default: 4215, help: 'port for vite preview (the next free one if taken)' },
    build: { type: 'boolean', help: 'always rebuild' },
    'keep-build': { type: 'boolean', help: 'use bench/.data/soak-dist as it is, even when older than the sources' },
    'no-write': { type: 'boolean', help: 'leave BENCHMARKS.md alone' },
    'from-result': { type: 'boolean', help: 'rewrite the section from the saved record, measuring nothing' },
  },
});
const IMAGES = opts.images;
const RELOAD_MS = opts['reload-every'] * 1000;
const KILL_AT = opts['kill-at'] ?? Math.round(IMAGES * 0.35);
const KILL_MODE = opts['kill-mode'];
if (!['close', 'throw'].includes(KILL_MODE)) throw new Error(`--kill-mode close or throw, not ${KILL_MODE}`);
const SAMPLE_MS = opts['sample-s'] * 1000;
const STALL_MS = opts['stall-s'] * 1000;

const log = (...a) => console.error('[bench:soak]', ...a);
const round = (x, d = 1) => (x == null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);
const mibOf = (kib) => round(kib / 1024, 1);

// ---------------------------------------------------------------------------------------------
// Build and serve

function ensureBuild() {
  const built = fs.statSync(path.join(distDir, 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = Math.max(...['src', 'index.html', 'vite.config.ts', 'package.json', 'public'].map((p) => newestMtime(path.join(root, p))));
  if (built && (built >= sources || opts['keep-build']) && !opts.build) return { rebuilt: false, builtAt: new Date(built).toISOString() };
  log(`building the app into ${path.relative(root, distDir)} (under /tmp/e2e.lock)`);
  const r = spawnSync('flock', ['/tmp/e2e.lock', 'npx', 'vite', 'build', '--outDir', distDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`vite build failed (exit ${r.status})`);
  return { rebuilt: true, builtAt: new Date().toISOString() };
}

// ---------------------------------------------------------------------------------------------
// Memory from /proc: Chromium's processes (ours: descendants of this script, less vite preview)

function chromiumPss(exclude) {
  const out = { renderer: 0, gpu: 0, all: 0 };
  for (const pid of descendants(process.pid, exclude)) {
    const type = processType(pid);
    if (type === 'other' || type === 'gone') continue;
    const kib = pssKiB(pid);
    out.all += kib;
    if (type === 'renderer') out.renderer += kib;
    else if (type === 'gpu-process') out.gpu += kib;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The page

const readout = () => {
  const q = (id) => document.querySelector(`[data-testid="${id}"]`);
  const bar = q('embed-progress');
  return {
    state: q('embed-status')?.getAttribute('data-state') ?? null,
    status: (q('embed-status')?.textContent ?? '').trim().slice(0, 200),
    done: bar ? Number(bar.getAttribute('aria-valuenow') ?? 0) : null,
    max: bar ? Number(bar.getAttribute('aria-valuemax') ?? 0) : null,
    skipped: Number(q('stat-skipped-images')?.getAttribute('data-value') ?? 0),
    resumeEnabled: q('embed-resume') ? !q('embed-resume').disabled : false,
    startEnabled: q('embed-start') ? !q('embed-start').disabled : false,
    alerts: [...document.querySelectorAll('[role="alert"]')].map((a) => a.textContent.trim().slice(0, 300)),
  };
};

async function read(page) {
  try {
    return await page.evaluate(readout);
  } catch {
    return null; // navigating
  }
}

/** The folder through folder-input (the metadata in it comes along); then the run's controls. */
async function loadFolder(page, dir) {
  const dropzone = page.getByTestId('dropzone');
  await dropzone.waitFor({ timeout: 60_000 });
  const before = Number((await dropzone.getAttribute('data-actions-done')) ?? 0);
  await page.getByTestId('folder-input').setInputFiles(dir);
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="dropzone"]')?.getAttribute('data-actions-done') ?? 0) > n, before, { timeout: 120_000 });
  await page.getByTestId('embed-start').waitFor({ state: 'visible', timeout: 60_000 });
  await page.getByTestId('backend-select').selectOption(opts.backend);
  await page.getByTestId('batch-size').fill(String(opts.batch));
  return page.evaluate(() => ({
    backend: document.querySelector('[data-testid="backend-select"]').value,
    batch: document.querySelector('[data-testid="batch-size"]').value,
    layer: document.querySelector('[data-testid="layer-select"]').value,
    model: document.querySelector('[data-testid="model-select"]')?.value ?? null,
    images: Number(document.querySelector('[data-testid="stat-images"]')?.getAttribute('data-value') ?? 0),
    crossOriginIsolated: globalThis.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
  }));
}

/** After a reload: waits for the stored run to be offered (paused), then Resume. */
async function resumeStored(page) {
  const deadline = Date.now() + 60_000;
  let r;
  while (Date.now() < deadline) {
    r = await read(page);
    if (r?.state === 'paused' && r.resumeEnabled) {
      await page.getByTestId('embed-resume').click();
      return { how: 'resume', doneAtResume: r.done };
    }
    if (r?.state === 'done') return { how: 'already done', doneAtResume: r.done };
    await sleep(250);
  }
  // Not offered: say what the page shows, and start (which continues a stored run too).
  if (r?.startEnabled) {
    await page.getByTestId('embed-start').click();
    return { how: `start (no stored run offered: ${r.state}, "${r.status}")`, doneAtResume: r.done };
  }
  throw new Error(`after the reload the stored run was not offered and Start is disabled (state ${r?.state}, "${r?.status}")`);
}

/** `promise`, or `fallback` after `ms` (a worker evaluate can hang when the worker goes away). */
const within = (promise, ms, fallback) => Promise.race([promise.catch(() => fallback), sleep(ms).then(() => fallback)]);

/**
 * Names of the page's workers (`self.name`), asked as each starts: by the time of the kill a
 * busy worker may take long to answer, and tfjs's WASM threads (unnamed) never do.
 */
function trackWorkers(page) {
  const names = new Map();
  page.on('worker', (w) => {
    within(w.evaluate(() => self.name), 10_000, null).then((name) => names.set(w, name));
    w.on('close', () => names.delete(w));
  });
  return names;
}

/** Kills the decode worker from inside; resolves to what was done. */
async function killDecodeWorker(page, names, mode) {
  const w = [...names].find(([, name]) => name === 'decode')?.[0];
  if (!w) return { killed: false, workers: [...names.values()] };
  // Half a second later than this evaluate's answer (Playwright makes more than one call to get it).
  await within(
    w.evaluate((m) => {
      setTimeout(() => {
        if (m === 'close') self.close();
        else throw new Error('bench:soak killed this decode worker');
      }, 500);
    }, mode),
    5000,
    null,
  );
  return { killed: true, workerUrl: w.url(), workers: [...names.values()] };
}

async function download(page, testId, file) {
  await page.waitForFunction((id) => !document.querySelector(`[data-testid="${id}"]`)?.disabled, testId, { timeout: 60_000 });
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 300_000 }), page.getByTestId(testId).click()]);
  await dl.saveAs(file);
  return fs.statSync(file).size;
}

async function newContextPage(browser, errors) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text().slice(0, 300)}`);
  });
  return { context, page };
}

// ---------------------------------------------------------------------------------------------
// The control: the subset in a fresh context, no reloads, no kill

async function controlRun(browser, url, subset) {
  const errors = [];
  const { context, page } = await newContextPage(browser, errors);
  try {
    await page.goto(url);
    const settings = await loadFolder(page, subset.dir);
    await page.waitForFunction(() => !document.querySelector('[data-testid="embed-start"]')?.disabled, null, { timeout: 60_000 });
    const t0 = performance.now();
    await page.getByTestId('embed-start').click();
    let firstAt = null;
    let firstDone = 0;
    let r;
    for (;;) {
      await sleep(250);
      r = await read(page);
      if (r?.done > 0 && firstAt == null) {
        firstAt = performance.now();
        firstDone = r.done;
      }
      if (r?.state === 'done' || r?.state === 'error') break;
      if (performance.now() - t0 > 30 * 60_000) throw new Error('control run: not done in 30 min');
    }
    const ms = performance.now() - t0;
    if (r.state !== 'done') throw new Error(`control run ended ${r.state}: ${r.status}`);
    const file = path.join(workDir, 'control-embeddings.npz');
    await download(page, 'download-embeddings', file);
    return {
      ok: true,
      images: r.max,
      done: r.done,
      settings,
      seconds: round(ms / 1000, 1),
      imagesPerSecond: round((r.max / ms) * 1000, 2),
      steadyImagesPerSecond: firstAt ? round(((r.done - firstDone) / (performance.now() - firstAt)) * 1000, 2) : null,
      file,
      errors,
    };
  } catch (e) {
    return { ok: false, error: String(e.message ?? e).split('\n')[0], errors };
  } finally {
    await context.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// The soak

async function soakRun(browser, url, data, exclude) {
  const errors = [];
  const { context, page } = await newContextPage(browser, errors);
  const workerNames = trackWorkers(page);
  const out = { reloads: [], kill: null, samples: [], stalls: [], errors, events: [] };
  const event = (what) => {
    out.events.push({ t: round((performance.now() - t0) / 1000, 1), what });
    log(what);
  };
  let cdp = null;
  const heap = async () => {
    try {
      cdp ??= await context.newCDPSession(page);
      const h = await within(cdp.send('Runtime.getHeapUsage'), 5000, null);
      return h?.usedSize ?? null;
    } catch {
      cdp = null;
      return null;
    }
  };
  const t0 = performance.now();
  let last = null;
  const sample = async () => {
    const p = chromiumPss(exclude);
    out.samples.push({ t: round((performance.now() - t0) / 1000, 0), done: last?.done ?? null, heapMiB: round(((await heap()) ?? NaN) / 1048576, 1), rendererMiB: mibOf(p.renderer), gpuMiB: mibOf(p.gpu), chromiumMiB: mibOf(p.all) });
  };
  try {
    await page.goto(url);
    out.settings = await loadFolder(page, data.dir);
    if (out.settings.images !== data.images) throw new Error(`the page shows ${out.settings.images} images, not ${data.images}`);
    await page.waitForFunction(() => !document.querySelector('[data-testid="embed-start"]')?.disabled, null, { timeout: 60_000 });
    await page.getByTestId('embed-start').click();
    event(`started: ${JSON.stringify(out.settings)}`);
    let lastReload = performance.now();
    let lastSample = -Infinity;
    let lastMove = performance.now();
    let lastDone = -1;
    let stalled = null;
    let reloadNow = false;
    for (;;) {
      await sleep(500);
      const now = performance.now();
      const r = await read(page);
      if (r) last = r;
      if (r && r.done !== lastDone) {
        if (stalled) {
          stalled.seconds = round((now - stalled.since) / 1000, 0);
          stalled.endedAtDone = r.done;
          event(`moving again after ${stalled.seconds} s at ${stalled.done}`);
          stalled = null;
        }
        // After the kill: the longest the count stood still (the decodes in flight were lost).
        if (out.kill && lastDone >= 0 && out.kill.reloadedAt == null) {
          const gap = round((now - Math.max(lastMove, out.kill.at)) / 1000, 1);
          if (gap > (out.kill.longestStillSeconds ?? 0)) Object.assign(out.kill, { longestStillSeconds: gap, stillAtDone: lastDone });
        }
        lastDone = r.done;
        lastMove = now;
      }
      if (now - lastSample >= SAMPLE_MS) {
        lastSample = now;
        await sample();
      }
      if (r?.state === 'done') break;
      if (r?.state === 'error') throw new Error(`the run failed: ${r.status}`);
      if (now - t0 > opts['timeout-min'] * 60_000) throw new Error(`not done in ${opts['timeout-min']} min (done ${last?.done})`);
      if (!stalled && now - lastMove > STALL_MS) {
        stalled = { since: lastMove, done: lastDone, state: r?.state, status: r?.status, afterKill: out.kill != null, workers: page.workers().length };
        out.stalls.push(stalled);
        event(`STALLED: done ${lastDone} has not moved for ${opts['stall-s']} s (state ${r?.state}, "${r?.status}")`);
        // What a user does: reload. The run must go on from its checkpoint.
        reloadNow = true;
      }
      if (!out.kill && KILL_AT >= 0 && r?.done >= KILL_AT && r.state === 'running') {
        const k = await killDecodeWorker(page, workerNames, KILL_MODE);
        if (!k.killed) continue; // not started yet (or its name not known yet): the next round
        out.kill = { mode: KILL_MODE, doneAtKill: r.done, at: performance.now(), tSeconds: round((now - t0) / 1000, 1), ...k };
        event(`decode worker ${k.killed ? `killed (${KILL_MODE})` : 'not found'} at ${r.done} done`);
      }
      if ((reloadNow || (RELOAD_MS > 0 && now - lastReload >= RELOAD_MS)) && r?.state === 'running') {
        reloadNow = false;
        const before = await read(page);
        const tr = performance.now();
        await page.reload();
        cdp = null;
        await loadFolder(page, data.dir);
        const res = await resumeStored(page);
        const reload = { tSeconds: round((tr - t0) / 1000, 1), doneBefore: before?.done ?? r.done, ...res, redone: (before?.done ?? r.done) - res.doneAtResume, seconds: round((performance.now() - tr) / 1000, 1) };
        out.reloads.push(reload);
        event(`reload ${out.reloads.length}: ${reload.doneBefore} done before, ${reload.doneAtResume} at the resume (${reload.redone} to embed again); ${reload.how}; ${reload.seconds} s`);
        lastReload = performance.now();
        lastMove = performance.now();
        if (out.kill && out.kill.reloadedAt == null) out.kill.reloadedAt = reload.tSeconds;
      }
    }
    out.seconds = round((performance.now() - t0) / 1000, 1);
    await sample();
    out.final = last;
    event(`done: ${last.done} of ${last.max} in ${out.seconds} s (skipped ${last.skipped})`);
    fs.mkdirSync(workDir, { recursive: true });
    out.embeddingsFile = path.join(workDir, 'embeddings.npz');
    out.prototypesFile = path.join(workDir, 'prototypes.npz');
    out.embeddingsBytes = await download(page, 'download-embeddings', out.embeddingsFile);
    out.prototypesBytes = await download(page, 'download-prototypes', out.prototypesFile);
    out.ok = true;
  } catch (e) {
    out.ok = false;
    out.error = String(e.message ?? e).split('\n')[0];
    out.final = last;
    log(`soak FAILED: ${out.error}`);
  } finally {
    await context.close().catch(() => {});
  }
  return out;
}

function check(data, soak, control) {
  const args = [path.join(here, 'check.py'), path.join(data.dir, 'train_metadata.json'), soak.embeddingsFile, soak.prototypesFile];
  if (control?.ok) args.push(control.file);
  const r = spawnSync(process.env.PYTHON || '/usr/bin/python3', args, { encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, error: r.stderr.trim().split('\n').pop() };
  return JSON.parse(r.stdout);
}

// ---------------------------------------------------------------------------------------------
// Report

const MARK_END = sectionMarkers('soak').end;

function memoryTable(samples) {
  // At most ~24 rows: every k-th sample, and the last.
  const k = Math.max(1, Math.ceil(samples.length / 24));
  const rows = samples.filter((_, i) => i % k === 0 || i === samples.length - 1);
  return [
    '| t (s) | images done | page JS heap (MiB) | renderer PSS (MiB) | GPU process PSS (MiB) | all Chromium PSS (MiB) |',
    '|---:|---:|---:|---:|---:|---:|',
    ...rows.map((s) => `| ${n0(s.t)} | ${s.done == null ? 'n/a' : n0(s.done)} | ${s.heapMiB ?? 'n/a'} | ${s.rendererMiB} | ${s.gpuMiB} | ${s.chromiumMiB} |`),
  ];
}

function summary(res) {
  const s = res.soak;
  const c = res.check ?? {};
  const half = (xs, f) => median(xs.map(f));
  const n = s.samples.length;
  const firstHalf = s.samples.slice(1, Math.max(2, n >> 1));
  const secondHalf = s.samples.slice(n >> 1);
  return {
    done: s.final?.done ?? null,
    total: s.final?.max ?? null,
    seconds: s.seconds ?? null,
    imagesPerSecond: s.seconds ? round((s.final.done / s.seconds), 2) : null,
    doubled: c.doubled ?? null,
    lost: c.lost ?? null,
    redone: s.reloads.reduce((a, r) => a + Math.max(0, r.redone), 0),
    rendererFirstHalfMiB: round(half(firstHalf, (x) => x.rendererMiB), 0),
    rendererSecondHalfMiB: round(half(secondHalf, (x) => x.rendererMiB), 0),
    rendererMaxMiB: round(Math.max(...s.samples.map((x) => x.rendererMiB)), 0),
    heapMaxMiB: round(Math.max(...s.samples.map((x) => x.heapMiB ?? 0)), 1),
  };
}

function section(res) {
  const s = res.soak;
  const c = res.check ?? {};
  const k = s.kill;
  const sum = summary(res);
  const ctl = res.control;
  const verdict = s.ok && c.ok ? '**passed**' : '**failed**';
  const L = sectionHead('soak', {
    title: 'Soak: a long embedding run with reloads and a killed decode worker',
    written: 'Written by `bench/soak/run.mjs`; do not edit by hand between the bench:soak markers.',
    command: res.command,
  });
  L.push(
    `**Result:** ${verdict}. ${n0(sum.done)} of ${n0(sum.total)} images embedded in ${n0(sum.seconds)} s (${sum.imagesPerSecond} images/s over the whole soak, reloads and recovery included), ` +
      `${s.reloads.length} reload${s.reloads.length === 1 ? '' : 's'}, the decode worker killed ${k?.killed ? `(\`${k.mode === 'close' ? 'self.close()' : 'an uncaught error'}\`) at ${n0(k.doneAtKill)} done` : 'never (not found)'}. ` +
      `Embedded twice: **${c.doubled ?? 'n/a'}**; rows lost: **${c.lost ?? 'n/a'}**; bad rows (zero or not finite): ${c.badRows ?? 'n/a'}; classes whose prototype count ≠ their rows: ${c.countVsTrainRowsClasses ?? 'n/a'}, ≠ the metadata: ${c.countVsMetadataClasses ?? 'n/a'}; ` +
      `largest |prototype − mean of its rows| ${c.prototypeMaxAbsDiff != null ? c.prototypeMaxAbsDiff.toExponential(1) : 'n/a'} (rows up to ${c.prototypeMaxAbs != null ? c.prototypeMaxAbs.toFixed(2) : 'n/a'}). ` +
      `Images embedded again after the reloads (work redone, not counted twice): ${n0(sum.redone)}.`,
  );
  L.push('');
  if (ctl?.ok && c.control)
    L.push(
      `**Anchor:** an uninterrupted run of every ${res.subsetStep}-th image (${n0(ctl.images)} images) in a fresh context of the same browser, same settings, just before the soak: ${ctl.imagesPerSecond} images/s click → done (${ctl.steadyImagesPerSecond} after the first batch); the soak reached ${sum.imagesPerSecond} over its whole run. ` +
        `Its rows against the soak's rows of the same ${n0(c.control.compared)} images: largest |difference| ${c.control.maxAbsDiff.toExponential(1)}, largest relative row difference ${c.control.maxRowRelDiff.toExponential(1)} (${c.control.rowsDifferingOver1e3 ?? c.control['rowsDifferingOver1e-3']} rows differ by more than 1e-3).`,
    );
  else if (ctl) L.push(`**Anchor:** the control run failed: ${ctl.error ?? 'no rows compared'}.`);
  L.push('');
  L.push(
    `**Memory:** renderer PSS median ${fmtMiB(sum.rendererFirstHalfMiB)} over the first half of the samples, ${fmtMiB(sum.rendererSecondHalfMiB)} over the second (max ${fmtMiB(sum.rendererMaxMiB)}); page JS heap at most ${sum.heapMaxMiB} MiB. Every ${opts['sample-s']} s (the table shows at most 24 rows):`,
  );
  // Stretches between reloads (a reload starts a fresh renderer: its PSS drops by half or more).
  const stretches = [];
  for (const [i, x] of s.samples.entries()) {
    if (i === 0 || x.rendererMiB < 0.5 * s.samples[i - 1].rendererMiB) stretches.push([]);
    stretches[stretches.length - 1].push(x);
  }
  const steady = stretches.map((st) => st.slice(1)).filter((st) => st.length >= 2);
  if (steady.length)
    L.push(
      `Renderer PSS within each stretch between reloads (the first sample after the start or a reload left out), first → last sample: ${steady.map((st) => `${Math.round(st[0].rendererMiB)} → ${Math.round(st[st.length - 1].rendererMiB)} MiB (${n0(st[0].t)}–${n0(st[st.length - 1].t)} s)`).join('; ')}.`,
    );
  L.push('');
  L.push(...memoryTable(s.samples));
  L.push('');
  const items = [];
  for (const [i, r] of s.reloads.entries())
    items.push(`reload ${i + 1} at ${n0(r.tSeconds)} s: ${n0(r.doneBefore)} done on screen just before, ${n0(r.doneAtResume)} in the stored run it resumed (${n0(r.redone)} embedded again); ${r.how}; reload → resumed in ${r.seconds} s.`);
  if (k)
    items.push(
      `decode worker killed at ${n0(k.tSeconds)} s, ${n0(k.doneAtKill)} done: ` +
        `until ${k.reloadedAt != null ? `the next reload (at ${n0(k.reloadedAt)} s)` : 'the end'} the count stood still for at most ${k.longestStillSeconds ?? 'n/a'} s (at ${n0(k.stillAtDone)} done; the worker's decodes in flight are lost with it, and the page's WorkerClient waits 30 s of silence before it takes a worker as dead and decodes in the page).`,
    );
  for (const st of s.stalls) items.push(`STALLED at ${n0(st.done)} done (${st.afterKill ? 'after the kill' : 'before the kill'}): no progress for ${st.seconds ?? opts['stall-s']} s, state ${st.state}.`);
  if (s.error) items.push(`The soak failed: ${s.error}`);
  if (c.error) items.push(`The check failed: ${c.error}`);
  if (s.errors.length) items.push(`Page errors (${s.errors.length}, first): ${[...new Set(s.errors)].slice(0, 3).map((e) => `\`${e.slice(0, 160)}\``).join('; ')}`);
  L.push(...bulletLines('### Events', items));
  L.push('### How it is measured');
  L.push('');
  L.push(
    `- Data: ${n0(res.data.images)} PNGs of 64×64 px in ${res.data.classes} classes (${Math.max(...res.data.sizes)} images in the largest, ${Math.min(...res.data.sizes)} in the smallest), Herbarium 2022 layout, written by \`bench/soak/gen.mjs\` into \`${res.data.dir}\`. ` +
      `App: \`vite build\` into \`bench/.data/soak-dist\`, \`vite preview\` (cross-origin isolated: ${s.settings?.crossOriginIsolated}); Debian Chromium headless through Playwright. Settings: model \`${s.settings?.model}\`, layer \`${s.settings?.layer}\`, backend \`${s.settings?.backend}\`, batch ${s.settings?.batch}; \`navigator.hardwareConcurrency\` ${s.settings?.hardwareConcurrency}.`,
  );
  L.push(
    `- Reloads: every ${opts['reload-every']} s, \`page.reload()\`, the folder again through \`folder-input\`, the stored run offered (\`embed-status\` paused), \`embed-resume\`. "Embedded again" = \`embed-progress\` just before the reload − at the resume (the checkpoint is at most ~10 s old). ` +
      `Kill: in the worker named \`decode\` (Playwright \`page.workers()\`, \`self.name\`), \`setTimeout(() => ${KILL_MODE === 'close' ? 'self.close()' : 'throw …'})\`.`,
  );
  L.push(
    '- Check (`bench/soak/check.py`, NumPy on the downloaded `embeddings.npz` and `prototypes.npz`): each metadata image id once (doubled, lost, extra), no all-zero or non-finite row, each `count` = its class\'s train rows and = its metadata images less its held-out rows, each prototype = the float64 mean of its class\'s train rows (within 1e-4 × the largest |value|); the control\'s rows against the soak\'s rows of the same ids (relative row difference ≤ 1e-3).',
  );
  L.push(
    `- Memory: PSS (\`/proc/<pid>/smaps_rollup\`) of Chromium's renderer processes (the page and its workers: tfjs's WASM heap is in there) and GPU process; the page's JS heap by CDP \`Runtime.getHeapUsage\` (main thread only). The machine has 2 cores shared with other sessions' tests and builds: the images/s are contended figures (load average ${res.loadAverageStart.join(' / ')} at the start, ${res.loadAverageEnd.join(' / ')} at the end). Full record: \`bench/.data/soak-result.json\`.`,
  );
  L.push('');
  L.push(...machineLines(res.machine, `- node ${res.machine.node}; ${Math.round(res.totalSeconds)} s in all`));
  L.push(MARK_END);
  return L.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (opts['from-result']) {
    const res = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
    const text = section(res);
    console.log(text);
    if (!opts['no-write']) writeSection('soak', text);
    return;
  }
  const tStart = performance.now();
  const command = `npm run bench:soak${argv.length ? ` -- ${argv.join(' ')}` : ''}        # node bench/soak/run.mjs${argv.length ? ' ' + argv.join(' ') : ''}`;
  const res = { command, loadAverageStart: os.loadavg().map((x) => round(x, 2)), options: { IMAGES, RELOAD_MS, KILL_AT, KILL_MODE, SAMPLE_MS, STALL_MS, backend: opts.backend, batch: opts.batch } };
  res.data = ensureSoakDataset({ images: IMAGES, log });
  if (opts['control-images'] > 0) {
    res.subsetStep = Math.max(1, Math.floor(IMAGES / opts['control-images']));
    res.subset = ensureSubset(res.data, { step: res.subsetStep });
  }
  res.build = ensureBuild();
  fs.mkdirSync(workDir, { recursive: true });
  const port = await freePort(opts.port);
  const { chromium } = await import('@playwright/test');
  const { child: preview, url, headers } = await startPreview({ root, port, distDir, log });
  res.headers = headers;
  const cleanup = () => stopPreview(preview);
  cleanupOnSignals(cleanup);
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
  try {
    res.machine = machineInfo(['date', 'commit', 'dirtyTree', 'nproc', 'cpu', 'os', 'kernel', 'chromium', 'node', 'free', 'loadAverage'], { browser });
    if (res.subset) {
      log(`control: ${res.subset.images} images, uninterrupted ...`);
      res.control = await controlRun(browser, url, res.subset);
      log(res.control.ok ? `control: ${res.control.imagesPerSecond} images/s (${res.control.steadyImagesPerSecond} after the first batch)` : `control FAILED: ${res.control.error}`);
    }
    log(`soak: ${IMAGES} images, reload every ${opts['reload-every']} s, kill (${KILL_MODE}) at ${KILL_AT} ...`);
    res.soak = await soakRun(browser, url, res.data, new Set([preview.pid]));
  } finally {
    await browser.close().catch(() => {});
    cleanup();
  }
  if (res.soak.ok) res.check = check(res.data, res.soak, res.control);
  res.loadAverageEnd = os.loadavg().map((x) => round(x, 2));
  res.totalSeconds = (performance.now() - tStart) / 1000;
  res.summary = summary(res);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(resultFile, JSON.stringify(res, null, 2) + '\n');
  const text = section(res);
  console.log(text);
  if (!opts['no-write']) writeSection('soak', text);
  log(`check: ${JSON.stringify(res.check)}`);
  if (!(res.soak.ok && res.check?.ok)) process.exitCode = 1;
}

await main();
