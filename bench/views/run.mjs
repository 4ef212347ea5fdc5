#!/usr/bin/env node
/**
 * Views benchmark: what a person feels after Herbarium 2022 (synthetic, full scale: 839,772 images,
 * 15,501 classes) is loaded in headless Chromium: how soon each chart is drawn after the overview,
 * how fast a filter click updates the sample grid, and whether memory stays flat while scrolling
 * the one-row-per-class grid through 2,000 classes with real (small, generated) JPEG thumbnails.
 *
 *   npm run bench:views            (= node bench/views/run.mjs)
 *
 * Options: --chart-repeats N (page loads timed for the charts, default 3), --filter-repeats N
 * (default 5), --image-classes N (classes whose images are written, default 2000), --scroll-rows N
 * (class rows scrolled through, default: the image classes), --scroll-step-rows N
 * (rows per scroll step, default 3 = one viewport), --scroll-interval-ms N (default 150),
 * --no-folder (metadata only: the grid shows placeholders), --no-profile, --build (always rebuild
 * dist/), --no-write (leave BENCHMARKS.md alone), --port N (default 4179; the next free one if taken).
 * Env: CHROMIUM_PATH.
 *
 * Results: bench/.data/views-result.json, a Markdown table on stdout, and the "Views" section of
 * BENCHMARKS.md (between the views markers, after the ingest section).
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureData, buildModel } from '../ingest/gen-herbarium.mjs';
import { ensureImages } from './gen-images.mjs';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';
import { descendants, ensureAppBuild, fmtMiB, fmtS, freePort, median, mib, processType, sh, startPreview, statusKiB, stopPreview } from '../lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const dataDir = path.join(root, 'bench', '.data');
const resultFile = path.join(dataDir, 'views-result.json');
// Our own build: dist/ is rebuilt by other scripts (e2e, npm run build) while this one runs.
const distDir = path.join(dataDir, 'views-dist');
const benchmarksFile = path.join(root, 'BENCHMARKS.md');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : dflt;
};
const CHART_REPEATS = option('--chart-repeats', 3);
const FILTER_REPEATS = option('--filter-repeats', 5);
const IMAGE_CLASSES = option('--image-classes', 2000);
const SCROLL_CLASSES = option('--scroll-rows', IMAGE_CLASSES);
const SCROLL_STEP_ROWS = option('--scroll-step-rows', 3);
const SCROLL_INTERVAL_MS = option('--scroll-interval-ms', 150);
const WANT_PORT = option('--port', 4179);
const USE_FOLDER = !flag('--no-folder');
const SCROLL_BACK = !flag('--no-scroll-back');
const PROFILE = !flag('--no-profile');

const ROW_HEIGHT = 236;
const CHART_IDS = [
  'chart-rank-frequency',
  'chart-size-histogram',
  'chart-cumulative-share',
  'chart-taxonomy',
  'chart-family-spread',
  'chart-genus-spread',
  'chart-institutions',
];
const GOALS = { chartMs: 1000, filterMs: 200 };
const CONTROL_FILTER_REPEATS = 3;
const LOAD_TIMEOUT_MS = 5 * 60 * 1000;
const CHART_TIMEOUT_MS = 60_000;
const MEM_SAMPLE_MS = 500;
const LOAD_SAMPLE_MS = 250;

const log = (...a) => console.error('[bench:views]', ...a);

// ---------------------------------------------------------------------------------------------
// Small helpers (the shared ones are in bench/lib.mjs)

const round = (x, d = 1) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);
const fmtMs = (ms) => (ms == null ? 'n/a' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms).toLocaleString('en-US')} ms`);
const fmtSigned = (m) => (m == null ? 'n/a' : `${m >= 0 ? '+' : '−'}${Math.abs(Math.round(m)).toLocaleString('en-US')} MiB`);
const n0 = (x) => (x == null ? 'n/a' : Math.round(x).toLocaleString('en-US'));

// Chromium's on-device AI model service starts by itself at a random moment (~50 MiB); nothing
// the page does. Left out of the sums (still listed per type), so that it does not read as growth.
const IGNORED_TYPES = new Set(['utility OnDeviceModelService']);
const ignoredSeen = new Map();

/** RSS summed over the Chromium process tree (our descendants but the preview server), bytes. */
function chromiumMemory(exclude, { byType = false } = {}) {
  const pids = descendants(process.pid, exclude);
  let rss = 0;
  const types = {};
  for (const pid of pids) {
    const r = statusKiB(pid, 'VmRSS') * 1024;
    const t = byType || IGNORED_TYPES.size ? processType(pid) : null;
    if (IGNORED_TYPES.has(t)) ignoredSeen.set(t, Math.max(ignoredSeen.get(t) ?? 0, r));
    else rss += r;
    if (byType) types[t] = (types[t] ?? 0) + r;
  }
  return byType ? { rss, processes: pids.length, byType: types } : { rss, processes: pids.length };
}

/** Least-squares slope of y over x. */
function slope(xs, ys) {
  const n = xs.length;
  if (n < 3) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx ? sxy / sxx : null;
}

// ---------------------------------------------------------------------------------------------
// In-page code (runs in Chromium)

/**
 * Before any page script: count live object URLs (the thumbnail cache promised at most 600 when
 * it held blob URLs) and live ImageBitmaps the page received from its workers (the thumbnails
 * since they are bitmaps: received, minus closed).
 */
function pageInit() {
  const live = new Set();
  let peak = 0;
  let created = 0;
  const create = URL.createObjectURL.bind(URL);
  const revoke = URL.revokeObjectURL.bind(URL);
  URL.createObjectURL = (obj) => {
    const u = create(obj);
    live.add(u);
    created++;
    if (live.size > peak) peak = live.size;
    return u;
  };
  URL.revokeObjectURL = (u) => {
    live.delete(u);
    return revoke(u);
  };
  globalThis.__objectUrls = () => ({ live: live.size, peak, created });
  const bitmaps = { received: 0, closed: 0, peak: 0 };
  const tracked = new WeakSet();
  const found = (v, depth = 0) => {
    if (typeof ImageBitmap !== 'undefined' && v instanceof ImageBitmap) {
      if (!tracked.has(v)) {
        tracked.add(v);
        bitmaps.received++;
        bitmaps.peak = Math.max(bitmaps.peak, bitmaps.received - bitmaps.closed);
      }
    } else if (v && typeof v === 'object' && depth < 3 && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)) {
      for (const k of Object.keys(v).slice(0, 16)) found(v[k], depth + 1);
    }
  };
  if (typeof ImageBitmap !== 'undefined') {
    const close = ImageBitmap.prototype.close;
    ImageBitmap.prototype.close = function () {
      if (tracked.has(this)) {
        tracked.delete(this);
        bitmaps.closed++;
      }
      return close.call(this);
    };
  }
  if (typeof Worker !== 'undefined') {
    const NativeWorker = Worker;
    globalThis.Worker = class extends NativeWorker {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => found(e.data));
      }
    };
  }
  globalThis.__bitmaps = () => ({ live: bitmaps.received - bitmaps.closed, peak: bitmaps.peak, received: bitmaps.received });
  globalThis.__longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) globalThis.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    /* no long task API */
  }
}

/**
 * Clicks `target` and times, in the page, until the grid shows what the click asked for.
 * Returns { dom, frame, thumbs?, longTasks } in ms from just before `element.click()`:
 * dom = the MutationObserver callback that first saw the condition; frame = a requestAnimationFrame
 * + setTimeout after that (the frame with the change has been produced, as in the app's load:readouts).
 */
function pageMeasureClick({ target, cond, timeoutMs, waitThumbs }) {
  const fewSet = cond.fewCategories ? new Set(cond.fewCategories) : null;
  const gridTiles = () => {
    const grid = document.querySelector('[data-testid="sample-grid"]');
    return grid ? { grid, tiles: grid.querySelectorAll('[data-testid="sample"]') } : null;
  };
  const check = () => {
    const g = gridTiles();
    if (!g || g.tiles.length === 0) return false;
    const chips = [...document.querySelectorAll('[data-testid="chip"]')];
    if (cond.kind === 'class') {
      if (!chips.some((c) => c.dataset.kind === 'class')) return false;
      for (const t of g.tiles)
        if (t.querySelector('.cap-genus')?.textContent !== cond.genus || t.querySelector('.cap-species')?.textContent !== cond.species) return false;
      return true;
    }
    if (cond.kind === 'band') {
      if (!chips.some((c) => c.dataset.kind === 'band')) return false;
      if (cond.classes != null && g.grid.dataset.classes !== String(cond.classes)) return false;
      for (const t of g.tiles) if (!fewSet.has(String(t.dataset.imageId).split('__')[0])) return false;
      return true;
    }
    // 'all': no chip left, the grid draws from every class again
    return chips.length === 0 && g.grid.dataset.classes === String(cond.classes);
  };
  const candidates = [...document.querySelectorAll(target.selector)];
  const el = target.text ? candidates.find((e) => e.textContent.includes(target.text)) : candidates[0];
  if (!el) return Promise.resolve({ error: `no element ${target.selector}${target.text ? ` with text ${JSON.stringify(target.text)}` : ''}` });
  if (check()) return Promise.resolve({ error: 'the condition held before the click' });
  return new Promise((resolve) => {
    let tDom = null;
    let settled = false;
    const out = {};
    const finish = (extra) => {
      if (settled) return;
      settled = true;
      mo.disconnect();
      clearTimeout(timer);
      const end = t0 + (out.thumbs ?? out.frame ?? timeoutMs);
      out.longTasks = globalThis.__longTasks.filter((e) => e.start + e.duration > t0 && e.start < end).map((e) => Math.round(e.duration));
      resolve({ ...out, ...extra });
    };
    const thumbsSettled = () => {
      const g = gridTiles();
      if (!g) return false;
      const thumbs = g.grid.querySelectorAll('[data-testid="thumb"]');
      if (!thumbs.length) return false;
      for (const t of thumbs) if (t.dataset.state === 'loading') return false;
      out.thumbStates = [...thumbs].map((t) => t.dataset.state);
      return true;
    };
    const onChange = () => {
      if (tDom === null) {
        if (!check()) return;
        tDom = performance.now();
        out.dom = tDom - t0;
        requestAnimationFrame(() =>
          setTimeout(() => {
            out.frame = performance.now() - t0;
            if (!waitThumbs) finish();
            else if (thumbsSettled()) {
              out.thumbs = performance.now() - t0;
              finish();
            }
          }),
        );
      } else if (waitThumbs && out.frame != null && thumbsSettled()) {
        out.thumbs = performance.now() - t0;
        finish();
      }
    };
    const mo = new MutationObserver(onChange);
    mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    const timer = setTimeout(() => finish({ error: tDom === null ? `timed out after ${timeoutMs} ms` : undefined, thumbsTimedOut: tDom !== null }), timeoutMs);
    const t0 = performance.now();
    el.click();
  });
}

