import path from 'node:path';
import { createRequire } from 'node:module';
import type { Page, TestInfo } from '@playwright/test';
import { DEFAULT_FIXTURE_DIR } from '../scripts/make-fixture.mjs';
import { ClassifyPanel } from './pages/ClassifyPanel.ts';
import { EmbeddingsPanel } from './pages/EmbeddingsPanel.ts';
import { expect, test } from './fixtures.ts';

const axePath = path.join(path.dirname(createRequire(import.meta.url).resolve('axe-core/package.json')), 'axe.min.js');
const SIZES = [
  { width: 1280, height: 800 },
  { width: 1024, height: 768 },
];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** axe-core's serious and critical violations on the page as it is now, one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target)).join(', ')}${v.nodes.length > 5 ? ` and ${v.nodes.length - 5} more` : ''}`);
}

/** After a step: no horizontal overflow at either size, a full-page screenshot of each, no serious axe violation. */
async function checkStep(page: Page, info: TestInfo, step: string) {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    // Charts follow their container through a ResizeObserver and a frame: let both run.
    await page.waitForTimeout(400);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const overflow = await page.evaluate(() => {
      const root = document.documentElement;
      const wide = [...document.querySelectorAll<HTMLElement>('section *')]
        .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1)
        .slice(0, 3)
        .map((el) => `${el.tagName.toLowerCase()}${el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''} right ${Math.round(el.getBoundingClientRect().right)}`);
      return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide };
    });
    expect(overflow.scrollWidth, `${step} at ${size.width}×${size.height}: wider than the window (${overflow.wide.join('; ')})`).toBeLessThanOrEqual(overflow.clientWidth);
    await page.screenshot({ path: info.outputPath(`${step}-${size.width}x${size.height}.png`), fullPage: true });
  }
  expect(await seriousViolations(page), `${step}: axe-core violations of impact serious or critical`).toEqual([]);
}

/** Tick labels of a plotly axis as drawn (the SVG's text), read as numbers ("2k" → 2000). */
async function tickValues(page: Page, testId: string, axis: 'x' | 'y'): Promise<number[]> {
  const texts = await page.getByTestId(testId).locator(`.${axis}tick text`).allTextContents();
  return texts.map((t) => Number(t.replace(/,/g, '').replace(/k$/, 'e3').replace(/M$/, 'e6')));
}

test('the whole flow is accessible and fits the window at 1280 and 1024 wide: loaded, embedded, classified, map, audit', async ({ lab, page }, info) => {
  test.setTimeout(480_000);
  await lab.loadFolder(DEFAULT_FIXTURE_DIR);
  await expect(page.getByTestId('chart-rank-frequency').locator('.main-svg').first()).toBeVisible();
  // The check can fail: a button without a name is a critical violation axe must report.
  await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<button id="axe-probe" type="button"></button>'));
  expect((await seriousViolations(page)).some((v) => v.startsWith('critical button-name'))).toBe(true);
  await page.evaluate(() => document.getElementById('axe-probe')?.remove());
  await checkStep(page, info, '1-loaded');

  // Log axes read as increasing numbers, from 1 (plotly's minor ticks printed "2, 100, 5, 2, 10").
  for (const [id, axis] of [
    ['chart-rank-frequency', 'y'],
    ['chart-family-spread', 'y'],
  ] as const) {
    const ticks = await tickValues(page, id, axis);
    expect(ticks.length, `${id} has ticks`).toBeGreaterThan(1);
    expect(ticks.every(Number.isFinite), `${id} ticks are numbers: ${ticks}`).toBe(true);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i], `${id} ticks ${ticks}`).toBeGreaterThan(ticks[i - 1]);
    expect(ticks[0]).toBe(1);
  }

  const embed = new EmbeddingsPanel(page);
  await embed.choose({ backend: 'wasm', includeTest: true });
  await embed.runToEnd();
  await checkStep(page, info, '2-embedded');

  const classify = new ClassifyPanel(page);
  await classify.fit('auto');
  await classify.autoTau();
  await checkStep(page, info, '3-classified');

  await expect(page.getByTestId('embedding-map')).toHaveAttribute('data-points', /^[1-9]/, { timeout: 60_000 });
  await checkStep(page, info, '4-map');

  await page.getByTestId('audit-run').click();
  await expect(page.getByTestId('audit-status')).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  await checkStep(page, info, '5-audit');
});

/** Presses Tab until the control with this test id has the focus (it must be reachable in the tab order), and checks its focus ring shows. */
async function tabTo(page: Page, testId: string, nth = 0) {
  for (let presses = 0; presses < 600; presses++) {
    const at = await page.evaluate(
      ([id, n]) => {
        const el = document.activeElement as HTMLElement | null;
        const all = [...document.querySelectorAll(`[data-testid="${id}"]`)];
        return el !== null && all.indexOf(el) === n;
      },
      [testId, nth] as const,
    );
    if (at) {
      const ring = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        // A file input is invisible: its button (the label around it) shows the ring.
        const shown = el.matches('input[type=file]') ? (el.closest('.button') as HTMLElement) : el;
        const style = getComputedStyle(shown);
        return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
      });
      expect(ring, `${testId} shows a focus ring`).toBe(true);
      return;
    }
    await page.keyboard.press('Tab');
  }
  throw new Error(`${testId} is not reached with Tab`);
}

test('the demo flow with the keyboard alone: load, search a class, open an image, embed, fit, pick τ, download', async ({ lab, page }) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await lab.finishing(async () => {
    await tabTo(page, 'load-demo');
    await page.keyboard.press('Enter');
  });

  // Search: type, ArrowDown to the second hit, Enter makes it a filter chip.
  await tabTo(page, 'class-search');
  await page.keyboard.type('a');
  const hits = page.getByTestId('search-result');
  await expect(hits.first()).toBeVisible();
  const second = (await hits.count()) > 1;
  await page.keyboard.press('ArrowDown');
  const kind = await hits.nth(second ? 1 : 0).getAttribute('data-kind');
  await expect(hits.nth(second ? 1 : 0)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('chip')).toHaveCount(1);
  await expect(page.getByTestId('chip')).toHaveAttribute('data-kind', kind!);

  // Open an image of it in the viewer, and close it with Escape.
  await tabTo(page, 'open-viewer');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('image-viewer')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('image-viewer')).toHaveCount(0);

  // Before a run the submission button is greyed out and says why.
  const submission = page.getByTestId('download-submission');
  await expect(submission).toBeDisabled();
  await expect(page.locator(`#${await submission.getAttribute('aria-describedby')}`)).toContainText('Embed the images in section 5 first');

  // Embed on WASM: a select is operated by typing its option.
  await tabTo(page, 'backend-select');
  await page.keyboard.type('wasm');
  await expect(page.getByTestId('backend-select')).toHaveValue('wasm');
  await tabTo(page, 'embed-start');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('embed-status')).toHaveAttribute('data-state', 'done', { timeout: 240_000 });

  // Fit, then pick τ.
  await tabTo(page, 'classify-fit');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('classify-status')).toHaveAttribute('data-state', 'fitted', { timeout: 120_000 });
  await tabTo(page, 'tau-auto');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('tau-sweep')).toBeVisible({ timeout: 60_000 });

  // Download the submission with the keyboard.
  await tabTo(page, 'download-submission');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  expect(download.suggestedFilename()).toBe('submission.csv');
});
