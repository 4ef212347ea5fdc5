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
 * --no-folder (metadata only: the grid shows placeholders), --no-scroll-back, --no-profile, --build
 * (always rebuild dist/), --no-write (leave BENCHMARKS.md alone), --port N (default 4179; the next
 * free one if taken); --help lists them. Env: CHROMIUM_PATH.
 *
 * Results: bench/.data/views-result.json, a Markdown table on stdout, and the "Views" section of
 * BENCHMARKS.md (between the bench:views markers, after the ingest section).
 *
 * The parts, under bench/views/: config.mjs (paths, options, constants), dataset.mjs (the
 * metadata and the image folder), browser.mjs (the preview server, Chromium, pages), page.mjs (the
 * code that runs in the page), memory.mjs (Chromium's RSS), load.mjs (metadata → readouts →
 * charts; the folder), filters.mjs, scroll.mjs, profile.mjs (CPU profiles and timeline traces),
 * summary.mjs (the figures and their reading), report.mjs (the table and the section).
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmtMiB, fmtMs, median, mib } from '../lib.mjs';
import { CHART_IDS, CHART_REPEATS, CONTROL_FILTER_REPEATS, LOAD_SAMPLE_MS, PROFILE, ROW_HEIGHT, SCROLL_CLASSES, SCROLL_INTERVAL_MS, SCROLL_STEP_ROWS, dataDir, distDir, log, opts, resultFile, root, round } from './config.mjs';
import { prepareData } from './dataset.mjs';
import { jsHeap, launchBrowser, newPage, serveApp, uaMemory } from './browser.mjs';
import { IGNORED_TYPES, ignoredSeen } from './memory.mjs';
import { loadMetadata, pickFolder } from './load.mjs';
import { classTarget, fewShot, filterRound, measureFilters, pickClass } from './filters.mjs';
import { scrollPhase } from './scroll.mjs';
import { pageScroll } from './page.mjs';
import { diagnose, sourceMapper } from './profile.mjs';
import { analyse, summarize } from './summary.mjs';
import { benchmarksSection, machine, markdownTable, met, writeBenchmarksMd } from './report.mjs';

// ---------------------------------------------------------------------------------------------
// a. Charts

