// The figures of a views run: medians, goals, the memory verdict, and a plain-words reading.

import { fmtMs, median, mib, n0 } from '../lib.mjs';
import { CHART_IDS, GOALS, fmtSigned, round } from './config.mjs';
import { IGNORED_TYPES } from './memory.mjs';

export function summarize(r) {
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

/** Rows comparing the traced scroll and the filter clicks with and without the treemap. */
export function controlSummary(r) {
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
export function analyse(s, r) {
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
