// Scrolling the one-row-per-class grid: memory over the pass down and back, GCs, a memory-pressure
// purge, frames and long tasks.

import { setTimeout as sleep } from 'node:timers/promises';
import { mib } from '../lib.mjs';
import { MEM_SAMPLE_MS, ROW_HEIGHT, SCROLL_BACK, SCROLL_INTERVAL_MS, SCROLL_STEP_ROWS, round } from './config.mjs';
import { jsHeap, uaMemory } from './browser.mjs';
import { chromiumMemory, slope } from './memory.mjs';
import { pageScroll } from './page.mjs';

export async function measureMemory(page, cdp, exclude, gc) {
  if (gc) {
    await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
    await sleep(300);
  }
  const m = chromiumMemory(exclude, { byType: true });
  return { rss: m.rss, byType: m.byType, heap: await jsHeap(cdp).catch(() => null), ua: await uaMemory(page) };
}

export async function scrollPhase(page, cdp, exclude, rows) {
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