/** CHART_REPEATS page loads in fresh contexts, timed without sampling; into result.chartLoads. */
async function measureCharts(browser, url, data, exclude, result) {
  for (let rep = 1; rep <= CHART_REPEATS; rep++) {
    log(`chart load ${rep}/${CHART_REPEATS} ...`);
    const errors = [];
    const { context, page, cdp } = await newPage(browser, url, errors);
    try {
      const l = await loadMetadata(page, cdp, data.trainFile, data.train, exclude);
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
}

/** One more load with the CPU profiler from the readouts to the last chart; into result.profile. */
async function profileCharts(browser, url, data, exclude, result) {
  log('chart load with the CPU profiler ...');
  const errors = [];
  const { context, page, cdp } = await newPage(browser, url, errors);
  try {
    const l = await loadMetadata(page, cdp, data.trainFile, data.train, exclude, { profile: true, mapFrame: await sourceMapper(distDir), browser });
    result.profile = l.profiler ? { ...l.profiler, chartMs: l.chartMs } : null;
  } catch (e) {
    result.notes.push(`profiled load failed: ${String(e.message ?? e).split('\n')[0]}`);
  } finally {
    result.pageErrors.push(...errors);
    await context.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// d. + b. + c.: one page, memory sampled during its load, then folder, filters, scroll

/** The readouts the page shows (`stat-*`) and its band settings. */
const readReadouts = (page) =>
  page.evaluate(() => {
    const out = {};
    for (const el of document.querySelectorAll('[data-testid^="stat-"]')) out[el.getAttribute('data-testid')] = el.getAttribute('data-value');
    out.fewBelow = document.querySelector('[data-testid="band-few-below"]')?.value ?? null;
    out.bandMode = document.querySelector('[data-testid="band-mode-quantile"]')?.checked ? 'quantile' : 'fixed';
    return out;
  });

/** Runs `run` under diagnose(); a failure is recorded as { error }, the scroll's trace dropped. */
async function diagnosed(browser, page, cdp, mapFrame, run, { dropTrace = false } = {}) {
  const d = await diagnose(browser, page, cdp, mapFrame, run).catch((e) => ({ error: String(e.message ?? e).split('\n')[0] }));
  if (dropTrace && d.value) {
    const { trace, ...rest } = d.value;
    d.value = rest;
  }
  return d;
}

async function measureMainPage(browser, url, { data, expected, model, images }, exclude, result) {
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
    const readouts = await readReadouts(page);
    result.readouts = readouts;
    for (const [k, v] of Object.entries({ 'stat-classes': expected.classes, 'stat-genera': expected.genera, 'stat-families': expected.families, 'stat-institutions': expected.institutions }))
      if (String(readouts[k]) !== String(v)) result.notes.push(`readout ${k} = ${readouts[k]}, expected ${v}`);

    if (images) await pickFolder(page, cdp, path.join(path.dirname(data.trainFile), 'train_images'), images, exclude, result);

    // b. Filters.
    const few = fewShot(readouts, model, expected, result.notes);
    await measureFilters(page, model, few, { waitThumbs: !!images }, result);

    const mapFrame = PROFILE ? await sourceMapper(distDir) : null;
    if (PROFILE) {
      log('  one more filter round under the profiler and the timeline trace ...');
      result.filterDiag = await diagnosed(browser, page, cdp, mapFrame, () => filterRound(page, classTarget(pickClass(model, 0.5)), few, { waitThumbs: false }));
    }

    // c. Scroll.
    log(`scroll: ${SCROLL_CLASSES} rows, ${SCROLL_STEP_ROWS} per ${SCROLL_INTERVAL_MS} ms ...`);
    result.scroll = await scrollPhase(page, cdp, exclude, SCROLL_CLASSES);
    const sc = result.scroll;
    log(`  RSS ${fmtMiB(mib(sc.start.rss))} → peak ${fmtMiB(mib(sc.peak.rss))} → end ${fmtMiB(mib(sc.endRaw.rss))}; heap ${fmtMiB(mib(sc.start.heap))} → ${fmtMiB(mib(sc.peak.heap))} → ${fmtMiB(mib(sc.endRaw.heap))} (GC ${fmtMiB(mib(sc.endGc.heap))}); ready ${sc.readyEnd}`);
    await page.screenshot({ path: path.join(dataDir, 'views-scroll.png') }).catch(() => {});
    if (PROFILE) await controlPasses(browser, page, cdp, mapFrame, model, few, result);
  } catch (e) {
    result.notes.push(`main page: ${String(e.message ?? e).split('\n')[0]}`);
    log(`main page FAILED: ${e.stack ?? e}`);
    await page.screenshot({ path: path.join(dataDir, 'views-failure.png') }).catch(() => {});
  } finally {
    result.pageErrors.push(...errors);
    await context.close().catch(() => {});
  }
}

/**
 * 150 rows again under the profiler and the timeline trace, then the control: the same with the
 * taxonomy treemap (~18k SVG nodes) taken out of the page, and filter rounds without it.
 */
async function controlPasses(browser, page, cdp, mapFrame, model, few, result) {
  const scroll = (from, rows) => () => page.evaluate(pageScroll, { from, rows, stepRows: SCROLL_STEP_ROWS, intervalMs: SCROLL_INTERVAL_MS, rowHeight: ROW_HEIGHT });
  log('  150 rows again (from row 0) under the profiler and the timeline trace ...');
  result.scrollDiag = await diagnosed(browser, page, cdp, mapFrame, scroll(0, 150), { dropTrace: true });
  log('  control: treemap hidden (display: none): 150 rows traced, then filter rounds ...');
  await page.evaluate(() => (document.querySelector('[data-testid="chart-taxonomy"]').style.display = 'none'));
  await sleep(500);
  result.controlScrollDiag = await diagnosed(browser, page, cdp, mapFrame, scroll(300, 450), { dropTrace: true });
  await page.locator('[data-testid="grid-mode"]').selectOption('auto');
  await page.evaluate(() => document.querySelector('[data-testid="sample-grid"]')?.scrollIntoView({ block: 'center' }));
  result.controlFilters = [];
  for (let rep = 0; rep < CONTROL_FILTER_REPEATS; rep++) result.controlFilters.push(await filterRound(page, classTarget(pickClass(model, rep + 0.25)), few, { waitThumbs: false }));
  log(`  control filters: ${['classClick', 'classRemove', 'bandClick', 'bandRemove'].map((k) => `${k} ${fmtMs(median(result.controlFilters.map((x) => x[k]?.frame)))}`).join(', ')}`);
  await page.evaluate(() => (document.querySelector('[data-testid="chart-taxonomy"]').style.display = ''));
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const tStart = performance.now();
  const input = await prepareData();
  const { data, images } = input;
  const { port, url, cleanup, exclude } = await serveApp();
  const result = { machine: machine(), port, images, chartLoads: [], filters: [], notes: [], pageErrors: [] };
  let browser;
  try {
    browser = await launchBrowser();
    await measureCharts(browser, url, data, exclude, result);
    if (PROFILE) await profileCharts(browser, url, data, exclude, result);
    await measureMainPage(browser, url, input, exclude, result);
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
  if (!opts['no-write']) {
    writeBenchmarksMd(benchmarksSection(s, result));
    log(`wrote ${path.relative(root, resultFile)} and the Views section of BENCHMARKS.md (${Math.round(result.totalSeconds)} s in all)`);
  }
  if (!result.chartLoads.some((l) => l.ok)) process.exitCode = 1;
}

await main();
