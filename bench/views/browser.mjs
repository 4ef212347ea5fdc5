// The server and the browser of the views benchmark, and the pages it opens.

import { setTimeout as sleep } from 'node:timers/promises';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';
import { cleanupOnSignals, ensureAppBuild, freePort, startPreview, stopPreview } from '../lib.mjs';
import { WANT_PORT, distDir, log, opts, root } from './config.mjs';
import { pageInit } from './page.mjs';

/**
 * Builds the app into bench/.data/views-dist when it is older than the sources and serves it with
 * `vite preview` (stopped on SIGINT/SIGTERM too). `exclude`: the server's pid, left out of
 * Chromium's memory.
 */
export async function serveApp() {
  ensureAppBuild({ root, distDir, force: opts.build, log });
  const port = await freePort(WANT_PORT);
  const { child: preview, url } = await startPreview({ root, port, distDir, log });
  const cleanup = () => stopPreview(preview);
  cleanupOnSignals(cleanup);
  return { port, url, cleanup, exclude: new Set([preview.pid]) };
}

/** Debian's Chromium (scripts/chromium.mjs), headless, through Playwright. */
export async function launchBrowser() {
  const { chromium } = await import('@playwright/test');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // --expose-gc: the harness can collect garbage inside the workers too (CDP's collectGarbage
    // reaches the page's heap only); nothing in the app calls gc().
    args: [...chromiumArgs, '--disable-gpu', '--enable-blink-features=ForceEagerMeasureMemory', '--js-flags=--expose-gc'],
  });
}

export async function newPage(browser, url, errors) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(pageInit);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text().slice(0, 400)}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${String(e.message).slice(0, 400)}`));
  page.on('crash', () => errors.push('page crashed'));
  await page.goto(url, { waitUntil: 'load' });
  await page.locator('[data-testid="metadata-input"]').waitFor({ state: 'attached', timeout: 30_000 });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  return { context, page, cdp };
}

export async function jsHeap(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? null;
}

export async function uaMemory(page) {
  return Promise.race([
    page
      .evaluate(async () => {
        if (!globalThis.crossOriginIsolated || !performance.measureUserAgentSpecificMemory) return null;
        return (await performance.measureUserAgentSpecificMemory()).bytes;
      })
      .catch(() => null),
    sleep(20_000).then(() => null),
  ]);
}
