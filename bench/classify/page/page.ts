/**
 * bench:classify's page: starts the worker (worker.ts, the app's classifier code) and exposes
 * `window.bench.call(cmd, args)` for bench/classify/run.mjs, plus the page's memory as Chromium
 * measures it (performance.measureUserAgentSpecificMemory: needs cross-origin isolation).
 */

const status = document.getElementById('status')!;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let next = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let readyResolve: () => void;
const ready = new Promise<void>((r) => (readyResolve = r));

worker.onmessage = (e: MessageEvent<{ id?: number; ready?: boolean; result?: unknown; error?: string }>) => {
  const m = e.data;
  if (m.ready) {
    status.textContent = 'worker ready';
    readyResolve();
    return;
  }
  const p = pending.get(m.id!);
  if (!p) return;
  pending.delete(m.id!);
  if (m.error !== undefined) p.reject(new Error(m.error));
  else p.resolve(m.result);
};
worker.onerror = (e) => {
  status.textContent = `worker error: ${e.message}`;
  for (const p of pending.values()) p.reject(new Error(`worker error: ${e.message}`));
  pending.clear();
};

async function call(cmd: string, args?: unknown): Promise<unknown> {
  await ready;
  const id = next++;
  status.textContent = `running ${cmd}`;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, cmd, args });
  });
}

/**
 * The page's memory as Chromium measures it (page + every worker of the agent cluster), with the
 * number of workers it reported and how long it took. It waits for every worker: tfjs's WASM
 * threads, parked in Atomics.wait, only count after Chromium's own timeout (about a minute), so
 * give up after `timeoutMs`.
 */
async function uaMemory(timeoutMs = 70_000): Promise<{ bytes: number; workers: number; ms: number } | null> {
  type Measurement = { bytes: number; breakdown: { attribution: { scope?: string }[] }[] };
  const p = performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<Measurement> };
  if (!p.measureUserAgentSpecificMemory || !globalThis.crossOriginIsolated) return null;
  const t0 = performance.now();
  try {
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs));
    const m = await Promise.race([p.measureUserAgentSpecificMemory(), timeout]);
    if (!m) return null;
    const workers = m.breakdown.filter((b) => b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope')).length;
    return { bytes: m.bytes, workers, ms: performance.now() - t0 };
  } catch {
    return null;
  }
}

(globalThis as unknown as { bench: unknown }).bench = { call, uaMemory, ready: () => ready };
