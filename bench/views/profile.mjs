// Where the main thread's time goes: CDP CPU profiles (mapped to the sources through the build's
// source maps) and Chromium timeline traces.

import fs from 'node:fs';
import path from 'node:path';
import { round } from './config.mjs';

/**
 * Source maps of the served bundle (dist has them): bundle file:line:col → original source,
 * line and name. Uses source-map-js (vite's postcss brings it); without it, frames stay minified.
 */
export async function sourceMapper(distDir) {
  let SourceMapConsumer;
  try {
    ({ SourceMapConsumer } = await import('source-map-js'));
  } catch {
    return null;
  }
  const consumers = new Map();
  const consumerFor = (url) => {
    const file = url.replace(/^https?:\/\/[^/]+\//, '').replace(/\?.*$/, '');
    if (!consumers.has(file)) {
      let c = null;
      try {
        c = new SourceMapConsumer(JSON.parse(fs.readFileSync(path.join(distDir, file + '.map'), 'utf8')));
      } catch {
        /* no map */
      }
      consumers.set(file, c);
    }
    return consumers.get(file);
  };
  return (cf) => {
    if (!cf.url) return null;
    const c = consumerFor(cf.url);
    if (!c) return null;
    const o = c.originalPositionFor({ line: cf.lineNumber + 1, column: cf.columnNumber });
    if (!o.source) return null;
    const source = o.source.replace(/^(\.\.\/)+/, '').replace(/^.*node_modules\//, '');
    return { source, line: o.line, name: o.name };
  };
}

/** What a frame's original source is part of: a plotly trace type, another plotly module, the app. */
function moduleOf(mapped) {
  if (!mapped) return null;
  let m = mapped.source.match(/plotly\.js\/src\/traces\/([^/]+)/);
  if (m) return `plotly traces/${m[1]}`;
  m = mapped.source.match(/plotly\.js\/src\/(components|plots|lib|plot_api)\/([^/.]+)/);
  if (m) return `plotly ${m[1]}/${m[2]}`;
  m = mapped.source.match(/^(@?[^/]+(?:\/[^/]+)?)\//);
  if (mapped.source.startsWith('src/')) return mapped.source.replace(/\?.*$/, '');
  return m ? m[1] : mapped.source;
}

/**
 * A CDP CPU profile read three ways: top self time per function (native functions named with the
 * nearest bundle caller), time per plotly trace type (the deepest trace module on each sample's
 * stack), and time per module of the leaf frame.
 */
export function analyseProfile(profile, mapFrame, limit = 15, { originMonoMs = null, segments = null } = {}) {
  // Segments: [{ name, end }] in the page's performance.now() ms, ascending. Profile timestamps are
  // CLOCK_MONOTONIC µs (Chromium's TimeTicks); `originMonoMs` is the page's performance.now() origin
  // on that clock (see pageClockOrigin), so a sample's page time is ts / 1000 − originMonoMs.
  const segs = segments && originMonoMs != null ? segments.map((g) => ({ ...g, total: 0, what: new Map(), self: new Map() })) : null;
  let clock = profile.startTime ?? 0;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const mapped = new Map();
  const frameOf = (id) => {
    if (!mapped.has(id)) {
      const cf = byId.get(id).callFrame;
      const m = mapFrame?.(cf) ?? null;
      mapped.set(id, { cf, m });
    }
    return mapped.get(id);
  };
  const label = (id) => {
    const { cf, m } = frameOf(id);
    if (m) return `${m.name || cf.functionName || '(anonymous)'} (${m.source}:${m.line})`;
    if (cf.url) return `${cf.functionName || '(anonymous)'} (${cf.url.replace(/^https?:\/\/[^/]+\//, '')}:${cf.lineNumber + 1}:${cf.columnNumber + 1})`;
    return cf.functionName || '(native)';
  };
  const deltas = profile.timeDeltas ?? [];
  const self = new Map();
  const traces = new Map();
  const modules = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = deltas[i + 1] ?? 0; // time until the next sample belongs to this one
    clock += deltas[i] ?? 0;
    const leaf = profile.samples[i];
    total += us;
    // Self time; a native leaf (layout, DOM calls) is shown with its nearest JS caller.
    let key = label(leaf);
    let mod = moduleOf(frameOf(leaf).m);
    if (!frameOf(leaf).cf.url && !/^\((idle|program|garbage collector|root)\)$/.test(frameOf(leaf).cf.functionName)) {
      let p = parent.get(leaf);
      while (p != null && !frameOf(p).cf.url) p = parent.get(p);
      if (p != null) {
        key = `${frameOf(leaf).cf.functionName} ← ${label(p)}`;
        mod = moduleOf(frameOf(p).m);
      }
    }
    self.set(key, (self.get(key) ?? 0) + us);
    if (!mod) mod = /^\((idle|program|garbage collector)\)/.test(key) ? key.match(/^\([^)]*\)/)[0] : 'other (unmapped)';
    modules.set(mod, (modules.get(mod) ?? 0) + us);
    let trace = null;
    for (let id = leaf; id != null && !trace; id = parent.get(id)) {
      const t = moduleOf(frameOf(id).m);
      if (t?.startsWith('plotly traces/')) trace = t.slice('plotly traces/'.length);
    }
    const tk = trace ?? (/^\((idle|program|garbage collector)\)/.test(key) ? key.match(/^\([^)]*\)/)[0] : 'not under a trace module');
    traces.set(tk, (traces.get(tk) ?? 0) + us);
    if (segs) {
      const at = clock / 1000 - originMonoMs;
      const g = segs.find((x) => at < x.end);
      if (g) {
        const what = trace ? `plotly traces/${trace}` : mod;
        g.total += us;
        g.what.set(what, (g.what.get(what) ?? 0) + us);
        g.self.set(key, (g.self.get(key) ?? 0) + us);
      }
    }
  }
  const top = (m, n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([fn, us]) => ({ fn, ms: round(us / 1000, 0) }));
  return {
    totalMs: round(total / 1000, 0),
    mapped: !!mapFrame,
    entries: top(self, limit),
    byTrace: top(traces, 12),
    byModule: top(modules, 12),
    profileStartPageMs: originMonoMs != null && profile.startTime != null ? round(profile.startTime / 1000 - originMonoMs, 1) : null,
    segments: segs?.map((g) => ({ name: g.name, end: g.end, sampledMs: round(g.total / 1000, 0), what: top(g.what, 4), self: top(g.self, 3) })) ?? null,
  };
}

