#!/usr/bin/env node
/**
 * Renderer benchmark for the embedding map: plotly.js scattergl against regl-scatterplot on the
 * same synthetic map (2,000 Gaussian blobs, 20 categories, default 1,050,179 points = Herbarium
 * 2022 train + test), in headless Chromium (WebGL on SwiftShader: software, so absolute times
 * are pessimistic; the ratio is the point).
 *
 *   node bench/map/render/run.mjs --points 1050179 --repeats 3
 *
 * Not the app: two tiny pages (plotly.html, regl.html and their *-page.js, sharing points.js) are
 * bundled with Vite's JS API into /tmp and served by a small static server. Per repeat and
 * renderer, a fresh browser context: generate the points, time the first draw, 30 pan steps, the
 * memory after the draw (JS heap after a GC; renderer and GPU process RSS from /proc), the
 * renderer's own box selection (plotly: a mouse drag in select mode to plotly_selected; regl:
 * lassoSelect to its `select` event, box and 20-vertex lasso), and the plain JS point-in-box /
 * point-in-polygon passes over the typed arrays that the app would run on either renderer.
 * Counts are checked against an independent pass in Node.
 *
 * Exports: runRenderBench({ points, repeats, browserPath, seed, steps, panRepeats, reglPerformanceMode, log }) →
 * { config, machine, plotly, regl, ratio, checks, totalS }, and renderTable(result) (Markdown).
 * Standalone it prints a table and writes bench/.data/map-render-result.json (--out to change).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromiumArgs, chromiumPath } from '../../../scripts/chromium.mjs';
import { descendants, machineInfo, median, mib, parseBenchArgs, processType, statusKiB } from '../../lib.mjs';
import { SELECTION_BOX, generatePoints, lassoPolygon } from './points.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const HERBARIUM_POINTS = 839_772 + 210_407;
const PAGES = { plotly: 'plotly.html', regl: 'regl.html' };

// Per-step limits: past these a renderer is recorded as unusable for that step, not waited on.
const DRAW_TIMEOUT_MS = 180_000;
const STEP_TIMEOUT_MS = 120_000;

const round = (x, d = 1) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);

// ---------------------------------------------------------------------------------------------
// Build and serve the two pages

/** Vite build of both pages into `outDir`; the JS each page loads (its entry and imports), raw and gzipped. */
async function buildPages(outDir) {
  const { build } = await import('vite');
  fs.rmSync(outDir, { recursive: true, force: true });
  await build({
    configFile: false,
    root: here,
    logLevel: 'error', // bit-twiddle's "use restrict" directive warning is noise here
    // plotly.js's trace modules still read Node's `global` (as in the app's vite.config.ts).
    define: { global: 'globalThis' },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      manifest: true,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 10_000,
      rolldownOptions: { input: Object.fromEntries(Object.entries(PAGES).map(([k, f]) => [k, path.join(here, f)])) },
    },
  });
  const manifest = JSON.parse(fs.readFileSync(path.join(outDir, '.vite', 'manifest.json'), 'utf8'));
  const bundles = {};
  for (const [name, html] of Object.entries(PAGES)) {
    const files = new Set();
    const walk = (key) => {
      const chunk = manifest[key];
      if (!chunk || files.has(chunk.file)) return;
      files.add(chunk.file);
      for (const k of chunk.imports ?? []) walk(k);
    };
    walk(html);
    let raw = 0;
    let gzip = 0;
    for (const f of files) {
      const buf = fs.readFileSync(path.join(outDir, f));
      raw += buf.length;
      gzip += zlib.gzipSync(buf, { level: 9 }).length;
    }
    bundles[name] = { files: [...files], jsBytes: raw, jsGzipBytes: gzip };
  }
  return bundles;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.map': 'application/json' };