/** Scrolls the rows grid through `rows` rows in steps; samples what the page shows every 500 ms. */
async function pageScroll({ from = null, rows, up = false, stepRows, intervalMs, rowHeight }) {
  const grid = document.querySelector('[data-testid="sample-grid"]');
  if (!grid) return { error: 'no sample-grid' };
  if (from != null) {
    grid.scrollTop = from * rowHeight;
    await new Promise((r) => setTimeout(r, 1000));
  }
  // Stop when row `rows` is the last one in view (the viewport shows clientHeight / rowHeight rows).
  // Up: until row 0 is at the top.
  const target = up ? 0 : Math.max(0, rows * rowHeight - grid.clientHeight);
  const startTop = grid.scrollTop;
  const counts = () => {
    const s = { ready: 0, loading: 0, failed: 0 };
    for (const t of grid.querySelectorAll('[data-testid="thumb"]')) s[t.dataset.state] = (s[t.dataset.state] ?? 0) + 1;
    return s;
  };
  const frames = [];
  let lastFrame = performance.now();
  let framing = true;
  const frame = (t) => {
    frames.push(t - lastFrame);
    lastFrame = t;
    if (framing) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  const t0 = performance.now();
  const trace = [];
  let readySeen = 0;
  let rowsSeen = new Set();
  const sampleEvery = setInterval(() => {
    const c = counts();
    trace.push({ t: performance.now() - t0, top: grid.scrollTop, ...c, urls: globalThis.__objectUrls?.().live ?? null, bitmaps: globalThis.__bitmaps?.().live ?? null });
  }, 500);
  const rowObserver = new MutationObserver(() => {
    for (const r of grid.querySelectorAll('[data-testid="class-row"]')) rowsSeen.add(r.dataset.categoryId);
    readySeen = Math.max(readySeen, counts().ready);
  });
  rowObserver.observe(grid, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  return new Promise((resolve) => {
    const step = () => {
      const done = up ? grid.scrollTop <= target + 1 : grid.scrollTop + 1 >= target || grid.scrollTop + grid.clientHeight + 1 >= grid.scrollHeight;
      if (done) {
        if (!up) grid.scrollTop = Math.min(grid.scrollTop, target);
        clearInterval(sampleEvery);
        const scrolledMs = performance.now() - t0;
        // Let the last rows' thumbnails load.
        setTimeout(() => {
          framing = false;
          rowObserver.disconnect();
          const end = counts();
          const longTasks = globalThis.__longTasks.filter((e) => e.start >= t0).map((e) => Math.round(e.duration));
          const slowFrames = frames.filter((f) => f > 50).length;
          resolve({
            scrolledMs,
            scrollTop: grid.scrollTop,
            rowsScrolled: (Math.abs(grid.scrollTop - startTop) + grid.clientHeight) / rowHeight,
            lastRowInView: (grid.scrollTop + grid.clientHeight) / rowHeight,
            rowsSeen: rowsSeen.size,
            end,
            endRows: grid.querySelectorAll('[data-testid="class-row"]').length,
            objectUrls: globalThis.__objectUrls?.() ?? null,
            bitmaps: globalThis.__bitmaps?.() ?? null,
            trace,
            frames: frames.length,
            slowFrames,
            longestFrameMs: Math.round(Math.max(0, ...frames)),
            medianFrameMs: frames.length ? [...frames].sort((a, b) => a - b)[frames.length >> 1] : null,
            longTasks: longTasks.length,
            longestTaskMs: longTasks.length ? Math.max(...longTasks) : 0,
            longTaskMs: longTasks.reduce((a, b) => a + b, 0),
          });
        }, 2000);
        return;
      }
      grid.scrollTop = up ? Math.max(target, grid.scrollTop - stepRows * rowHeight) : Math.min(target, grid.scrollTop + stepRows * rowHeight);
      setTimeout(step, intervalMs);
    };
    step();
  });
}

// ---------------------------------------------------------------------------------------------
// Browser phases

async function newPage(browser, url, errors) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(pageInit);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text().slice(0, 400)}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${String(e.message).slice(0, 400)}`));
  page.on('crash', () => errors.push('page crashed'));
  await page.goto(url, { waitUntil: 'load' });
  await page.locator('[data-testid="metadata-input"]').waitFor({ state: 'attached', timeout: 30_000 });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  return { context, page, cdp };
}

async function jsHeap(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? null;
}

async function uaMemory(page) {
  return Promise.race([
    page
      .evaluate(async () => {
        if (!globalThis.crossOriginIsolated || !performance.measureUserAgentSpecificMemory) return null;
        return (await performance.measureUserAgentSpecificMemory()).bytes;
      })
      .catch(() => null),
    sleep(20_000).then(() => null),
  ]);
}

/**
 * The page's performance.now() origin on CLOCK_MONOTONIC (ms), the clock of Chromium's TimeTicks and
 * of the CPU profile's timestamps (Linux; Node's hrtime reads the same clock). Best of 5 round trips
 * while the page is idle: the error is at most half the shortest round trip.
 */
async function pageClockOrigin(page) {
  let best = null;
  for (let i = 0; i < 5; i++) {
    const a = process.hrtime.bigint();
    const now = await page.evaluate(() => performance.now());
    const b = process.hrtime.bigint();
    const rtt = Number(b - a) / 1e6;
    if (!best || rtt < best.rtt) best = { rtt, origin: Number((a + b) / 2n) / 1e6 - now };
  }
  return best.origin;
}

/** Sets the metadata file and waits for the readouts; returns times and (optionally) memory. */
async function loadMetadata(page, cdp, file, expected, exclude, { sampleMs = 0, profile = false, mapFrame = null, browser = null } = {}) {
  await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
  await sleep(300);
  const base = chromiumMemory(exclude);
  const baseHeap = await jsHeap(cdp);
  const peak = { rss: base.rss, heap: baseHeap ?? 0 };
  let sampling = sampleMs > 0;
  const sampler = (async () => {
    while (sampling) {
      const started = Date.now();
      peak.rss = Math.max(peak.rss, chromiumMemory(exclude).rss);
      const h = await Promise.race([jsHeap(cdp).catch(() => null), sleep(2000).then(() => null)]);
      if (h != null) peak.heap = Math.max(peak.heap, h);
      await sleep(Math.max(0, sampleMs - (Date.now() - started)));
    }
  })();
  const originMonoMs = profile ? await pageClockOrigin(page) : null;
  const t0 = performance.now();
  await page.locator('[data-testid="metadata-input"]').setInputFiles(file, { timeout: LOAD_TIMEOUT_MS });
  const outcome = await (
    await page.waitForFunction(
      (want) => {
        const v = document.querySelector('[data-testid="stat-images"]')?.getAttribute('data-value');
        if (v === want) return { ok: true };
        const alert = document.querySelector('[role="alert"]')?.textContent?.trim();
        return alert ? { ok: false, alert: alert.slice(0, 1000) } : false;
      },
      String(expected.images),
      { timeout: LOAD_TIMEOUT_MS, polling: 'raf' },
    )
  ).jsonValue();
  const harnessMs = performance.now() - t0;
  let profiler = null;
  if (profile) {
    // Started once the readouts show: the profile covers the charts, not the load.
    if (browser) await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] }).catch(() => {});
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    profiler = { startedAt: await page.evaluate(() => performance.now()) };
  }
  if (!outcome.ok) {
    sampling = false;
    await sampler;
    return { ok: false, error: outcome.alert };
  }
  // Charts: wait until every chart has its mark (or time out).
  const charts = await page
    .waitForFunction(
      (ids) => {
        const r = performance.getEntriesByName('load:readouts').at(-1);
        if (!r) return false;
        const marks = {};
        for (const id of ids) {
          const m = performance.getEntriesByName(`chart-drawn:${id}`).at(-1);
          if (!m) return false;
          marks[id] = m.startTime;
        }
        return { readouts: r.startTime + r.duration, loadMs: r.duration, marks };
      },
      CHART_IDS,
      { timeout: CHART_TIMEOUT_MS, polling: 50 },
    )
    .then((h) => h.jsonValue())
    .catch(async (e) => ({
      error: String(e.message ?? e).split('\n')[0],
      partial: await page.evaluate(
        (ids) => ({
          readouts: (() => {
            const r = performance.getEntriesByName('load:readouts').at(-1);
            return r ? r.startTime + r.duration : null;
          })(),
          marks: Object.fromEntries(ids.map((id) => [id, performance.getEntriesByName(`chart-drawn:${id}`).at(-1)?.startTime ?? null])),
          present: ids.filter((id) => document.querySelector(`[data-testid="${id}"]`)),
        }),
        CHART_IDS,
      ),
    }));
  if (profiler) {
    const { profile: prof } = await cdp.send('Profiler.stop');
    profiler.stoppedAt = await page.evaluate(() => performance.now());
    const marks = charts.marks ?? charts.partial?.marks ?? {};
    const segments = Object.entries(marks)
      .filter(([, t]) => t != null)
      .sort((a, b) => a[1] - b[1])
      .map(([id, t]) => ({ name: id, end: t }));
    profiler.top = analyseProfile(prof, mapFrame, 15, { originMonoMs, segments });
    if (browser) {
      try {
        const buf = await browser.stopTracing();
        profiler.trace = tracePhases(JSON.parse(buf.toString('utf8')), { originMonoMs, segments });
      } catch (e) {
        profiler.trace = { error: String(e.message ?? e).split('\n')[0] };
      }
    }
    await cdp.send('Profiler.disable');
  }
  sampling = false;
  await sampler;
  const after = chromiumMemory(exclude);
  peak.rss = Math.max(peak.rss, after.rss);
  const readoutsAt = charts.readouts ?? charts.partial?.readouts ?? null;
  const longTasks = await page.evaluate((from) => globalThis.__longTasks.filter((e) => from != null && e.start + e.duration >= from), readoutsAt);
  const chartMs = {};
  const marks = charts.marks ?? charts.partial?.marks ?? {};
  for (const id of CHART_IDS) chartMs[id] = marks[id] != null && readoutsAt != null ? marks[id] - readoutsAt : null;
  const lastChart = Math.max(...Object.values(marks).filter((x) => x != null));
  return {
    ok: true,
    harnessMs,
    loadMs: charts.loadMs ?? null,
    chartError: charts.error ?? null,
    chartsPresent: charts.partial?.present ?? CHART_IDS,
    chartMs,
    longTasksAfterReadouts: longTasks
      .filter((e) => e.start <= lastChart)
      .map((e) => ({ start: Math.round(e.start - readoutsAt), duration: Math.round(e.duration) })),
    memory: sampleMs
      ? { baseRss: base.rss, peakRss: peak.rss, afterRss: after.rss, baseHeap, peakHeap: peak.heap, processes: base.processes }
      : null,
    profiler,
  };
}

/**
 * Source maps of the served bundle (dist has them): bundle file:line:col → original source,
 * line and name. Uses source-map-js (vite's postcss brings it); without it, frames stay minified.
 */
async function sourceMapper(distDir) {
  let SourceMapConsumer;
  try {
    ({ SourceMapConsumer } = await import('source-map-js'));
  } catch {
    return null;
  }
  const consumers = new Map();
  const consumerFor = (url) => {
    const file = url.replace(/^https?:\/\/[^/]+\//, '').replace(/\?.*$/, '');
    if (!consumers.has(file)) {
      let c = null;
      try {
        c = new SourceMapConsumer(JSON.parse(fs.readFileSync(path.join(distDir, file + '.map'), 'utf8')));
      } catch {
        /* no map */
      }
      consumers.set(file, c);
    }
    return consumers.get(file);
  };
  return (cf) => {
    if (!cf.url) return null;
    const c = consumerFor(cf.url);
    if (!c) return null;
    const o = c.originalPositionFor({ line: cf.lineNumber + 1, column: cf.columnNumber });
    if (!o.source) return null;
    const source = o.source.replace(/^(\.\.\/)+/, '').replace(/^.*node_modules\//, '');
    return { source, line: o.line, name: o.name };
  };
}

/** What a frame's original source is part of: a plotly trace type, another plotly module, the app. */
function moduleOf(mapped) {
  if (!mapped) return null;
  let m = mapped.source.match(/plotly\.js\/src\/traces\/([^/]+)/);
  if (m) return `plotly traces/${m[1]}`;
  m = mapped.source.match(/plotly\.js\/src\/(components|plots|lib|plot_api)\/([^/.]+)/);
  if (m) return `plotly ${m[1]}/${m[2]}`;
  m = mapped.source.match(/^(@?[^/]+(?:\/[^/]+)?)\//);
  if (mapped.source.startsWith('src/')) return mapped.source.replace(/\?.*$/, '');
  return m ? m[1] : mapped.source;
}

/**
 * A CDP CPU profile read three ways: top self time per function (native functions named with the
 * nearest bundle caller), time per plotly trace type (the deepest trace module on each sample's
 * stack), and time per module of the leaf frame.
 */
function analyseProfile(profile, mapFrame, limit = 15, { originMonoMs = null, segments = null } = {}) {
  // Segments: [{ name, end }] in the page's performance.now() ms, ascending. Profile timestamps are
  // CLOCK_MONOTONIC µs (Chromium's TimeTicks); `originMonoMs` is the page's performance.now() origin
  // on that clock (see pageClockOrigin), so a sample's page time is ts / 1000 − originMonoMs.
  const segs = segments && originMonoMs != null ? segments.map((g) => ({ ...g, total: 0, what: new Map(), self: new Map() })) : null;
  let clock = profile.startTime ?? 0;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const mapped = new Map();
  const frameOf = (id) => {
    if (!mapped.has(id)) {
      const cf = byId.get(id).callFrame;
      const m = mapFrame?.(cf) ?? null;
      mapped.set(id, { cf, m });
    }
    return mapped.get(id);
  };
  const label = (id) => {
    const { cf, m } = frameOf(id);
    if (m) return `${m.name || cf.functionName || '(anonymous)'} (${m.source}:${m.line})`;
    if (cf.url) return `${cf.functionName || '(anonymous)'} (${cf.url.replace(/^https?:\/\/[^/]+\//, '')}:${cf.lineNumber + 1}:${cf.columnNumber + 1})`;
    return cf.functionName || '(native)';
  };
  const deltas = profile.timeDeltas ?? [];
  const self = new Map();
  const traces = new Map();
  const modules = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = deltas[i + 1] ?? 0; // time until the next sample belongs to this one
    clock += deltas[i] ?? 0;
    const leaf = profile.samples[i];
    total += us;
    // Self time; a native leaf (layout, DOM calls) is shown with its nearest JS caller.
    let key = label(leaf);
    let mod = moduleOf(frameOf(leaf).m);
    if (!frameOf(leaf).cf.url && !/^\((idle|program|garbage collector|root)\)$/.test(frameOf(leaf).cf.functionName)) {
      let p = parent.get(leaf);
      while (p != null && !frameOf(p).cf.url) p = parent.get(p);
      if (p != null) {
        key = `${frameOf(leaf).cf.functionName} ← ${label(p)}`;
        mod = moduleOf(frameOf(p).m);
      }
    }
    self.set(key, (self.get(key) ?? 0) + us);
    if (!mod) mod = /^\((idle|program|garbage collector)\)/.test(key) ? key.match(/^\([^)]*\)/)[0] : 'other (unmapped)';
    modules.set(mod, (modules.get(mod) ?? 0) + us);
    let trace = null;
    for (let id = leaf; id != null && !trace; id = parent.get(id)) {
      const t = moduleOf(frameOf(id).m);
      if (t?.startsWith('plotly traces/')) trace = t.slice('plotly traces/'.length);
    }
    const tk = trace ?? (/^\((idle|program|garbage collector)\)/.test(key) ? key.match(/^\([^)]*\)/)[0] : 'not under a trace module');
    traces.set(tk, (traces.get(tk) ?? 0) + us);
    if (segs) {
      const at = clock / 1000 - originMonoMs;
      const g = segs.find((x) => at < x.end);
      if (g) {
        const what = trace ? `plotly traces/${trace}` : mod;
        g.total += us;
        g.what.set(what, (g.what.get(what) ?? 0) + us);
        g.self.set(key, (g.self.get(key) ?? 0) + us);
      }
    }
  }
  const top = (m, n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([fn, us]) => ({ fn, ms: round(us / 1000, 0) }));
  return {
    totalMs: round(total / 1000, 0),
    mapped: !!mapFrame,
    entries: top(self, limit),
    byTrace: top(traces, 12),
    byModule: top(modules, 12),
    profileStartPageMs: originMonoMs != null && profile.startTime != null ? round(profile.startTime / 1000 - originMonoMs, 1) : null,
    segments: segs?.map((g) => ({ name: g.name, end: g.end, sampledMs: round(g.total / 1000, 0), what: top(g.what, 4), self: top(g.self, 3) })) ?? null,
  };
}

