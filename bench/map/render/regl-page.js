// The regl-scatterplot page: one draw of the typed columns coloured by category, camera pans, and
// its own lasso selection (lassoSelect in GL space, which is our data space: the points are
// already in [-1, 1]). Driven by run.mjs through window.renderBench.
import createScatterplot from 'regl-scatterplot';
import { PALETTE, SELECTION_BOX, frameFloorMs, generatePoints, glSyncMs, lassoPolygon, panCentres, timeSelectionPasses, twoFrames } from './points.js';

const canvas = document.getElementById('canvas');
let data = null;
let scatterplot = null;

/** Resolves with the payload of the next `event` from the scatterplot. */
/** The WebGL context the scatterplot draws with (its renderer's; the page canvas gets a copy). */
const gls = () => [scatterplot.get('regl')._gl];

const next = (event) => new Promise((resolve) => scatterplot.subscribe(event, resolve, 1));

window.renderBench = {
  renderer: 'regl',
  version: null,

  init(n, seed) {
    const t = performance.now();
    data = generatePoints(n, seed);
    return { genMs: performance.now() - t, n: data.x.length };
  },

  frameFloorMs,

  async firstDraw() {
    const t = performance.now();
    scatterplot = createScatterplot({
      canvas,
      // ?performanceMode=1: squares without alpha blending, the library's advice past ~2M points.
      performanceMode: new URLSearchParams(location.search).get('performanceMode') === '1',
      width: 800,
      height: 800,
      pointSize: 2,
      pointColor: PALETTE,
      colorBy: 'valueA',
      opacity: 1,
    });
    this.version = scatterplot.get('version');
    await scatterplot.draw({ x: data.x, y: data.y, valueA: data.category });
    await twoFrames();
    const shown = performance.now() - t;
    return { ms: shown, syncedMs: shown + glSyncMs(gls()) };
  },

  /** One camera move (no transition) per centre, awaited to its draw and shown (as plotly's pan). */
  async pan(steps) {
    const times = [];
    const synced = [];
    for (const centre of panCentres(steps)) {
      const t = performance.now();
      await scatterplot.zoomToLocation(centre, 1);
      await twoFrames();
      const shown = performance.now() - t;
      times.push(shown);
      synced.push(shown + glSyncMs(gls()));
    }
    await scatterplot.zoomToLocation([0, 0], 1);
    await twoFrames();
    glSyncMs(gls());
    return { times, synced };
  },

  /**
   * regl-scatterplot's own selection, as its lasso would run it: the box (as a 4-vertex polygon)
   * and the 20-vertex lasso, each from the call to the `select` event, and to the frame after.
   */
  async select() {
    const { x0, x1, y0, y1 } = SELECTION_BOX;
    const out = {};
    for (const [name, polygon] of [
      ['box', [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]],
      ['lasso', lassoPolygon()],
    ]) {
      const selected = next('select');
      const t = performance.now();
      scatterplot.lassoSelect(polygon, { isGl: true });
      const { points } = await selected;
      const selectedAt = performance.now();
      await twoFrames();
      out[name] = { toSelectedMs: selectedAt - t, toShownMs: performance.now() - t, count: points.length };
      const gone = next('deselect');
      scatterplot.deselect();
      await gone;
      await twoFrames();
    }
    return out;
  },

  passes(repeats) {
    return timeSelectionPasses(data.x, data.y, repeats);
  },
};
