// The plotly.js page: scattergl only (the app's custom-bundle way, src/charts/plotly.ts), one trace
// per category on subarrays of the typed columns, no per-point objects. Driven by run.mjs
// through window.renderBench.
import Plotly from 'plotly.js/lib/core';
import scattergl from 'plotly.js/lib/scattergl';
import { CATEGORIES, PALETTE, SELECTION_BOX, frameFloorMs, generatePoints, glSyncMs, panCentres, timeSelectionPasses, twoFrames } from './points.js';

Plotly.register([scattergl]);

const gd = document.getElementById('plot');
const SIZE = 900;
const MARGIN = 50;
let data = null;

const range = (c) => [c - 1, c + 1];
const layout = {
  width: SIZE,
  height: SIZE,
  margin: { l: MARGIN, r: MARGIN, t: MARGIN, b: MARGIN },
  xaxis: { range: [-1, 1], autorange: false, zeroline: false },
  yaxis: { range: [-1, 1], autorange: false, zeroline: false },
  showlegend: true,
  dragmode: 'select',
  hovermode: false,
};

/** The WebGL contexts plotly draws scattergl with (one regl per GL canvas layer). */
const gls = () => {
  const out = [];
  gd._fullLayout._glcanvas?.each((d) => d.regl && out.push(d.regl._gl));
  return out;
};

window.renderBench = {
  renderer: 'plotly',
  version: Plotly.version,

  init(n, seed) {
    const t = performance.now();
    data = generatePoints(n, seed);
    return { genMs: performance.now() - t, n: data.x.length };
  },

  frameFloorMs,

  async firstDraw() {
    const traces = [];
    for (let c = 0; c < CATEGORIES; c++) {
      const s = data.categoryStart[c];
      const e = data.categoryStart[c + 1];
      traces.push({
        type: 'scattergl',
        mode: 'markers',
        name: `class ${c}`,
        x: data.x.subarray(s, e),
        y: data.y.subarray(s, e),
        marker: { size: 2, color: PALETTE[c] },
        hoverinfo: 'none',
      });
    }
    const t = performance.now();
    await Plotly.newPlot(gd, traces, layout, { displayModeBar: false });
    await twoFrames();
    const shown = performance.now() - t;
    return { ms: shown, syncedMs: shown + glSyncMs(gls()) };
  },

  /**
   * One relayout per camera centre, each awaited and shown; ms per step, and with the GPU queue
   * drained after it (so that each step starts from an idle GPU).
   */
  async pan(steps) {
    const times = [];
    const synced = [];
    for (const [cx, cy] of panCentres(steps)) {
      const t = performance.now();
      await Plotly.relayout(gd, { 'xaxis.range': range(cx), 'yaxis.range': range(cy) });
      await twoFrames();
      const shown = performance.now() - t;
      times.push(shown);
      synced.push(shown + glSyncMs(gls()));
    }
    await Plotly.relayout(gd, { 'xaxis.range': [-1, 1], 'yaxis.range': [-1, 1] });
    await twoFrames();
    glSyncMs(gls());
    return { times, synced };
  },

  /**
   * Page pixels of SELECTION_BOX (clipped 2 px inside the plot area: a drag must start on it) for
   * run.mjs's mouse drag, and a promise of plotly_selected's timing, count and data range.
   */
  armSelection() {
    const fl = gd._fullLayout;
    const rect = gd.getBoundingClientRect();
    const px = (x) => rect.left + fl._size.l + fl.xaxis.l2p(x);
    const py = (y) => rect.top + fl._size.t + fl.yaxis.l2p(y);
    const box = {
      x0: px(SELECTION_BOX.x0) + 2,
      x1: px(SELECTION_BOX.x1),
      y0: py(SELECTION_BOX.y1) + 2,
      y1: py(SELECTION_BOX.y0) - 2,
    };
    let down = null;
    let up = null;
    gd.addEventListener('mousedown', () => (down ??= performance.now()), { capture: true });
    window.addEventListener('mouseup', () => (up ??= performance.now()), { capture: true });
    this.selection = new Promise((resolve) => {
      gd.on('plotly_selected', async (ev) => {
        const selectedAt = performance.now();
        await twoFrames();
        const shown = performance.now();
        resolve({
          downToShownMs: shown - down,
          upToSelectedMs: selectedAt - up,
          upToShownMs: shown - up,
          count: ev?.points?.length ?? 0,
          range: ev?.range ? { x: ev.range.x, y: ev.range.y } : null,
        });
      });
    });
    return box;
  },

  passes(repeats) {
    return timeSelectionPasses(data.x, data.y, repeats);
  },
};