/** Main-thread time by trace event name (Chromium's timeline: style, layout, paint, scripts, GC). */
export function tracePhases(trace, { originMonoMs = null, segments = null } = {}) {
  const segs = segments && originMonoMs != null ? segments.map((g) => ({ name: g.name, end: g.end, sums: new Map() })) : null;
  const events = trace.traceEvents ?? trace;
  const names = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain') names.set(`${e.pid}:${e.tid}`, true);
  const byThread = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !names.has(`${e.pid}:${e.tid}`)) continue;
    const k = `${e.pid}:${e.tid}`;
    if (!byThread.has(k)) byThread.set(k, []);
    byThread.get(k).push(e);
  }
  let main = [];
  for (const list of byThread.values()) if (list.length > main.length) main = list;
  const sums = new Map();
  let busy = 0;
  let first = Infinity;
  let last = 0;
  for (const e of main) {
    const dur = e.dur ?? 0;
    first = Math.min(first, e.ts);
    last = Math.max(last, e.ts + dur);
    if (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') {
      busy += dur;
      continue;
    }
    sums.set(e.name, (sums.get(e.name) ?? 0) + dur);
    if (segs) {
      const g = segs.find((x) => e.ts / 1000 - originMonoMs < x.end);
      if (g) g.sums.set(e.name, (g.sums.get(e.name) ?? 0) + dur);
    }
  }
  return {
    segments: segs?.map((g) => ({
      name: g.name,
      top: [...g.sums]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([name, us]) => ({ name, ms: round(us / 1000, 0) })),
    })) ?? null,
    spanMs: main.length ? round((last - first) / 1000, 0) : null,
    busyMs: round(busy / 1000, 0),
    phases: [...sums]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 14)
      .map(([name, us]) => ({ name, ms: round(us / 1000, 0) })),
  };
}

/** Runs `run` under the CPU profiler and a Chromium timeline trace; returns both, digested. */
export async function diagnose(browser, page, cdp, mapFrame, run) {
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  let value;
  try {
    value = await run();
  } finally {
    var { profile } = await cdp.send('Profiler.stop');
    await cdp.send('Profiler.disable');
    var buf = await browser.stopTracing();
  }
  let phases = null;
  try {
    phases = tracePhases(JSON.parse(buf.toString('utf8')));
  } catch (e) {
    phases = { error: String(e.message ?? e) };
  }
  return { value, js: analyseProfile(profile, mapFrame, 12), phases };
}
