// In-page code of the views benchmark: handed to Playwright (addInitScript, page.evaluate), which
// sends each function's source to the page, so none of them may use anything from this module.

/**
 * Before any page script: count live object URLs (the thumbnail cache promised at most 600 when
 * it held blob URLs) and live ImageBitmaps the page received from its workers (the thumbnails
 * since they are bitmaps: received, minus closed).
 */
export function pageInit() {
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
export function pageMeasureClick({ target, cond, timeoutMs, waitThumbs }) {
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
export async function pageScroll({ from = null, rows, up = false, stepRows, intervalMs, rowHeight }) {
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
