// Loading the data in the page: the metadata file until the readouts and the charts (times,
// memory, optionally profiled), and the image folder.

import { setTimeout as sleep } from 'node:timers/promises';
import { fmtMs, n0 } from '../lib.mjs';
import { CHART_IDS, CHART_TIMEOUT_MS, LOAD_TIMEOUT_MS, log } from './config.mjs';
import { jsHeap } from './browser.mjs';
import { chromiumMemory } from './memory.mjs';
import { analyseProfile, tracePhases } from './profile.mjs';

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
export async function loadMetadata(page, cdp, file, expected, exclude, { sampleMs = 0, profile = false, mapFrame = null, browser = null } = {}) {
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

/** Loads the image folder; waits for the match report in the folder summary. */
export async function loadFolder(page, cdp, dir, expectedFiles, exclude) {
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

/**
 * Picks the image folder (`images`: the generator's record) and checks what the app indexed, into
 * result.folder and result.notes. When the app keeps only part of it (FileButton clears the live
 * FileList while it is read), that pick is result.folderAsIs, a note says so, and the folder is
 * picked again with a FileList copy.
 */
export async function pickFolder(page, cdp, dir, images, exclude, result) {
  log(`folder: ${images.files.toLocaleString('en-US')} files ...`);
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