/** A static server of `dir` on a free port of 127.0.0.1. */
function serve(dir) {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.join(dir, rel);
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` })));
}

// ---------------------------------------------------------------------------------------------
// Browser

async function launch(browserPath) {
  const { chromium } = await import('@playwright/test');
  return chromium.launch({
    executablePath: browserPath,
    headless: true,
    // WebGL without a GPU: ANGLE on SwiftShader, which Chromium only enables when asked.
    args: [...chromiumArgs, '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
}

/** RSS of the largest renderer (the page's), the GPU process, and the whole tree, in bytes. */
function chromiumRss() {
  let renderer = 0;
  let gpu = 0;
  let total = 0;
  for (const pid of descendants(process.pid)) {
    const rss = statusKiB(pid, 'VmRSS') * 1024;
    const type = processType(pid);
    if (type === 'renderer') renderer = Math.max(renderer, rss);
    if (type === 'gpu-process') gpu += rss;
    if (type !== 'other') total += rss;
  }
  return { renderer, gpu, total };
}

async function jsHeapAfterGc(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? null;
}

/** `promise`, or a rejection after `ms`; the timer is unref'd so that it never keeps Node alive. */
const withTimeout = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms).unref())]);

/** The WebGL renderer string of a blank page: says whether it is SwiftShader. */
async function webglInfo(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url + 'regl.html');
  const info = await page.evaluate(() => {
    const gl = document.createElement('canvas').getContext('webgl');
    if (!gl) return null;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return { version: gl.getParameter(gl.VERSION), renderer: ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER) };
  });
  await context.close();
  return info;
}

/** One repeat of one renderer in a fresh context. */
async function runOnce(browser, url, name, { points, seed, steps, pan, reglPerformanceMode, log }) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 1000 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e.message).slice(0, 300)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text().slice(0, 300)));
  page.on('crash', () => errors.push('page crashed'));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const r = { errors };
  try {
    await page.goto(url + PAGES[name] + (name === 'regl' && reglPerformanceMode ? '?performanceMode=1' : ''), { waitUntil: 'load' });
    await page.waitForFunction(() => window.renderBench);
    Object.assign(r, await page.evaluate(([n, s]) => window.renderBench.init(n, s), [points, seed]));
    r.frameFloorMs = await page.evaluate(() => window.renderBench.frameFloorMs());
    r.heapBeforeDraw = await jsHeapAfterGc(cdp);
    r.rssBeforeDraw = chromiumRss();
    const draw = await withTimeout(page.evaluate(() => window.renderBench.firstDraw()), DRAW_TIMEOUT_MS, 'first draw');
    r.firstDrawMs = draw.ms;
    r.firstDrawSyncedMs = draw.syncedMs;
    r.version = await page.evaluate(() => window.renderBench.version);
    r.heapAfterDraw = await jsHeapAfterGc(cdp);
    r.rssAfterDraw = chromiumRss();
    log(`  ${name}: first draw ${Math.round(r.firstDrawMs)} ms (${Math.round(r.firstDrawSyncedMs)} ms to GPU done); heap ${mib(r.heapAfterDraw)} MiB; renderer RSS ${mib(r.rssAfterDraw.renderer)} MiB, GPU process ${mib(r.rssAfterDraw.gpu)} MiB`);
    if (pan) {
      const pan = await withTimeout(page.evaluate((k) => window.renderBench.pan(k), steps), STEP_TIMEOUT_MS, 'pan');
      r.panStepsMs = pan.times;
      r.panStepsSyncedMs = pan.synced;
      log(`  ${name}: pan ${Math.round(median(pan.times))} ms per step (${Math.round(median(pan.synced))} ms to GPU done; median of ${steps})`);
    }
    r.selection = name === 'plotly' ? await plotlySelection(page) : await withTimeout(page.evaluate(() => window.renderBench.select()), STEP_TIMEOUT_MS, 'select').catch((e) => ({ error: e.message }));
    log(`  ${name}: selection ${JSON.stringify(r.selection)}`);
    r.passes = await page.evaluate(() => window.renderBench.passes(5));
    r.heapEnd = await jsHeapAfterGc(cdp);
    r.rssEnd = chromiumRss();
    r.ok = true;
  } catch (e) {
    r.ok = false;
    r.error = String(e.message ?? e).split('\n')[0];
    log(`  ${name}: FAILED ${r.error}`);
  } finally {
    await context.close().catch(() => {});
  }
  return r;
}

/** A mouse drag over SELECTION_BOX in plotly's select mode, to plotly_selected and the frame after. */
async function plotlySelection(page) {
  const box = await page.evaluate(() => window.renderBench.armSelection());
  const drag = (async () => {
    await page.mouse.move(box.x0, box.y0);
    await page.mouse.down();
    await page.mouse.move(box.x1, box.y1, { steps: 4 });
    await page.mouse.up();
    return page.evaluate(() => window.renderBench.selection);
  })();
  return withTimeout(drag, STEP_TIMEOUT_MS, 'plotly_selected').catch((e) => ({ error: e.message, unusable: true }));
}

// ---------------------------------------------------------------------------------------------
// Independent counts (Node): a plain filter for the box, the winding number for the polygon

function windingInside(px, py, poly) {
  let w = 0;
  for (let a = 0; a < poly.length; a++) {
    const [ax, ay] = poly[a];
    const [bx, by] = poly[(a + 1) % poly.length];
    const cross = (bx - ax) * (py - ay) - (px - ax) * (by - ay);
    if (ay <= py) {
      if (by > py && cross > 0) w++;
    } else if (by <= py && cross < 0) w--;
  }
  return w !== 0;
}

function referenceCounts(points, seed, plotlyRanges) {
  const { x, y } = generatePoints(points, seed);
  const inBox = ({ x0, x1, y0, y1 }) => {
    let k = 0;
    for (let i = 0; i < x.length; i++) if (x[i] >= x0 && x[i] <= x1 && y[i] >= y0 && y[i] <= y1) k++;
    return k;
  };
  const poly = lassoPolygon();
  let lasso = 0;
  for (let i = 0; i < x.length; i++) if (windingInside(x[i], y[i], poly)) lasso++;
  return {
    box: inBox(SELECTION_BOX),
    lasso,
    plotlyBoxes: plotlyRanges.map((r) => (r ? inBox({ x0: Math.min(...r.x), x1: Math.max(...r.x), y0: Math.min(...r.y), y1: Math.max(...r.y) }) : null)),
  };
}

// ---------------------------------------------------------------------------------------------
// Summary

function summarize(runs) {
  const ok = runs.filter((r) => r.ok);
  const med = (f) => round(median(ok.map(f)));
  const sel = ok.map((r) => r.selection ?? {});
  return {
    version: ok[0]?.version ?? null,
    runs: runs.length,
    failed: runs.length - ok.length,
    genMs: med((r) => r.genMs),
    frameFloorMs: med((r) => r.frameFloorMs),
    firstDrawMs: med((r) => r.firstDrawMs),
    firstDrawSyncedMs: med((r) => r.firstDrawSyncedMs),
    panMedianMs: round(median(ok.flatMap((r) => r.panStepsMs ?? []))), // over all steps of all panning repeats
    panSyncedMedianMs: round(median(ok.flatMap((r) => r.panStepsSyncedMs ?? []))),
    panRuns: ok.filter((r) => r.panStepsMs).length,
    panStepsMs: ok.flatMap((r) => r.panStepsMs ?? []).map((x) => round(x)),
    jsHeapAfterDrawMiB: med((r) => mib(r.heapAfterDraw)),
    jsHeapOfRendererMiB: med((r) => mib(r.heapAfterDraw - r.heapBeforeDraw)),
    rendererRssAfterDrawMiB: med((r) => mib(r.rssAfterDraw.renderer)),
    gpuProcessRssAfterDrawMiB: med((r) => mib(r.rssAfterDraw.gpu)),
    chromiumRssAfterDrawMiB: med((r) => mib(r.rssAfterDraw.total)),
    rendererRssGrowthMiB: med((r) => mib(r.rssAfterDraw.renderer - r.rssBeforeDraw.renderer)),
    selection: sel[0]?.box
      ? {
          boxToSelectedMs: round(median(sel.map((s) => s.box?.toSelectedMs))),
          boxToShownMs: round(median(sel.map((s) => s.box?.toShownMs))),
          lassoToSelectedMs: round(median(sel.map((s) => s.lasso?.toSelectedMs))),
          lassoToShownMs: round(median(sel.map((s) => s.lasso?.toShownMs))),
          boxCount: sel[0].box.count,
          lassoCount: sel[0].lasso.count,
        }
      : {
          unusable: sel.some((s) => s.unusable),
          errors: sel.filter((s) => s.error).map((s) => s.error),
          downToShownMs: round(median(sel.map((s) => s.downToShownMs))),
          upToSelectedMs: round(median(sel.map((s) => s.upToSelectedMs))),
          upToShownMs: round(median(sel.map((s) => s.upToShownMs))),
          boxCount: sel.find((s) => s.count != null)?.count ?? null,
        },
    jsPasses: {
      rectMs: med((r) => r.passes?.rectMs),
      lassoMs: med((r) => r.passes?.lassoMs),
      rectCount: ok[0]?.passes?.rectCount ?? null,
      lassoCount: ok[0]?.passes?.lassoCount ?? null,
    },
    errors: [...new Set(runs.flatMap((r) => [...(r.errors ?? []), ...(r.error ? [r.error] : [])]))].slice(0, 10),
    raw: runs,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * Both renderers, `repeats` fresh contexts each (alternating, so that a busy moment of the shared
 * machine does not land on one only), at `points` points.
 */
export async function runRenderBench({
  points = HERBARIUM_POINTS,
  repeats = 3,
  browserPath = chromiumPath,
  seed = 13,
  steps = 30,
  // Pans of 1M points take 1–2.5 s a step on SwiftShader: 30 steps in every repeat would take
  // the run past ~6 minutes, so at that size the pans run in the first repeat only (30 samples).
  panRepeats = points >= 500_000 ? 1 : repeats,
  reglPerformanceMode = false,
  log = (m) => console.error(`[render] ${m}`),
} = {}) {
  const t0 = Date.now();
  const outDir = path.join(os.tmpdir(), `ltl-map-render-${process.pid}`);
  log(`vite build of the two pages into ${outDir}`);
  const bundles = await buildPages(outDir);
  const { server, url } = await serve(outDir);
  const browser = await launch(browserPath);
  const runs = { plotly: [], regl: [] };
  let webgl = null;
  let machine = null;
  try {
    webgl = await webglInfo(browser, url);
    log(`WebGL: ${JSON.stringify(webgl)}`);
    machine = machineInfo(['date', 'commit', 'cpu', 'nproc', 'memGiB', 'os', 'kernel', 'chromium', 'node', 'loadAverage'], { browser });
    machine.browser = browser.version();
    machine.webgl = webgl;
    for (let rep = 0; rep < repeats; rep++) {
      const order = rep % 2 ? ['regl', 'plotly'] : ['plotly', 'regl'];
      for (const name of order) {
        log(`repeat ${rep + 1}/${repeats}: ${name} at ${points.toLocaleString('en-US')} points`);
        runs[name].push(await runOnce(browser, url, name, { points, seed, steps, pan: rep < panRepeats, reglPerformanceMode, log }));
      }
    }
  } finally {
    await browser.close().catch(() => {});
    server.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
  const plotly = summarize(runs.plotly);
  const regl = summarize(runs.regl);
  plotly.bundle = bundles.plotly;
  regl.bundle = bundles.regl;
  const ref = referenceCounts(points, seed, runs.plotly.map((r) => r.selection?.range ?? null));
  const checks = {
    reference: { box: ref.box, lasso: ref.lasso },
    jsPassesMatch: [plotly, regl].every((s) => s.jsPasses.rectCount == null || (s.jsPasses.rectCount === ref.box && s.jsPasses.lassoCount === ref.lasso)),
    reglBoxCount: regl.selection.boxCount,
    reglLassoCount: regl.selection.lassoCount,
    plotlyBoxCount: plotly.selection.boxCount,
    plotlyBoxReference: ref.plotlyBoxes.find((c) => c != null) ?? null,
  };
  const ratio = (k) => (plotly[k] && regl[k] ? round(plotly[k] / regl[k], 2) : null);
  return {
    config: { points, repeats, seed, panSteps: steps, panRepeats, reglPerformanceMode, viewport: '1000x1000', plotArea: '800x800 px', markerSize: 2, categories: 20, blobs: 2000 },
    machine,
    plotly,
    regl,
    ratio: { firstDraw: ratio('firstDrawMs'), firstDrawSynced: ratio('firstDrawSyncedMs'), pan: ratio('panMedianMs'), panSynced: ratio('panSyncedMedianMs'), rendererRss: ratio('rendererRssAfterDrawMiB'), jsHeap: ratio('jsHeapAfterDrawMiB'), bundleGzip: round(plotly.bundle.jsGzipBytes / regl.bundle.jsGzipBytes, 2) },
    checks,
    totalS: round((Date.now() - t0) / 1000),
  };
}

/** The Markdown table of a runRenderBench result (for the report or BENCHMARKS.md). */
export function renderTable(res) {
  const { plotly: p, regl: r } = res;
  const kib = (b) => `${Math.round(b / 1024).toLocaleString('en-US')} KiB`;
  const ms = (x) => (x == null ? 'n/a' : `${Math.round(x).toLocaleString('en-US')} ms`);
  const mb = (x) => (x == null ? 'n/a' : `${Math.round(x).toLocaleString('en-US')} MiB`);
  const rows = [
    ['first draw (call → 2 frames)', ms(p.firstDrawMs), ms(r.firstDrawMs)],
    ['first draw, GPU done (+ readPixels)', ms(p.firstDrawSyncedMs), ms(r.firstDrawSyncedMs)],
    [`pan step, median of ${res.config.panSteps} × ${res.config.panRepeats}`, ms(p.panMedianMs), ms(r.panMedianMs)],
    ['pan step, GPU done (+ readPixels)', ms(p.panSyncedMedianMs), ms(r.panSyncedMedianMs)],
    ['two idle frames (floor)', ms(p.frameFloorMs), ms(r.frameFloorMs)],
    ['JS heap after draw (after GC)', mb(p.jsHeapAfterDrawMiB), mb(r.jsHeapAfterDrawMiB)],
    ['  of which the renderer', mb(p.jsHeapOfRendererMiB), mb(r.jsHeapOfRendererMiB)],
    ['renderer process RSS', mb(p.rendererRssAfterDrawMiB), mb(r.rendererRssAfterDrawMiB)],
    ['GPU process RSS', mb(p.gpuProcessRssAfterDrawMiB), mb(r.gpuProcessRssAfterDrawMiB)],
    [
      'own box selection (→ shown)',
      p.selection.unusable ? `unusable (${p.selection.errors[0]})` : `${ms(p.selection.downToShownMs)} drag; ${ms(p.selection.upToShownMs)} after mouse-up (${p.selection.boxCount})`,
      `${ms(r.selection.boxToShownMs)} (${r.selection.boxCount})`,
    ],
    ['own 20-vertex lasso (→ shown)', 'n/a (mouse lasso only)', `${ms(r.selection.lassoToShownMs)} (${r.selection.lassoCount})`],
    ['JS point-in-box pass', `${round(p.jsPasses.rectMs)} ms`, `${round(r.jsPasses.rectMs)} ms (${r.jsPasses.rectCount})`],
    ['JS point-in-lasso pass (20 vertices)', `${round(p.jsPasses.lassoMs)} ms`, `${round(r.jsPasses.lassoMs)} ms (${r.jsPasses.lassoCount})`],
    ['page JS (gzip)', `${kib(p.bundle.jsBytes)} (${kib(p.bundle.jsGzipBytes)})`, `${kib(r.bundle.jsBytes)} (${kib(r.bundle.jsGzipBytes)})`],
  ];
  return [
    `| ${res.config.points.toLocaleString('en-US')} points, medians of ${res.config.repeats} | plotly.js ${p.version} scattergl | regl-scatterplot ${r.version}${res.config.reglPerformanceMode ? ' (performanceMode)' : ''} |`,
    '| --- | --- | --- |',
    ...rows.map((c) => `| ${c.join(' | ')} |`),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseBenchArgs({
    script: 'bench/map/render/run.mjs',
    summary: 'plotly.js scattergl vs regl-scatterplot on a synthetic embedding map, in headless Chromium.',
    options: {
      points: { type: 'number', default: HERBARIUM_POINTS, help: 'points drawn' },
      repeats: { type: 'number', default: 3, help: 'fresh page loads per renderer' },
      seed: { type: 'number', default: 13, help: 'seed of the synthetic points' },
      steps: { type: 'number', default: 30, help: 'pan steps' },
      'pan-repeats': { type: 'number', help: 'repeats that also pan (default: 1 from 500,000 points on, else all)' },
      'regl-performance-mode': { type: 'boolean', help: "regl-scatterplot's performanceMode (squares, no alpha blending)" },
      out: { type: 'string', arg: 'FILE', default: path.join(root, 'bench/.data/map-render-result.json'), help: 'result JSON' },
    },
  });
  const res = await runRenderBench({
    points: values.points,
    repeats: values.repeats,
    seed: values.seed,
    steps: values.steps,
    panRepeats: values['pan-repeats'],
    reglPerformanceMode: values['regl-performance-mode'],
  });
  fs.mkdirSync(path.dirname(values.out), { recursive: true });
  fs.writeFileSync(values.out, JSON.stringify(res, null, 2));
  console.log(renderTable(res));
  console.log(`\nratio plotly/regl: ${JSON.stringify(res.ratio)}`);
  console.log(`checks: ${JSON.stringify(res.checks)}`);
  console.log(`machine: ${JSON.stringify(res.machine)}`);
  console.log(`total ${res.totalS} s; result in ${path.relative(root, values.out)}`);
}