/** Main-thread time by trace event name (Chromium's timeline: style, layout, paint, scripts, GC). */
function tracePhases(trace, { originMonoMs = null, segments = null } = {}) {
  const segs = segments && originMonoMs != null ? segments.map((g) => ({ name: g.name, end: g.end, sums: new Map() })) : null;
  const events = trace.traceEvents ?? trace;
  const names = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain') names.set(`${e.pid}:${e.tid}`, true);
  const byThread = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !names.has(`${e.pid}:${e.tid}`)) continue;
    const k = `${e.pid}:${e.tid}`;
    if (!byThread.has(k)) byThread.set(k, []);
    byThread.get(k).push(e);
  }
  let main = [];
  for (const list of byThread.values()) if (list.length > main.length) main = list;
  const sums = new Map();
  let busy = 0;
  let first = Infinity;
  let last = 0;
  for (const e of main) {
    const dur = e.dur ?? 0;
    first = Math.min(first, e.ts);
    last = Math.max(last, e.ts + dur);
    if (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') {
      busy += dur;
      continue;
    }
    sums.set(e.name, (sums.get(e.name) ?? 0) + dur);
    if (segs) {
      const g = segs.find((x) => e.ts / 1000 - originMonoMs < x.end);
      if (g) g.sums.set(e.name, (g.sums.get(e.name) ?? 0) + dur);
    }
  }
  return {
    segments: segs?.map((g) => ({
      name: g.name,
      top: [...g.sums]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([name, us]) => ({ name, ms: round(us / 1000, 0) })),
    })) ?? null,
    spanMs: main.length ? round((last - first) / 1000, 0) : null,
    busyMs: round(busy / 1000, 0),
    phases: [...sums]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 14)
      .map(([name, us]) => ({ name, ms: round(us / 1000, 0) })),
  };
}

/** Runs `run` under the CPU profiler and a Chromium timeline trace; returns both, digested. */
async function diagnose(browser, page, cdp, mapFrame, run) {
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  let value;
  try {
    value = await run();
  } finally {
    var { profile } = await cdp.send('Profiler.stop');
    await cdp.send('Profiler.disable');
    var buf = await browser.stopTracing();
  }
  let phases = null;
  try {
    phases = tracePhases(JSON.parse(buf.toString('utf8')));
  } catch (e) {
    phases = { error: String(e.message ?? e) };
  }
  return { value, js: analyseProfile(profile, mapFrame, 12), phases };
}

/** Loads the image folder; waits for the match report in the folder summary. */
async function loadFolder(page, cdp, dir, expectedFiles, exclude) {
  const previous = await page.evaluate(() => {
    globalThis.__folderChange = null;
    document.addEventListener('change', (e) => {
      if (e.target?.dataset?.testid === 'folder-input') globalThis.__folderChange = performance.now();
    }, { capture: true, once: true });
    return document.querySelector('[data-testid="folder-summary"]')?.textContent ?? null;
  });
  await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
  await sleep(500);
  const before = chromiumMemory(exclude, { byType: true });
  const t0 = performance.now();
  await page.locator('[data-testid="folder-input"]').setInputFiles(dir, { timeout: LOAD_TIMEOUT_MS });
  const tSet = performance.now();
  const r = await (
    await page.waitForFunction(
      (previous) => {
        const s = document.querySelector('[data-testid="folder-summary"]')?.textContent ?? '';
        const m = globalThis.__folderChange != null && s !== previous && s.match(/Train: ([\d,]+) of ([\d,]+) found/);
        if (m) return { summary: s, matched: Number(m[1].replace(/,/g, '')), total: Number(m[2].replace(/,/g, '')), at: performance.now(), change: globalThis.__folderChange };
        const alert = [...document.querySelectorAll('[role="alert"]')].map((a) => a.textContent).join(' | ');
        return /folder|train_images/i.test(alert) ? { alert: alert.slice(0, 600) } : false;
      },
      previous,
      { timeout: LOAD_TIMEOUT_MS, polling: 100 },
    )
  ).jsonValue();
  const harnessMs = performance.now() - t0;
  await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
  await sleep(500);
  const after = chromiumMemory(exclude, { byType: true });
  const files = await page.evaluate(() => {
    const s = document.querySelector('[data-testid="folder-summary"]')?.textContent ?? '';
    return s.match(/: ([\d,]+) files/)?.[1]?.replace(/,/g, '') ?? null;
  });
  return {
    ok: r.matched != null,
    ...r,
    files: files == null ? null : Number(files),
    expectedFiles,
    harnessMs,
    setInputFilesMs: tSet - t0,
    inPageMs: r.change != null ? r.at - r.change : null,
    rssBefore: before.rss,
    rssAfter: after.rss,
    rssDeltaByType: Object.fromEntries(Object.keys({ ...before.byType, ...after.byType }).map((t) => [t, (after.byType[t] ?? 0) - (before.byType[t] ?? 0)])),
    heapAfter: await jsHeap(cdp).catch(() => null),
  };
}

async function filterRound(page, target, few, { waitThumbs }) {
  const out = {};
  const measure = (tgt, cond, thumbs = false) =>
    page.evaluate(pageMeasureClick, { target: tgt, cond, timeoutMs: 10_000, waitThumbs: thumbs });
  // Class: type the name, wait for the hit, click it.
  await page.locator('[data-testid="class-search"]').fill(target.name);
  await page.locator('[data-testid="search-result"][data-kind="class"]').filter({ hasText: target.name }).first().waitFor({ timeout: 10_000 });
  await sleep(300);
  out.classClick = await measure(
    { selector: '[data-testid="search-result"][data-kind="class"]', text: target.name },
    { kind: 'class', genus: target.genus, species: target.species },
    waitThumbs,
  );
  await sleep(400);
  out.classRemove = await measure({ selector: '[data-testid="chip"] button' }, { kind: 'all', classes: few.allClasses });
  await sleep(400);
  out.bandClick = await measure({ selector: '[data-testid="band-filter-few"]' }, { kind: 'band', classes: few.count, fewCategories: few.categories });
  await sleep(400);
  out.bandRemove = await measure({ selector: '[data-testid="chip"] button' }, { kind: 'all', classes: few.allClasses });
  await sleep(400);
  return out;
}

async function measureMemory(page, cdp, exclude, gc) {
  if (gc) {
    await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
    await sleep(300);
  }
  const m = chromiumMemory(exclude, { byType: true });
  return { rss: m.rss, byType: m.byType, heap: await jsHeap(cdp).catch(() => null), ua: await uaMemory(page) };
}

