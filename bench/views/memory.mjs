// Chromium's memory as the views benchmark reads it: RSS over the process tree, per process type.

import { descendants, processType, statusKiB } from '../lib.mjs';

// Chromium's on-device AI model service starts by itself at a random moment (~50 MiB); nothing
// the page does. Left out of the sums (still listed per type), so that it does not read as growth.
export const IGNORED_TYPES = new Set(['utility OnDeviceModelService']);
export const ignoredSeen = new Map();

/** RSS summed over the Chromium process tree (our descendants but the preview server), bytes. */
export function chromiumMemory(exclude, { byType = false } = {}) {
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
export function slope(xs, ys) {
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
