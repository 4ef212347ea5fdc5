// The views benchmark's paths, command line, constants and small formatters.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from '../lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const dataDir = path.join(root, 'bench', '.data');
export const resultFile = path.join(dataDir, 'views-result.json');
// Our own build: dist/ is rebuilt by other scripts (e2e, npm run build) while this one runs.
export const distDir = path.join(dataDir, 'views-dist');

export const { values: opts } = parseBenchArgs({
  script: 'bench/views/run.mjs',
  summary:
    'Views benchmark: at Herbarium 2022 scale in Chromium, how soon each chart is drawn after the overview, how fast a filter click updates the sample grid, and whether memory stays flat while scrolling the one-row-per-class grid.',
  options: {
    'chart-repeats': { type: 'number', default: 3, help: 'page loads timed for the charts' },
    'filter-repeats': { type: 'number', default: 5, help: 'filter rounds timed' },
    'image-classes': { type: 'number', default: 2000, help: 'classes whose images are written' },
    'scroll-rows': { type: 'number', help: 'class rows scrolled through (default: the image classes)' },
    'scroll-step-rows': { type: 'number', default: 3, help: 'rows per scroll step (3 = one viewport)' },
    'scroll-interval-ms': { type: 'number', default: 150, help: 'ms between scroll steps' },
    'no-folder': { type: 'boolean', help: 'metadata only: the grid shows placeholders' },
    'no-scroll-back': { type: 'boolean', help: 'scroll down only, not back up' },
    'no-profile': { type: 'boolean', help: 'no profiled or traced passes' },
    build: { type: 'boolean', help: 'always rebuild the app (bench/.data/views-dist)' },
    'no-write': { type: 'boolean', help: 'leave BENCHMARKS.md alone' },
    port: { type: 'number', default: 4179, help: 'port for vite preview (the next free one if taken)' },
  },
});
export const CHART_REPEATS = opts['chart-repeats'];
export const FILTER_REPEATS = opts['filter-repeats'];
export const IMAGE_CLASSES = opts['image-classes'];
export const SCROLL_CLASSES = opts['scroll-rows'] ?? IMAGE_CLASSES;
export const SCROLL_STEP_ROWS = opts['scroll-step-rows'];
export const SCROLL_INTERVAL_MS = opts['scroll-interval-ms'];
export const WANT_PORT = opts.port;
export const USE_FOLDER = !opts['no-folder'];
export const SCROLL_BACK = !opts['no-scroll-back'];
export const PROFILE = !opts['no-profile'];

export const ROW_HEIGHT = 236;
export const CHART_IDS = [
  'chart-rank-frequency',
  'chart-size-histogram',
  'chart-cumulative-share',
  'chart-taxonomy',
  'chart-family-spread',
  'chart-genus-spread',
  'chart-institutions',
];
export const GOALS = { chartMs: 1000, filterMs: 200 };
export const CONTROL_FILTER_REPEATS = 3;
export const LOAD_TIMEOUT_MS = 5 * 60 * 1000;
export const CHART_TIMEOUT_MS = 60_000;
export const MEM_SAMPLE_MS = 500;
export const LOAD_SAMPLE_MS = 250;

export const log = (...a) => console.error('[bench:views]', ...a);

// Small helpers (the shared ones are in bench/lib.mjs)
export const round = (x, d = 1) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);
export const fmtSigned = (m) => (m == null ? 'n/a' : `${m >= 0 ? '+' : '−'}${Math.abs(Math.round(m)).toLocaleString('en-US')} MiB`);