async function scrollPhase(page, cdp, exclude, rows) {
  await page.locator('[data-testid="grid-mode"]').selectOption('rows');
  await page.locator('[data-testid="class-row"]').first().waitFor({ timeout: 30_000 });
  await page.evaluate(() => document.querySelector('[data-testid="sample-grid"]').scrollIntoView({ block: 'center' }));
  await sleep(1500); // the first rows' thumbnails
  const start = await measureMemory(page, cdp, exclude, true);
  const domStart = await cdp.send('Memory.getDOMCounters').catch(() => null);
  const startUrls = await page.evaluate(() => globalThis.__objectUrls());
  const samples = [];
  let sampling = true;
  const t0 = performance.now();
  const sampler = (async () => {
    while (sampling) {
      const started = Date.now();
      const { rss, byType } = chromiumMemory(exclude, { byType: true });
      const heap = await Promise.race([jsHeap(cdp).catch(() => null), sleep(2000).then(() => null)]);
      samples.push({ t: (performance.now() - t0) / 1000, rss, heap, byType });
      await sleep(Math.max(0, MEM_SAMPLE_MS - (Date.now() - started)));
    }
  })();
  const scroll = await page.evaluate(pageScroll, { rows, stepRows: SCROLL_STEP_ROWS, intervalMs: SCROLL_INTERVAL_MS, rowHeight: ROW_HEIGHT });
  const downEnd = { t: (performance.now() - t0) / 1000, ...chromiumMemory(exclude, { byType: true }), heap: await jsHeap(cdp).catch(() => null) };
  const readyEnd = await page.evaluate(() => document.querySelectorAll('[data-testid="thumb"][data-state="ready"]').length);
  // Memory after a forced GC at the end of the pass down: the pass back is judged between two GCs,
  // so that garbage not yet collected (sampled RSS swings by tens of MiB) is not read as a leak.
  const downGc = SCROLL_BACK ? await measureMemory(page, cdp, exclude, true) : null;
  // The same rows again, back up: memory that keeps growing on a second pass over the same work is a leak;
  // a climb that stops is a cache or heap filling up.
  const back = SCROLL_BACK ? await page.evaluate(pageScroll, { rows, up: true, stepRows: SCROLL_STEP_ROWS, intervalMs: SCROLL_INTERVAL_MS, rowHeight: ROW_HEIGHT }) : null;
  sampling = false;
  await sampler;
  const endMem = chromiumMemory(exclude, { byType: true });
  const endRaw = { rss: endMem.rss, byType: endMem.byType, heap: await jsHeap(cdp).catch(() => null) };
  const peakByType = {};
  for (const smp of [...samples, endRaw]) for (const [t, v] of Object.entries(smp.byType ?? {})) peakByType[t] = Math.max(peakByType[t] ?? 0, v);
  const endGc = await measureMemory(page, cdp, exclude, true);
  const domEnd = await cdp.send('Memory.getDOMCounters').catch(() => null);
  // Garbage in the workers (thumbnail canvases and bitmaps whose JS wrappers wait for the worker's GC)?
  const workers = page.workers();
  let workerGcs = 0;
  for (const w of workers) workerGcs += (await w.evaluate(() => (typeof globalThis.gc === 'function' ? (globalThis.gc(), 1) : 0)).catch(() => 0));
  await sleep(1000);
  const afterWorkerGc = { ...(await measureMemory(page, cdp, exclude, true)), workers: workers.length, collected: workerGcs };
  // Caches or a leak? Chromium's critical memory-pressure signal makes the renderer drop its caches
  // (decoded images, discardable memory, Blink's resource cache); what stays after it is held.
  await cdp.send('Memory.simulatePressureNotification', { level: 'critical' }).catch(() => {});
  await sleep(2000);
  const afterPurge = await measureMemory(page, cdp, exclude, true);
  const peakRss = Math.max(start.rss, ...samples.map((s) => s.rss), endRaw.rss);
  const peakHeap = Math.max(start.heap ?? 0, ...samples.map((s) => s.heap ?? 0), endRaw.heap ?? 0);
  const perRows = (xs, ms, rowsDone) => {
    const sl = slope(xs.map((s) => s.t), xs.map((s) => s.rss / 1048576)); // MiB/s
    return sl == null ? null : (sl * ms) / 1000 / (rowsDone / 1000);
  };
  const down = samples.filter((s) => s.t <= downEnd.t);
  const downHalf = down.filter((s) => s.t >= downEnd.t / 2);
  const upSamples = samples.filter((s) => s.t > downEnd.t);
  return {
    rows,
    stepRows: SCROLL_STEP_ROWS,
    intervalMs: SCROLL_INTERVAL_MS,
    start: { rss: start.rss, byType: start.byType, heap: start.heap, ua: start.ua, objectUrls: startUrls },
    peak: { rss: peakRss, heap: peakHeap, byType: peakByType },
    downEnd: { rss: downEnd.rss, byType: downEnd.byType, heap: downEnd.heap, t: downEnd.t },
    endRaw,
    endGc,
    downGc,
    afterWorkerGc,
    afterPurge,
    dom: { start: domStart, end: domEnd },
    downSecondHalfRssSlopeMiBPer1000Rows: perRows(downHalf, scroll.scrolledMs, scroll.rowsScrolled),
    backRssSlopeMiBPer1000Rows: back && !back.error ? perRows(upSamples, back.scrolledMs, back.rowsScrolled) : null,
    backPeakRss: upSamples.length ? Math.max(...upSamples.map((s) => s.rss)) : null,
    readyEnd,
    samples: samples.map((s) => ({
      t: round(s.t, 2),
      rssMiB: mib(s.rss),
      heapMiB: mib(s.heap),
      byTypeMiB: Object.fromEntries(Object.entries(s.byType).map(([k, v]) => [k, mib(v)])),
    })),
    page: scroll,
    back: back ? (({ trace, ...rest }) => rest)(back) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function machine() {
  return {
    nproc: sh('nproc', []),
    cpu: (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? 'unknown',
    free: sh('free', ['-g']),
    chromium: sh(chromiumPath ?? 'chromium', ['--version']).split('\n').filter((l) => /chrom/i.test(l)).pop() ?? '',
    node: process.version,
    os: sh('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']),
    kernel: os.release(),
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((x) => round(x, 2)),
    commit: sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD']),
    dirtyTree: sh('git', ['-C', root, 'status', '--porcelain', '--', 'src', 'index.html', 'vite.config.ts', 'package.json']).length > 0,
  };
}

function summarize(r) {
  const okLoads = r.chartLoads.filter((l) => l.ok);
  const charts = {};
  for (const id of CHART_IDS) {
    const xs = okLoads.map((l) => l.chartMs[id]);
    // Since the previous chart's mark (in time order) in the same load: each chart's own share when
    // they are drawn one per task.
    const gaps = okLoads.map((l) => {
      const mine = l.chartMs[id];
      if (mine == null) return null;
      const before = Object.values(l.chartMs).filter((x) => x != null && x < mine);
      return mine - (before.length ? Math.max(...before) : 0);
    });
    charts[id] = { medianMs: median(xs), gapMs: median(gaps), runsMs: xs.map((x) => (x == null ? null : Math.round(x))), max: Math.max(...xs.filter((x) => x != null)) };
  }
  const chartMedians = CHART_IDS.map((id) => charts[id].medianMs);
  const chartsMet = okLoads.length > 0 && chartMedians.every((x) => x != null && x < GOALS.chartMs);
  const f = {};
  for (const k of ['classClick', 'classRemove', 'bandClick', 'bandRemove']) {
    const rs = r.filters.map((x) => x[k]).filter(Boolean);
    f[k] = {
      frameMs: median(rs.map((x) => x.frame)),
      domMs: median(rs.map((x) => x.dom)),
      runsFrameMs: rs.map((x) => (x.frame == null ? null : Math.round(x.frame))),
      errors: rs.filter((x) => x.error).map((x) => x.error),
      longestTaskMs: Math.max(0, ...rs.flatMap((x) => x.longTasks ?? [])),
    };
    if (k === 'classClick') f[k].thumbsMs = median(rs.map((x) => x.thumbs));
  }
  const filtersMet = r.filters.length > 0 && Object.values(f).every((x) => x.frameMs != null && x.frameMs < GOALS.filterMs && !x.errors.length);
  const s = r.scroll;
  let scroll = null;
  if (s && !s.page?.error) {
    const startRss = mib(s.start.rss);
    const endRss = mib(s.endRaw.rss);
    const endGcRss = mib(s.endGc.rss);
    const heapGrowth = s.endGc.heap != null && s.start.heap != null ? mib(s.endGc.heap - s.start.heap) : null;
    scroll = {
      startRssMiB: startRss,
      peakRssMiB: mib(s.peak.rss),
      endRssMiB: endRss,
      endGcRssMiB: endGcRss,
      rssGrowthMiB: round(endRss - startRss, 1),
      startHeapMiB: mib(s.start.heap),
      peakHeapMiB: mib(s.peak.heap),
      endHeapMiB: mib(s.endRaw.heap),
      endGcHeapMiB: mib(s.endGc.heap),
      heapGrowthAfterGcMiB: heapGrowth,
      startUaMiB: mib(s.start.ua),
      endUaMiB: mib(s.endGc.ua),
      downEndRssMiB: mib(s.downEnd.rss),
      downEndHeapMiB: mib(s.downEnd.heap),
      downSecondHalfSlope: round(s.downSecondHalfRssSlopeMiBPer1000Rows, 1),
      backSlope: round(s.backRssSlopeMiBPer1000Rows, 1),
      backGrowthMiB: s.back && !s.back.error ? round(mib(s.endRaw.rss) - mib(s.downEnd.rss), 1) : null,
      // The same pass back, between a forced GC after the pass down and one after the pass back.
      backGrowthAfterGcMiB: s.back && !s.back.error && s.downGc ? round(mib(s.endGc.rss) - mib(s.downGc.rss), 1) : null,
      backPeakOverDownEndMiB: s.backPeakRss != null ? round(mib(s.backPeakRss) - mib(s.downEnd.rss), 1) : null,
      backSeconds: s.back && !s.back.error ? round(s.back.scrolledMs / 1000, 1) : null,
      backRows: s.back && !s.back.error ? Math.round(s.back.rowsScrolled) : null,
      workerGcRssMiB: mib(s.afterWorkerGc?.rss),
      workerGcRendererMiB: mib(s.afterWorkerGc?.byType?.renderer),
      workerGcCount: s.afterWorkerGc?.collected ?? null,
      workersAlive: s.afterWorkerGc?.workers ?? null,
      purgeRssMiB: mib(s.afterPurge?.rss),
      purgeRendererMiB: mib(s.afterPurge?.byType?.renderer),
      dom: s.dom,
      renderer: {
        start: mib(s.start.byType?.renderer),
        peak: mib(s.peak.byType?.renderer),
        downEnd: mib(s.downEnd.byType?.renderer),
        end: mib(s.endRaw.byType?.renderer),
        endGc: mib(s.endGc.byType?.renderer),
      },
      readyEnd: s.readyEnd,
      rowsScrolled: Math.round(s.page.rowsScrolled),
      rowsSeen: s.page.rowsSeen,
      seconds: round(s.page.scrolledMs / 1000, 1),
      objectUrlsPeak: s.page.objectUrls?.peak ?? null,
      objectUrlsEnd: s.page.objectUrls?.live ?? null,
      objectUrlsCreated: s.page.objectUrls?.created ?? null,
      bitmapsPeak: s.page.bitmaps?.peak ?? null,
      bitmapsEnd: s.page.bitmaps?.live ?? null,
      bitmapsReceived: s.page.bitmaps?.received ?? null,
      slowFrames: s.page.slowFrames,
      frames: s.page.frames,
      longestFrameMs: s.page.longestFrameMs,
      medianFrameMs: round(s.page.medianFrameMs, 1),
      longTasks: s.page.longTasks,
      longestTaskMs: s.page.longestTaskMs,
    };
    scroll.rssGrowthAfterGcMiB = round(endGcRss - startRss, 1);
    scroll.rssClimbMiB = round(mib(s.peak.rss) - startRss, 1);
    scroll.climbByType = Object.fromEntries(
      Object.entries(s.peak.byType ?? {})
        .filter(([t]) => !IGNORED_TYPES.has(t))
        .map(([t, v]) => [t, mib(v - (s.start.byType?.[t] ?? 0))])
        .filter(([, v]) => Math.abs(v) >= 5),
    );
    // Flat (no leak): after a GC the JS heap is within 20 MiB of the start, and scrolling the same
    // rows back up (the same work again) adds < 50 MiB RSS; without the pass back, the second half
    // of the pass down must gain < 50 MiB per 1,000 rows.
    // The pass back is judged between forced GCs where measured (RSS sampled without a GC carries
    // uncollected garbage: the same code read +33 to +89 MiB over four runs).
    const backGrowth = scroll.backGrowthAfterGcMiB ?? scroll.backGrowthMiB;
    scroll.flat =
      (heapGrowth == null || heapGrowth < 20) &&
      (backGrowth != null ? backGrowth < 50 : scroll.downSecondHalfSlope == null || scroll.downSecondHalfSlope < 50);
    // The cache creates a thumbnail's URL, then evicts the oldest: 601 for an instant is expected.
    scroll.urlsBounded = scroll.objectUrlsEnd == null ? null : scroll.objectUrlsEnd <= 600 && scroll.objectUrlsPeak <= 601;
    // Thumbnails made during the pass down: object URLs (the blob design) or bitmaps (the ImageBitmap design).
    scroll.thumbnailsMade = (scroll.objectUrlsCreated ?? 0) + (scroll.bitmapsReceived ?? 0);
  }
  const main = r.mainLoad;
  return {
    charts,
    chartsMet,
    filters: f,
    filtersMet,
    scroll,
    load: main?.ok
      ? {
          inPageS: round(main.loadMs / 1000, 2),
          harnessS: round(main.harnessMs / 1000, 2),
          chartLoadInPageS: median(okLoads.map((l) => l.loadMs / 1000)),
          baseRssMiB: mib(main.memory.baseRss),
          peakRssMiB: mib(main.memory.peakRss),
          afterRssMiB: mib(main.memory.afterRss),
          peakHeapMiB: mib(main.memory.peakHeap),
          afterChartsHeapMiB: mib(r.afterChartsHeap),
          afterChartsUaMiB: mib(r.afterChartsUa),
        }
      : null,
    folder: r.folder
      ? {
          ok: r.folder.ok,
          files: r.folder.files,
          matched: r.folder.matched,
          harnessS: round(r.folder.harnessMs / 1000, 2),
          inPageS: r.folder.inPageMs == null ? null : round(r.folder.inPageMs / 1000, 2),
          setInputFilesS: round(r.folder.setInputFilesMs / 1000, 2),
          rssDeltaMiB: mib(r.folder.rssAfter - r.folder.rssBefore),
          workaround: r.folder.workaround ?? null,
          asIs: r.folderAsIs ? { files: r.folderAsIs.files, matched: r.folderAsIs.matched, inPageS: round(r.folderAsIs.inPageMs / 1000, 2) } : null,
        }
      : null,
  };
}

const met = (b) => (b === true ? '**met**' : b === false ? '**missed**' : 'n/a');

function markdownTable(s, r) {
  const lines = [];
  lines.push(`| chart (\`data-testid\`) | first drawn after the overview (median of ${r.chartLoads.filter((l) => l.ok).length} page loads) | per load | since the previous chart's mark (median) | goal < 1 s |`);
  lines.push('|---|---:|---|---:|---|');
  for (const id of [...CHART_IDS].sort((a, b) => (s.charts[a].medianMs ?? Infinity) - (s.charts[b].medianMs ?? Infinity))) {
    const c = s.charts[id];
    lines.push(`| \`${id}\` | ${fmtMs(c.medianMs)} | ${c.runsMs.map((x) => (x == null ? 'n/a' : `${x}`)).join(', ')} ms | ${fmtMs(c.gapMs)} | ${c.medianMs == null ? 'n/a' : c.medianMs < GOALS.chartMs ? 'met' : 'missed'} |`);
  }
  lines.push('');
  lines.push(`| filter action (${r.filters.length} repeats) | click → next frame with the grid updated (median) | click → DOM updated (median) | per repeat (frame) | longest main-thread task | goal < 200 ms |`);
  lines.push('|---|---:|---:|---|---:|---|');
  const names = {
    classClick: 'class search hit clicked (grid shows only that species)',
    classRemove: 'class chip removed ("Remove filter"; all 15,501 classes again)',
    bandClick: 'band chip `few` clicked (few-shot classes only)',
    bandRemove: 'band chip removed',
  };
  for (const [k, label] of Object.entries(names)) {
    const f = s.filters[k];
    lines.push(
      `| ${label} | ${fmtMs(f.frameMs)} | ${fmtMs(f.domMs)} | ${f.runsFrameMs.map((x) => (x == null ? 'n/a' : x)).join(', ')} ms | ${f.longestTaskMs ? `${f.longestTaskMs} ms` : 'none ≥ 50 ms'} | ${f.errors.length ? `failed (${f.errors[0]})` : f.frameMs < GOALS.filterMs ? 'met' : 'missed'} |`,
    );
  }
  if (s.filters.classClick.thumbsMs != null) lines.push(`| (class hit clicked → every thumbnail in the grid decoded and shown) | ${fmtMs(s.filters.classClick.thumbsMs)} | | | | (no goal) |`);
  lines.push('');
  if (s.scroll) {
    const c = s.scroll;
    const back = c.backGrowthMiB != null;
    lines.push(`| scrolling ${n0(c.rowsScrolled)} class rows down (${c.seconds} s)${back ? ` and ${n0(c.backRows)} back up (${c.backSeconds} s)` : ''} | start | peak | after the pass down |${back ? ' after the pass back up |' : ''} then after a forced GC | after GC − start |`);
    lines.push(`|---|---:|---:|---:|${back ? '---:|' : ''}---:|---:|`);
    const row = (label, a, pk, d, e, g) => lines.push(`| ${label} | ${fmtMiB(a)} | ${fmtMiB(pk)} | ${fmtMiB(d)} |${back ? ` ${fmtMiB(e)} |` : ''} ${fmtMiB(g)} | ${a != null && g != null ? fmtSigned(g - a) : 'n/a'} |`);
    row(`RSS, all Chromium processes${r.ignoredProcessTypes?.length ? ` (but ${r.ignoredProcessTypes.join(', ')})` : ''}`, c.startRssMiB, c.peakRssMiB, c.downEndRssMiB, c.endRssMiB, c.endGcRssMiB);
    row('… of which the renderer', c.renderer.start, c.renderer.peak, c.renderer.downEnd, c.renderer.end, c.renderer.endGc);
    row('page JS heap (CDP JSHeapUsedSize, main thread)', c.startHeapMiB, c.peakHeapMiB, c.downEndHeapMiB, c.endHeapMiB, c.endGcHeapMiB);
    lines.push(`| page + workers (measureUserAgentSpecificMemory) | ${fmtMiB(c.startUaMiB)} | | |${back ? ' |' : ''} ${fmtMiB(c.endUaMiB)} | ${c.startUaMiB != null && c.endUaMiB != null ? fmtSigned(c.endUaMiB - c.startUaMiB) : 'n/a'} |`);
    lines.push('');
    lines.push(`RSS climbed ${fmtSigned(c.rssClimbMiB)} to its peak (${Object.entries(c.climbByType).map(([t, v]) => `${t} ${fmtSigned(v)}`).join(', ') || 'no process over 5 MiB'}); after a forced GC it is ${fmtSigned(c.rssGrowthAfterGcMiB)} from the start. ` +
      `Slope of RSS over the second half of the pass down: ${c.downSecondHalfSlope ?? 'n/a'} MiB per 1,000 rows` +
      (back ? `; over the pass back up: ${c.backSlope ?? 'n/a'} MiB per 1,000 rows, and it ended ${fmtSigned(c.backGrowthMiB)} from where the pass down ended (peak ${fmtSigned(c.backPeakOverDownEndMiB)})` : '') +
      `. Flat (${back ? `the pass back over the same rows adds < 50 MiB between forced GCs: ${c.backGrowthAfterGcMiB != null ? fmtSigned(c.backGrowthAfterGcMiB) : 'n/a'}` : 'second-half slope < 50 MiB per 1,000 rows'}, JS heap after GC within 20 MiB of the start): ${c.flat ? '**yes**' : '**no**'}. ` +
      (c.workerGcRssMiB != null ? `After a GC in each of the page's ${c.workersAlive} workers as well (\`gc()\`, \`--js-flags=--expose-gc\`; ${c.workerGcCount} collected): RSS ${fmtMiB(c.workerGcRssMiB)} (${fmtSigned(c.workerGcRssMiB - c.startRssMiB)} from the start; renderer ${fmtSigned(c.workerGcRendererMiB - c.renderer.start)}). ` : '') +
      (c.purgeRssMiB != null ? `Then after a simulated critical memory-pressure notification (CDP \`Memory.simulatePressureNotification\`) and another GC: RSS ${fmtMiB(c.purgeRssMiB)} (${fmtSigned(c.purgeRssMiB - c.startRssMiB)} from the start; renderer ${fmtSigned(c.purgeRendererMiB - c.renderer.start)}). ` : '') +
      (c.dom?.start && c.dom?.end ? `DOM counters (CDP \`Memory.getDOMCounters\`, after GC) start → end: nodes ${n0(c.dom.start.nodes)} → ${n0(c.dom.end.nodes)}, documents ${c.dom.start.documents} → ${c.dom.end.documents}, event listeners ${n0(c.dom.start.jsEventListeners)} → ${n0(c.dom.end.jsEventListeners)}. ` : '') +
      `Thumbnails \`ready\` at the end (the rows in view plus one above and one below are in the DOM: up to 30 tiles; 2 s after the last step): ${c.readyEnd}; live object URLs: peak ${c.objectUrlsPeak ?? 'n/a'}, end ${c.objectUrlsEnd ?? 'n/a'} (bound 600: ${c.urlsBounded == null ? 'n/a' : c.urlsBounded ? 'kept' : 'exceeded'}), ${n0(c.objectUrlsCreated)} created` +
      (c.bitmapsReceived != null ? `; live ImageBitmaps received from the workers and not closed: peak ${n0(c.bitmapsPeak)}, end ${n0(c.bitmapsEnd)}, ${n0(c.bitmapsReceived)} received` : '') +
      '. ' +
      `Frames: ${c.frames}, ${c.slowFrames} over 50 ms (longest ${c.longestFrameMs} ms, median ${c.medianFrameMs} ms); main-thread long tasks: ${c.longTasks} (longest ${c.longestTaskMs} ms).`);
    lines.push('');
  }
  if (s.load) {
    lines.push(`| page load (metadata only, for context) | time | RSS, all Chromium processes | page JS heap |`);
    lines.push('|---|---:|---:|---:|');
    lines.push(`| train_metadata.json picked → readouts (in the page, \`load:readouts\`; memory sampled every ${LOAD_SAMPLE_MS} ms) | ${fmtS(s.load.inPageS)} (unsampled loads: ${fmtS(s.load.chartLoadInPageS)}) | ${fmtMiB(s.load.baseRssMiB)} → peak ${fmtMiB(s.load.peakRssMiB)}, ${fmtMiB(s.load.afterRssMiB)} after the charts | peak ${fmtMiB(s.load.peakHeapMiB)}; ${fmtMiB(s.load.afterChartsHeapMiB)} after the charts (page + workers ${fmtMiB(s.load.afterChartsUaMiB)}) |`);
    if (s.folder)
    if (s.folder?.asIs)
      lines.push(`| image folder picked, app as is: only ${n0(s.folder.asIs.files)} files indexed (bug, see below), ${n0(s.folder.asIs.matched)} train images matched | ${fmtS(s.folder.asIs.inPageS)} in the page | | |`);
    if (s.folder)
      lines.push(`| image folder picked${s.folder.workaround ? ' again with the FileList-copy workaround' : ''} (${n0(s.folder.files)} files indexed) → ${n0(s.folder.matched)} train images matched | ${fmtS(s.folder.inPageS)} in the page (${fmtS(s.folder.harnessS)} seen by the harness, of which Chromium listing the folder in \`setInputFiles\` ${fmtS(s.folder.setInputFilesS)}) | ${fmtSigned(s.folder.rssDeltaMiB)} | |`);
  }
  return lines.join('\n');
}

function benchmarksSection(s, r) {
  const m = r.machine;
  const out = [];
  out.push('<!-- views:start -->');
  out.push('## Views: charts, filter clicks and grid scrolling at Herbarium 2022 scale');
  out.push('');
  out.push('Written by `bench/views/run.mjs`; do not edit by hand between the views markers.');
  out.push('');
  out.push('```sh');
  out.push('npm run bench:views         # node bench/views/run.mjs');
  out.push('```');
  out.push('');
  const sc = s.scroll;
  out.push('**Goals:** ' +
    `every chart drawn < 1 s after the overview is ready: ${met(s.chartsMet)}` +
    (s.chartsMet === false
      ? ` (${CHART_IDS.filter((id) => !(s.charts[id].medianMs < GOALS.chartMs)).length} of 7 over; slowest \`${CHART_IDS.reduce((a, b) => ((s.charts[b].medianMs ?? Infinity) > (s.charts[a].medianMs ?? Infinity) ? b : a))}\` ${fmtMs(Math.max(...CHART_IDS.map((id) => s.charts[id].medianMs ?? 0)))}, fastest ${fmtMs(Math.min(...CHART_IDS.map((id) => s.charts[id].medianMs ?? Infinity)))})`
      : ` (slowest ${fmtMs(Math.max(...CHART_IDS.map((id) => s.charts[id].medianMs ?? 0)))})`) +
    `; filter click → grid updated < 200 ms: ${met(s.filtersMet)}` +
    ` (slowest median ${fmtMs(Math.max(...Object.values(s.filters).map((f) => f.frameMs ?? 0)))})` +
    `; memory flat while scrolling: ${sc ? met(sc.flat) : 'n/a'}` +
    (sc
      ? ` (${n0(sc.rowsScrolled)} rows down${sc.backGrowthMiB != null ? ` and back` : ''}: RSS peak ${fmtSigned(sc.rssClimbMiB)} over the start, ` +
        (sc.backGrowthMiB != null
          ? `the pass back over the same rows ${sc.backGrowthAfterGcMiB != null ? `${fmtSigned(sc.backGrowthAfterGcMiB)} between forced GCs (${fmtSigned(sc.backGrowthMiB)} sampled without one), ` : `${fmtSigned(sc.backGrowthMiB)}, `}`
          : `second-half slope ${sc.downSecondHalfSlope} MiB per 1,000 rows, `) +
        `after a forced GC ${fmtSigned(sc.rssGrowthAfterGcMiB)}; JS heap after GC ${fmtSigned(sc.heapGrowthAfterGcMiB)})`
      : '') + '.');
  out.push('');
  out.push(markdownTable(s, r));
  out.push('');
  if (r.analysis.length) {
    out.push('**Where the time goes / what looked wrong.**');
    out.push('');
    for (const a of r.analysis) out.push(`- ${a}`);
    out.push('');
  }
  out.push('### Data');
  out.push('');
  const img = r.images;
  out.push(`The synthetic Herbarium 2022 \`train_metadata.json\` of the ingest section (839,772 images, 15,501 classes, 2,564 genera, 272 families, 60 institutions; \`bench/ingest/gen-herbarium.mjs\`, cached). ` +
    (img
      ? `Images: \`bench/views/gen-images.mjs\` writes \`bench/.data/herbarium2022/train_images/<file_name>\` for every train image of the first ${n0(img.classes)} classes in the app's class order (ascending category id, the order of the one-row-per-class grid): ${n0(img.files)} paths in ${n0(img.directories)} folders, each a hard link to one of ${img.variants} generated ${img.width}×${img.height} JPEGs (jpeg-js; ${n0(img.variantBytes)} bytes in all; several files because ext4 allows 65,000 links per inode). Made in ${img.seconds} s${img.cached ? ' (cached this run)' : ''}; the other ${n0(839772 - img.files)} images are not on disk, so grids outside those classes show "not in the dropped folder".`
      : 'No image folder this run (`--no-folder`): the grids show placeholders.'));
  out.push('');
  out.push('### Method');
  out.push('');
  out.push(`- \`vite build\` when dist/ is older than the sources, \`vite preview\` on port ${r.port}, Debian Chromium headless via Playwright (\`scripts/chromium.mjs\` flags + \`--disable-gpu --enable-blink-features=ForceEagerMeasureMemory\`), viewport 1280×900. An init script counts live object URLs (wrapping \`URL.createObjectURL\`/\`revokeObjectURL\`) and live ImageBitmaps received from workers (a \`message\` listener on every \`Worker\`, minus \`ImageBitmap.prototype.close\` calls), and records main-thread long tasks.`);
  out.push(`- **Charts:** ${CHART_REPEATS} page loads in fresh contexts, no sampling: \`setInputFiles\` on \`[data-testid="metadata-input"]\`, wait for \`stat-images\` = 839772, then for the app's \`performance.mark('chart-drawn:<id>')\` of all 7 charts. Figure per chart: mark.startTime − (\`load:readouts\`.startTime + duration), i.e. from the first frame with the readouts; it includes fetching and compiling the lazily loaded plotly chunk and computing the figures. Medians over the loads.` +
    (r.profile ? ` One more load with the CDP sampling profiler (200 µs), started as soon as the readouts showed and stopped when the last chart was drawn, gives the self-time table below.` : ''));
  out.push(`- **Page load (context):** one more load, RSS of every Chromium process (/proc VmRSS, summed, preview server excluded; Chromium's own on-device model service, which starts by itself at a random moment, left out) and CDP \`JSHeapUsedSize\` sampled every ${LOAD_SAMPLE_MS} ms; this page then goes on with the folder, the filters and the scroll.`);
  if (img) out.push(`- **Folder:** \`setInputFiles('bench/.data/herbarium2022/train_images')\` on \`[data-testid="folder-input"]\` (a webkitdirectory input: Chromium lists the folder itself); in-page time from the input's change event to the folder summary reporting the train match.`);
  out.push(`- **Filters:** the sample grid scrolled into view, layout "auto". Per repeat (${FILTER_REPEATS}, each with another species among the first ${n0(IMAGE_CLASSES)} classes): fill \`class-search\` with the species' full name, wait for its \`search-result\`, then inside one \`page.evaluate\`: t0 = \`performance.now()\` just before \`element.click()\`; a MutationObserver on the document sees the first DOM state where \`sample-grid\` holds \`sample\` tiles whose caption genus and species are the clicked one's (**DOM**), then requestAnimationFrame + setTimeout 0 (**frame**: the frame with the change has been produced, as the app's \`load:readouts\` does). No Playwright round trip is inside the figure. Then the chip's "Remove filter" button (condition: no chip, the grid's \`data-classes\` = 15501), \`band-filter-few\` (condition: a band chip, \`data-classes\` = the \`stat-few\` readout, every tile's image in a class with fewer than \`band-few-below\` images), and its removal. 400 ms pauses between actions. The goal is judged on the frame figure's median.`);
  out.push(`- **Scroll:** layout "one row per class" (\`grid-mode\` = rows), no filter: the grid is the scroll container of 15,501 rows of ${ROW_HEIGHT} px, three visible, virtualised; \`scrollTop\` += ${SCROLL_STEP_ROWS} rows (${SCROLL_STEP_ROWS * ROW_HEIGHT} px) every ${SCROLL_INTERVAL_MS} ms in the page until row ${n0(SCROLL_CLASSES)} is the last in view (every row passes through the viewport; the last rows in view are the last classes with image files), then 2 s for the last thumbnails; then${SCROLL_BACK ? '' : ' (not this run)'} the same way back up to row 0 (the same work again). Every 500 ms the harness reads RSS (as above, and per process type) and JSHeapUsedSize; "start" and "after a forced GC" follow \`HeapProfiler.collectGarbage\`. Slopes: least squares of RSS over time, per 1,000 rows. "Flat" (no leak) means: after a forced GC the JS heap is within 20 MiB of the start, and the pass back up over the same rows adds < 50 MiB RSS, measured between a forced GC after the pass down and one after the pass back (memory that still grows while the same work is repeated is a leak; a climb that stops is a cache or heap filling up; RSS sampled without a GC is reported too, but it carries garbage not yet collected); without the pass back, the second half of the pass down must gain < 50 MiB per 1,000 rows. The raw climb and the residue after a forced GC are reported beside it. Frames (requestAnimationFrame intervals) and long tasks are counted during the pass down.`);
  out.push('- 2-core VM shared with other work: absolute times drift between runs (see the ingest section); every timed action is repeated and medians are reported. Full record: `bench/.data/views-result.json`.');
  out.push('');
  if (r.profile?.top) {
    const p = r.profile;
    out.push(`### Main thread from readouts to the last chart (CPU profile, one load)`);
    out.push('');
    out.push(`Profiled ${n0(p.stoppedAt - p.startedAt)} ms (${n0(p.top.totalMs)} ms of samples; the profiler slows the page: the charts came ${fmtMs(Math.max(...Object.values(p.chartMs).filter((x) => x != null)))} after the readouts in this load). ` +
      `Frames ${p.top.mapped ? "mapped to the sources through the build's source maps" : 'minified (no source map reader)'}; a native function (layout, DOM) is shown with its nearest JS caller.`);
    out.push('');
    out.push('| time by plotly trace module on the stack | ms | | top self time | ms |');
    out.push('|---|---:|---|---|---:|');
    const esc = (x) => `\`${x.trim().replace(/\|/g, '\\|')}\``;
    for (let i = 0; i < Math.max(p.top.byTrace.length, p.top.entries.length); i++) {
      const a = p.top.byTrace[i];
      const b = p.top.entries[i];
      out.push(`| ${a ? esc(a.fn) : ''} | ${a ? a.ms : ''} | | ${b ? esc(b.fn) : ''} | ${b ? b.ms : ''} |`);
    }
    out.push('');
    if (p.top.segments?.length) {
      out.push('Per chart, the samples between the previous chart\'s mark (or the profiler\'s start, just after the readouts) and its own mark; "where" is the plotly trace module on the stack, else the module of the running function:');
      out.push('');
      const tsegs = p.trace?.segments ?? null;
      out.push(`| up to the mark of | sampled ms | where | top self time |${tsegs ? ' timeline events on the main thread (ms) |' : ''}`);
      out.push(`|---|---:|---|---|${tsegs ? '---|' : ''}`);
      for (const g of p.top.segments) {
        const t = tsegs?.find((x) => x.name === g.name);
        out.push(`| \`${g.name}\` | ${n0(g.sampledMs)} | ${g.what.map((w) => `${w.fn} ${n0(w.ms)}`).join(', ')} | ${g.self.map((w) => `\`${w.fn.trim().replace(/\|/g, '\\|')}\` ${n0(w.ms)}`).join(', ')} |${tsegs ? ` ${t ? t.top.map((x) => `${x.name} ${n0(x.ms)}`).join(', ') : ''} |` : ''}`);
      }
      out.push('');
    }
    if (p.top.byTrace.some((e) => e.fn === 'sunburst'))
      out.push('There is no sunburst chart on the page: plotly\'s treemap is drawn by the sunburst trace\'s helpers (`traces/sunburst/*`), so the `sunburst` row is the treemap\'s too.\n');
  }
  const diags = [
    ['one more filter round (class click, its removal, band click, its removal; 400 ms pauses)', r.filterDiag],
    [`scrolling rows 0–150 again (${SCROLL_STEP_ROWS} rows per ${SCROLL_INTERVAL_MS} ms; their thumbnails were evicted meanwhile)`, r.scrollDiag],
    [`control: scrolling rows 300–450 with the taxonomy treemap hidden (\`display: none\`)`, r.controlScrollDiag],
  ].filter(([, d]) => d && !d.error && d.phases && !d.phases.error);
  if (diags.length) {
    out.push('### Main thread during filter clicks and scrolling (one more pass, profiled and traced)');
    out.push('');
    out.push('Chromium timeline trace (`devtools.timeline`) of the renderer main thread, total per event name (events nest: `FunctionCall` contains the script it runs, `EventDispatch` the handlers), and the CPU profile\'s top self time (500 µs sampling; native calls shown with their JS caller).');
    out.push('');
    const ctl = controlSummary(r);
    if (ctl) {
      out.push('**Control: the same page with the taxonomy treemap hidden** (`display: none` on `chart-taxonomy`, set by the harness after the measured runs):');
      out.push('');
      out.push('| | as measured | treemap hidden |');
      out.push('|---|---:|---:|');
      for (const row of ctl) out.push(`| ${row[0]} | ${row[1]} | ${row[2]} |`);
      out.push('');
    }
    for (const [title, d] of diags) {
      out.push(`**${title}:** ${n0(d.phases.spanMs)} ms traced, main thread busy ${n0(d.phases.busyMs)} ms.`);
      out.push('');
      out.push('| trace event | ms | | JS self time | ms |');
      out.push('|---|---:|---|---|---:|');
      const esc = (x) => `\`${x.trim().replace(/\|/g, '\\|')}\``;
      for (let i = 0; i < Math.max(d.phases.phases.length, d.js.entries.length); i++) {
        const a = d.phases.phases[i];
        const b = d.js.entries[i];
        out.push(`| ${a ? esc(a.name) : ''} | ${a ? n0(a.ms) : ''} | | ${b ? esc(b.fn) : ''} | ${b ? n0(b.ms) : ''} |`);
      }
      out.push('');
    }
  }
  out.push('### Machine');
  out.push('');
  out.push(`- ${m.date.slice(0, 10)} (${m.date}), commit ${m.commit}${m.dirtyTree ? ' with uncommitted app changes' : ''}`);
  out.push(`- \`nproc\`: ${m.nproc} (${m.cpu}); ${m.os}, kernel ${m.kernel}`);
  out.push(`- \`chromium --version\`: ${m.chromium}`);
  out.push(`- node ${m.node}; whole run ${round(r.totalSeconds, 0)} s; load average (1, 5, 15 min) at the start ${m.loadAverage.join(', ')}, at the end ${r.loadAverageEnd?.join(', ') ?? 'n/a'} (2 cores: above 2 means other work was competing for them)`);
  out.push('- `free -g`:');
  out.push('');
  out.push('```');
  out.push(m.free);
  out.push('```');
  out.push('<!-- views:end -->');
  return out.join('\n');
}

function writeBenchmarksMd(section) {
  const start = '<!-- views:start -->';
  const end = '<!-- views:end -->';
  let text = fs.existsSync(benchmarksFile) ? fs.readFileSync(benchmarksFile, 'utf8') : '# Benchmarks\n';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a >= 0 && b > a) text = text.slice(0, a) + section + text.slice(b + end.length);
  else {
    const ingestEnd = '<!-- ingest:end -->';
    const i = text.indexOf(ingestEnd);
    if (i >= 0) text = text.slice(0, i + ingestEnd.length) + '\n\n' + section + text.slice(i + ingestEnd.length);
    else text = text.replace(/\s*$/, '\n\n') + section + '\n';
  }
  if (!text.endsWith('\n')) text += '\n';
  fs.writeFileSync(benchmarksFile, text);
}

/** Rows comparing the traced scroll and the filter clicks with and without the treemap. */
function controlSummary(r) {
  const a = r.scrollDiag;
  const b = r.controlScrollDiag;
  if (!a?.value || !b?.value || !r.controlFilters?.length) return null;
  const layerize = (d) => d.phases?.phases?.find((x) => x.name === 'Layerize')?.ms ?? 0;
  const rows = [];
  for (const [k, label] of [
    ['classClick', 'class hit clicked → frame (median)'],
    ['classRemove', 'class chip removed → frame'],
    ['bandClick', 'band chip clicked → frame'],
    ['bandRemove', 'band chip removed → frame'],
  ])
    rows.push([label, `${fmtMs(median(r.filters.map((x) => x[k]?.frame)))} (${r.filters.length} rounds)`, `${fmtMs(median(r.controlFilters.map((x) => x[k]?.frame)))} (${r.controlFilters.length} rounds)`]);
  const frames = (d) => `${d.value.slowFrames} of ${d.value.frames} frames over 50 ms, median ${round(d.value.medianFrameMs, 1)} ms`;
  rows.push(['scrolling 150 rows (traced): frames', frames(a), frames(b)]);
  rows.push(['scrolling 150 rows: main thread busy / `Layerize`', `${n0(a.phases.busyMs)} / ${n0(layerize(a))} ms of ${n0(a.phases.spanMs)} ms`, `${n0(b.phases.busyMs)} / ${n0(layerize(b))} ms of ${n0(b.phases.spanMs)} ms`]);
  return rows;
}

/** Plain-words reading of the figures: what is slow and where the time went. */
function analyse(s, r) {
  const notes = [];
  const loads = r.chartLoads.filter((l) => l.ok);
  if (loads.length) {
    const ordered = CHART_IDS.map((id) => [id, s.charts[id].medianMs]).sort((a, b) => (a[1] ?? 0) - (b[1] ?? 0));
    const spread = Math.max(...loads.map((l) => {
      const xs = Object.values(l.chartMs).filter((x) => x != null);
      return Math.max(...xs) - Math.min(...xs);
    }));
    if (spread < 50)
      notes.push(`All seven marks come within ${Math.max(1, Math.round(spread))} ms of each other in every load: the seven \`Plotly.react\` calls run back to back in one React commit (one task), and each chart's mark waits on its promise, so no chart shows before the slowest is done.`);
    else
      notes.push(`Charts are drawn one after another: first \`${ordered[0][0]}\` at ${fmtMs(ordered[0][1])}, last \`${ordered.at(-1)[0]}\` at ${fmtMs(ordered.at(-1)[1])} after the readouts.`);
    const lt = loads.map((l) => l.longTasksAfterReadouts);
    const longest = Math.max(0, ...lt.flat().map((e) => e.duration));
    const total = median(lt.map((x) => x.reduce((a, e) => a + e.duration, 0)));
    notes.push(`Main thread between the readouts and the last chart: median ${n0(total)} ms in long tasks (≥ 50 ms) per load, the longest ${n0(longest)} ms (a click in that window waits that long).`);
  }
  if (r.profile?.top) {
    const t = r.profile.top;
    const tr = t.byTrace.filter((e) => !/^\(/.test(e.fn)).slice(0, 4);
    const tm = t.byTrace.filter((e) => e.fn === 'treemap' || e.fn === 'sunburst').reduce((a, e) => a + e.ms, 0);
    notes.push(`CPU profile, readouts → last chart (${n0(t.totalMs)} ms sampled): the taxonomy treemap (plotly's treemap + the sunburst helpers it is drawn with) takes ${n0(tm)} ms (${Math.round((100 * tm) / t.totalMs)} %) for its ~${n0(15501 + 2564 + 272)} tiles; by trace module ${tr.map((e) => `${e.fn} ${n0(e.ms)} ms`).join(', ')}; ` +
      `top self time ${t.entries.slice(0, 3).map((e) => `\`${e.fn.trim()}\` ${n0(e.ms)} ms`).join(', ')}.`);
  }
  const tsegs = r.profile?.trace?.segments;
  if (tsegs) {
    for (let i = 0; i < tsegs.length; i++) {
      const commit = tsegs[i].top.find((x) => x.name === 'Commit');
      if (commit && commit.ms >= 150)
        notes.push(`Before \`${tsegs[i].name}\` is drawn, the main thread waits ${n0(commit.ms)} ms in \`Commit\` (handing a frame to the compositor) right after ${i ? `\`${tsegs[i - 1].name}\`` : 'the first chart'}${i && /rank-frequency|cumulative/.test(tsegs[i - 1].name) ? ' (a scattergl, i.e. WebGL, chart)' : ''} was drawn; the CPU profile shows that time as \`(program)\`. This run has no GPU (\`--disable-gpu\`: software GL; Chromium also logs "GPU stall due to ReadPixels"), so the wait is likely smaller on a machine with one — not measured here.`);
    }
  }
  for (const [k, f] of Object.entries(s.filters)) if (f.errors.length) notes.push(`Filter ${k}: ${f.errors.length} repeat(s) failed: ${f.errors[0]}.`);
  if (r.folder?.rssDeltaByType) {
    const d = Object.entries(r.folder.rssDeltaByType).filter(([t, v]) => !IGNORED_TYPES.has(t) && Math.abs(v) > 20 * 1048576).sort((a, b) => b[1] - a[1]);
    if (d.length) notes.push(`Picking the folder (${n0(r.folder.files)} files) raised RSS by ${fmtSigned(mib(r.folder.rssAfter - r.folder.rssBefore))}: ${d.map(([t, v]) => `${t} ${fmtSigned(mib(v))}`).join(', ')} (about ${n0((r.folder.rssAfter - r.folder.rssBefore) / r.folder.files)} bytes per file; Herbarium's 839,772 train images at that rate: ~${n0(mib(((r.folder.rssAfter - r.folder.rssBefore) / r.folder.files) * 839772))} MiB).`);
  }
  if (r.scroll?.start?.byType && r.scroll?.endGc?.byType) {
    const a = r.scroll.start.byType;
    const b = r.scroll.endGc.byType;
    const d = Object.keys({ ...a, ...b }).filter((t) => !IGNORED_TYPES.has(t)).map((t) => [t, (b[t] ?? 0) - (a[t] ?? 0)]).filter(([, v]) => Math.abs(v) > 5 * 1048576).sort((x, y) => y[1] - x[1]);
    if (d.length) notes.push(`RSS change over the scroll by process (start → end after GC): ${d.map(([t, v]) => `${t} ${fmtSigned(mib(v))}`).join(', ')}.`);
  }
  for (const [what, d] of [['filter round', r.filterDiag], ['scroll', r.scrollDiag]]) {
    if (!d || d.error || !d.phases?.phases) continue;
    const ph = d.phases.phases.filter((x) => !/^(FunctionCall|EventDispatch|TimerFire|v8\.|RunMicrotasks)/.test(x.name)).slice(0, 4);
    notes.push(`Main thread during the traced ${what}: busy ${n0(d.phases.busyMs)} of ${n0(d.phases.spanMs)} ms; ${ph.map((x) => `${x.name} ${n0(x.ms)} ms`).join(', ')}; JS: ${d.js.entries.filter((e) => !/^\((idle|program)\)/.test(e.fn)).slice(0, 3).map((e) => `\`${e.fn.trim()}\` ${n0(e.ms)} ms`).join(', ')}.`);
  }
  const ctl = controlSummary(r);
  if (ctl) notes.push(`Control with the taxonomy treemap hidden: ${ctl.map((row) => `${row[0].replace(/ \(.*\)$/, '')}: ${row[1]} → ${row[2]}`).join('; ')}.`);
  if (s.scroll && s.scroll.frames) {
    const share = s.scroll.slowFrames / s.scroll.frames;
    const lay = (d) => d?.phases?.phases?.find((x) => x.name === 'Layerize')?.ms ?? null;
    const a = lay(r.scrollDiag);
    const b = lay(r.controlScrollDiag);
    notes.push(
      `Scrolling the rows grid (pass down): ${s.scroll.slowFrames} of ${s.scroll.frames} frames over 50 ms (${Math.round(100 * share)} %; median frame ${s.scroll.medianFrameMs} ms, longest ${s.scroll.longestFrameMs} ms)` +
        (share > 0.1 ? ': janky.' : '.') +
        (a != null ? ` \`Layerize\` (compositing the page's paint chunks, on every scroll step) took ${n0(a)} ms of the traced 150 rows${b != null ? `, ${n0(b)} ms with the treemap hidden` : ''}.` : ''),
    );
  }
  if (s.scroll && s.scroll.flat === false && s.scroll.purgeRssMiB != null) {
    const c = s.scroll;
    const kept = c.purgeRssMiB - c.startRssMiB;
    notes.push(`Memory while scrolling is not flat: the renderer climbs ${fmtSigned(c.renderer.peak - c.renderer.start)} and keeps gaining on the pass back over the same rows (${fmtSigned(c.backGrowthMiB)}), while the JS heap returns to its start after a GC. ` +
      `A forced GC of the page leaves ${fmtSigned(c.rssGrowthAfterGcMiB)}` +
      (c.workerGcRssMiB != null ? `, a GC in the workers too ${fmtSigned(c.workerGcRssMiB - c.startRssMiB)}` : '') +
      `; a critical memory-pressure signal then leaves ${fmtSigned(kept)}` +
      (kept < 0.5 * c.rssGrowthAfterGcMiB
        ? ', so most of it is cache memory Chromium gives back when asked (decoded images / discardable memory), not a leak of the page.'
        : `, so it is held, not a cache Chromium drops. The JS heap, the DOM node count and the live object URLs are back where they started, so it is native memory in the renderer (decoded thumbnails, blob data or allocator retention — not pinned down here): a leak candidate of about ${n0((kept * 1024) / Math.max(1, c.thumbnailsMade))} KiB per thumbnail made (${n0(c.thumbnailsMade)} made).`));
  }
  if (r.folderAsIs && r.folder) {
    const d = r.folderAsIs.rssAfter - r.folderAsIs.rssBefore;
    notes.push(`Folder pick RSS, first (truncated) pick: ${fmtSigned(mib(d))}; second pick: ${fmtSigned(mib(r.folder.rssAfter - r.folder.rssBefore))} (both measured after a forced GC).`);
  }
  if (s.scroll) {
    const c = s.scroll;
    if (c.urlsBounded === false) notes.push(`Live object URLs reached ${c.objectUrlsPeak} (${c.objectUrlsEnd} at the end), above the cache bound of 600.`);
    else if (c.objectUrlsPeak === 601) notes.push('Live object URLs: 601 for an instant (the cache makes the new URL before it evicts the oldest), 600 at the end: the bound holds.');
    if (c.readyEnd === 0 && r.images) notes.push('No thumbnail was `ready` at the end of the scroll.');
  }
  if (r.pageErrors.length) notes.push(`Console errors/warnings in the page (${r.pageErrors.length}, first ones): ${[...new Set(r.pageErrors)].slice(0, 4).map((e) => `\`${e.slice(0, 200)}\``).join('; ')}.`);
  return [...notes, ...r.notes];
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const tStart = performance.now();
  const data = await ensureData(undefined, { log });
  const expected = data.train;
  const model = buildModel();
  let images = null;
  if (USE_FOLDER) {
    const { paths, ...rest } = await ensureImages(undefined, { classes: IMAGE_CLASSES, log, model });
    images = rest;
  }
  ensureAppBuild({ root, distDir, force: flag('--build'), log });
  const port = await freePort(WANT_PORT);
  const { chromium } = await import('@playwright/test');
  const { child: preview, url } = await startPreview({ root, port, distDir, log });
  const cleanup = () => stopPreview(preview);
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  process.on('SIGTERM', () => {
    cleanup();
    process.exit(143);
  });
  const exclude = new Set([preview.pid]);
  const result = { machine: machine(), port, images, chartLoads: [], filters: [], notes: [], pageErrors: [] };
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      // --expose-gc: the harness can collect garbage inside the workers too (CDP's collectGarbage
      // reaches the page's heap only); nothing in the app calls gc().
      args: [...chromiumArgs, '--disable-gpu', '--enable-blink-features=ForceEagerMeasureMemory', '--js-flags=--expose-gc'],
    });

    // a. Charts: several loads, timed without sampling.
    for (let rep = 1; rep <= CHART_REPEATS; rep++) {
      log(`chart load ${rep}/${CHART_REPEATS} ...`);
      const errors = [];
      const { context, page, cdp } = await newPage(browser, url, errors);
      try {
        const l = await loadMetadata(page, cdp, data.trainFile, expected, exclude);
        l.errors = errors;
        result.chartLoads.push(l);
        log(l.ok ? `  load ${fmtMs(l.loadMs)}; charts ${CHART_IDS.map((id) => `${id.replace('chart-', '')} ${fmtMs(l.chartMs[id])}`).join(', ')}${l.chartError ? ` (${l.chartError})` : ''}` : `  FAILED: ${l.error}`);
      } catch (e) {
        result.chartLoads.push({ ok: false, error: String(e.message ?? e).split('\n')[0], errors });
        log(`  FAILED: ${e.message}`);
      } finally {
        result.pageErrors.push(...errors);
        await context.close().catch(() => {});
      }
    }
    if (PROFILE) {
      log('chart load with the CPU profiler ...');
      const errors = [];
      const { context, page, cdp } = await newPage(browser, url, errors);
      try {
        const l = await loadMetadata(page, cdp, data.trainFile, expected, exclude, { profile: true, mapFrame: await sourceMapper(distDir), browser });
        result.profile = l.profiler ? { ...l.profiler, chartMs: l.chartMs } : null;
      } catch (e) {
        result.notes.push(`profiled load failed: ${String(e.message ?? e).split('\n')[0]}`);
      } finally {
        result.pageErrors.push(...errors);
        await context.close().catch(() => {});
      }
    }

    // d. + b. + c.: one page, memory sampled during its load, then folder, filters, scroll.
    log('main page: load with memory sampling ...');
    const errors = [];
    const { context, page, cdp } = await newPage(browser, url, errors);
    try {
      const main = await loadMetadata(page, cdp, data.trainFile, expected, exclude, { sampleMs: LOAD_SAMPLE_MS });
      result.mainLoad = main;
      if (!main.ok) throw new Error(`main load failed: ${main.error}`);
      log(`  load ${fmtMs(main.loadMs)}, RSS ${fmtMiB(mib(main.memory.baseRss))} → peak ${fmtMiB(mib(main.memory.peakRss))}`);
      await sleep(1000);
      result.afterChartsHeap = await jsHeap(cdp);
      result.afterChartsUa = await uaMemory(page);
      const readouts = await page.evaluate(() => {
        const out = {};
        for (const el of document.querySelectorAll('[data-testid^="stat-"]')) out[el.getAttribute('data-testid')] = el.getAttribute('data-value');
        out.fewBelow = document.querySelector('[data-testid="band-few-below"]')?.value ?? null;
        out.bandMode = document.querySelector('[data-testid="band-mode-quantile"]')?.checked ? 'quantile' : 'fixed';
        return out;
      });
      result.readouts = readouts;
      for (const [k, v] of Object.entries({ 'stat-classes': expected.classes, 'stat-genera': expected.genera, 'stat-families': expected.families, 'stat-institutions': expected.institutions }))
        if (String(readouts[k]) !== String(v)) result.notes.push(`readout ${k} = ${readouts[k]}, expected ${v}`);

      if (images) {
        log(`folder: ${images.files.toLocaleString('en-US')} files ...`);
        const dir = path.join(path.dirname(data.trainFile), 'train_images');
        let f = await loadFolder(page, cdp, dir, images.files, exclude);
        log(f.ok ? `  folder: ${f.files} files indexed, ${f.matched} of ${f.total} matched in ${fmtMs(f.inPageMs)} in the page (${fmtMs(f.harnessMs)} harness)` : `  folder FAILED: ${f.alert}`);
        if (f.files != null && f.files < images.files) {
          // The app lost files: FileButton clears the input (value = '') right after onFiles, which
          // empties the live FileList that filesFromList is still reading across its pauses.
          result.folderAsIs = f;
          result.notes.push(
            `**App bug:** the "Image folder…" picker indexed ${n0(f.files)} of the ${n0(images.files)} files in the folder (${n0(f.matched)} train images matched). ` +
              '`FileButton` sets `e.target.value = \'\'` right after `onFiles(e.target.files)`, which empties the live `FileList`; `filesFromList` (src/io/droppedFiles.ts) reads it across `await pause()` every 20,000 files, so only the first 20,000 survive. ' +
              'Fix: copy the list first (`onFiles(Array.from(e.target.files))`, or `Array.from(list)` before the first await). ' +
              'For the figures below the harness re-picked the folder with `HTMLInputElement.prototype.files` patched to return a copy for webkitdirectory inputs.',
          );
          await page.evaluate(() => {
            const desc = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'files');
            Object.defineProperty(HTMLInputElement.prototype, 'files', {
              configurable: true,
              get() {
                const list = desc.get.call(this);
                return list && this.webkitdirectory ? Array.from(list) : list;
              },
              set(v) {
                desc.set.call(this, v);
              },
            });
          });
          log('  the app kept only part of the folder (FileList cleared while read); re-picking with a FileList copy ...');
          f = await loadFolder(page, cdp, dir, images.files, exclude);
          f.workaround = 'HTMLInputElement.prototype.files returns a copy for webkitdirectory inputs';
          log(f.ok ? `  folder: ${f.files} files indexed, ${f.matched} of ${f.total} matched in ${fmtMs(f.inPageMs)} in the page (${fmtMs(f.harnessMs)} harness)` : `  folder FAILED: ${f.alert}`);
        }
        result.folder = f;
        if (f.ok && f.matched !== images.files) result.notes.push(`the folder summary reports ${f.matched} train images matched, ${images.files} were written`);
        if (f.files != null && f.files !== images.files) result.notes.push(`the folder summary reports ${f.files} files, ${images.files} were written`);
      }

      // b. Filters.
      const fewBelow = Number(readouts.fewBelow ?? 20);
      const fewCats = model.categories.filter((c) => c.size < fewBelow).map((c) => String(c.category_id).padStart(5, '0'));
      if (readouts.bandMode !== 'fixed') result.notes.push('band mode is not "fixed": the few-shot tile check may be wrong');
      if (Number(readouts['stat-few']) !== fewCats.length) result.notes.push(`stat-few = ${readouts['stat-few']}, the generator has ${fewCats.length} classes under ${fewBelow}`);
      const few = { count: Number(readouts['stat-few'] ?? fewCats.length), categories: fewCats, allClasses: expected.classes };
      await page.evaluate(() => document.querySelector('[data-testid="sample-grid"]')?.scrollIntoView({ block: 'center' }));
      const pick = (k) => model.categories[Math.floor(((k + 0.37) * Math.min(IMAGE_CLASSES, model.categories.length)) / FILTER_REPEATS)];
      for (let rep = 0; rep < FILTER_REPEATS; rep++) {
        const c = pick(rep);
        const target = { name: c.scientificName, genus: c.genus, species: c.species };
        const fr = await filterRound(page, target, few, { waitThumbs: !!images });
        fr.target = target.name;
        result.filters.push(fr);
        log(`  filters ${rep + 1}/${FILTER_REPEATS}: ${Object.entries(fr).filter(([k]) => k !== 'target').map(([k, v]) => `${k} ${v.error ? `ERROR ${v.error}` : fmtMs(v.frame)}`).join(', ')}`);
      }

      const mapFrame = PROFILE ? await sourceMapper(distDir) : null;
      if (PROFILE) {
        log('  one more filter round under the profiler and the timeline trace ...');
        const c = pick(0.5);
        result.filterDiag = await diagnose(browser, page, cdp, mapFrame, () =>
          filterRound(page, { name: c.scientificName, genus: c.genus, species: c.species }, few, { waitThumbs: false }),
        ).catch((e) => ({ error: String(e.message ?? e).split('\n')[0] }));
      }

      // c. Scroll.
      log(`scroll: ${SCROLL_CLASSES} rows, ${SCROLL_STEP_ROWS} per ${SCROLL_INTERVAL_MS} ms ...`);
      result.scroll = await scrollPhase(page, cdp, exclude, SCROLL_CLASSES);
      const sc = result.scroll;
      log(`  RSS ${fmtMiB(mib(sc.start.rss))} → peak ${fmtMiB(mib(sc.peak.rss))} → end ${fmtMiB(mib(sc.endRaw.rss))}; heap ${fmtMiB(mib(sc.start.heap))} → ${fmtMiB(mib(sc.peak.heap))} → ${fmtMiB(mib(sc.endRaw.heap))} (GC ${fmtMiB(mib(sc.endGc.heap))}); ready ${sc.readyEnd}`);
      await page.screenshot({ path: path.join(dataDir, 'views-scroll.png') }).catch(() => {});
      if (PROFILE) {
        log('  150 rows again (from row 0) under the profiler and the timeline trace ...');
        result.scrollDiag = await diagnose(browser, page, cdp, mapFrame, () =>
          page.evaluate(pageScroll, { from: 0, rows: 150, stepRows: SCROLL_STEP_ROWS, intervalMs: SCROLL_INTERVAL_MS, rowHeight: ROW_HEIGHT }),
        ).catch((e) => ({ error: String(e.message ?? e).split('\n')[0] }));
        if (result.scrollDiag.value) {
          const { trace, ...rest } = result.scrollDiag.value;
          result.scrollDiag.value = rest;
        }
        // Control: the same with the taxonomy treemap (~18k SVG nodes) taken out of the page.
        log('  control: treemap hidden (display: none): 150 rows traced, then filter rounds ...');
        await page.evaluate(() => (document.querySelector('[data-testid="chart-taxonomy"]').style.display = 'none'));
        await sleep(500);
        result.controlScrollDiag = await diagnose(browser, page, cdp, mapFrame, () =>
          page.evaluate(pageScroll, { from: 300, rows: 450, stepRows: SCROLL_STEP_ROWS, intervalMs: SCROLL_INTERVAL_MS, rowHeight: ROW_HEIGHT }),
        ).catch((e) => ({ error: String(e.message ?? e).split('\n')[0] }));
        if (result.controlScrollDiag.value) {
          const { trace, ...rest } = result.controlScrollDiag.value;
          result.controlScrollDiag.value = rest;
        }
        await page.locator('[data-testid="grid-mode"]').selectOption('auto');
        await page.evaluate(() => document.querySelector('[data-testid="sample-grid"]')?.scrollIntoView({ block: 'center' }));
        result.controlFilters = [];
        for (let rep = 0; rep < CONTROL_FILTER_REPEATS; rep++) {
          const c = pick(rep + 0.25);
          result.controlFilters.push(await filterRound(page, { name: c.scientificName, genus: c.genus, species: c.species }, few, { waitThumbs: false }));
        }
        log(`  control filters: ${['classClick', 'classRemove', 'bandClick', 'bandRemove'].map((k) => `${k} ${fmtMs(median(result.controlFilters.map((x) => x[k]?.frame)))}`).join(', ')}`);
        await page.evaluate(() => (document.querySelector('[data-testid="chart-taxonomy"]').style.display = ''));
      }
    } catch (e) {
      result.notes.push(`main page: ${String(e.message ?? e).split('\n')[0]}`);
      log(`main page FAILED: ${e.stack ?? e}`);
      await page.screenshot({ path: path.join(dataDir, 'views-failure.png') }).catch(() => {});
    } finally {
      result.pageErrors.push(...errors);
      await context.close().catch(() => {});
    }
  } finally {
    await browser?.close().catch(() => {});
    cleanup();
  }
  result.totalSeconds = (performance.now() - tStart) / 1000;
  result.ignoredProcessTypes = [...IGNORED_TYPES];
  result.ignoredSeen = Object.fromEntries([...ignoredSeen].map(([t, v]) => [t, mib(v)]));
  result.loadAverageEnd = os.loadavg().map((x) => round(x, 2));
  result.summary = summarize(result);
  result.analysis = analyse(result.summary, result);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(resultFile, JSON.stringify(result, null, 2) + '\n');
  console.log(markdownTable(result.summary, result));
  console.log('');
  const s = result.summary;
  console.log(`Goals: charts < 1 s ${met(s.chartsMet)}; filter click < 200 ms ${met(s.filtersMet)}; memory flat while scrolling ${s.scroll ? met(s.scroll.flat) : 'n/a'}.`);
  for (const a of result.analysis) console.log(`- ${a}`);
  if (!flag('--no-write')) {
    writeBenchmarksMd(benchmarksSection(s, result));
    log(`wrote ${path.relative(root, resultFile)} and the Views section of BENCHMARKS.md (${Math.round(result.totalSeconds)} s in all)`);
  }
  if (!result.chartLoads.some((l) => l.ok)) process.exitCode = 1;
}

await main();
