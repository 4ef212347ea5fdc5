// The views benchmark's report: the machine record, the Markdown table (stdout) and the section of
// BENCHMARKS.md.

import { bulletLines, fmtMiB, fmtMs, fmtS, machineInfo, machineLines, n0, sectionHead, sectionMarkers, writeSection } from '../lib.mjs';
import { CHART_IDS, CHART_REPEATS, FILTER_REPEATS, GOALS, IMAGE_CLASSES, LOAD_SAMPLE_MS, ROW_HEIGHT, SCROLL_BACK, SCROLL_CLASSES, SCROLL_INTERVAL_MS, SCROLL_STEP_ROWS, fmtSigned, root, round } from './config.mjs';
import { controlSummary } from './summary.mjs';

const MARKERS = sectionMarkers('views');

export const machine = () =>
  machineInfo(['nproc', 'cpu', 'free', 'chromium', 'node', 'os', 'kernel', 'date', 'loadAverage', 'commit', 'dirtyTree'], { root });

/** The section in BENCHMARKS.md: a new one goes right after the ingest section. */
export const writeBenchmarksMd = (section) => writeSection('views', section, { after: 'ingest' });

export const met = (b) => (b === true ? '**met**' : b === false ? '**missed**' : 'n/a');

export function markdownTable(s, r) {
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

const esc = (x) => `\`${x.trim().replace(/\|/g, '\\|')}\``;

/** Two ranked lists of [name, ms] side by side under `head`: `| name | ms | | name | ms |` rows. */
function sideBySide(head, left, right) {
  const rows = [head, '|---|---:|---|---|---:|'];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const a = left[i];
    const b = right[i];
    rows.push(`| ${a ? esc(a[0]) : ''} | ${a ? a[1] : ''} | | ${b ? esc(b[0]) : ''} | ${b ? b[1] : ''} |`);
  }
  return rows;
}

export function benchmarksSection(s, r) {
  const m = r.machine;
  const out = [];
  out.push(...sectionHead('views', { title: 'Views: charts, filter clicks and grid scrolling at Herbarium 2022 scale', written: 'Written by `bench/views/run.mjs`; do not edit by hand between the views markers.', command: 'npm run bench:views         # node bench/views/run.mjs' }));
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
  out.push(...bulletLines('**Where the time goes / what looked wrong.**', r.analysis));
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
    out.push(...sideBySide('| time by plotly trace module on the stack | ms | | top self time | ms |', p.top.byTrace.map((e) => [e.fn, e.ms]), p.top.entries.map((e) => [e.fn, e.ms])));
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
      out.push(...sideBySide('| trace event | ms | | JS self time | ms |', d.phases.phases.map((e) => [e.name, n0(e.ms)]), d.js.entries.map((e) => [e.fn, n0(e.ms)])));
      out.push('');
    }
  }
  out.push(...machineLines(m, `- node ${m.node}; whole run ${round(r.totalSeconds, 0)} s; load average (1, 5, 15 min) at the start ${m.loadAverage.join(', ')}, at the end ${r.loadAverageEnd?.join(', ') ?? 'n/a'} (2 cores: above 2 means other work was competing for them)`));
  out.push(MARKERS.end);
  return out.join('\n');
}
