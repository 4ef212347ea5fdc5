#!/usr/bin/env node
/**
 * What post-hoc logit adjustment does on a real long-tailed image set: the bundled demo dataset
 * (99 classes, 180 → 2 images, real emoji images), embedded in the app with the bundled
 * MobileNetV2 (block 10, the default), then each classifier fitted in the app, τ swept on the
 * held-out split, and the app's own readouts taken at τ = 0, τ = 1 and the swept τ. Everything
 * goes through the page's test ids, as a user would click it.
 *
 *   node bench/effect/run.mjs            (writes the table into docs/LEARN.md; --no-write: print only)
 *
 * Accuracy, not speed: the figures do not depend on the machine (beyond float rounding).
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';
import { ensureAppBuild, freePort, parseBenchArgs, sectionMarkers, startPreview, stopPreview, writeSection } from '../lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const distDir = path.join(root, 'bench', '.data', 'effect-dist');
const { values: opts } = parseBenchArgs({
  script: 'bench/effect/run.mjs',
  summary: "What post-hoc logit adjustment does on the demo dataset, measured in the app; writes the table into docs/LEARN.md.",
  options: { 'no-write': { type: 'boolean', help: 'print the table only, leave docs/LEARN.md alone' } },
});
const write = !opts['no-write'];
const MARKERS = sectionMarkers('effect');
const log = (...a) => console.error('[bench:effect]', ...a);

// The demo dataset is the one real long-tailed image set every clone has (docs/DEMO_DATA.md).
const METRICS = [
  ['metric-top1', 'top-1'],
  ['metric-macro-f1', 'macro-F1'],
  ['metric-balanced-acc', 'balanced acc.'],
  ['metric-many', 'many'],
  ['metric-medium', 'medium'],
  ['metric-few', 'few'],
];
const CLASSIFIERS = [
  { label: 'NCM, cosine', kind: 'ncm-cosine' },
  { label: 'linear probe, 30 epochs, cross-entropy', kind: 'probe', epochs: 30 },
  { label: 'linear probe, 30 epochs, logit-adjusted loss', kind: 'probe', epochs: 30, logitAdjusted: true },
  { label: 'linear probe, 30 epochs, class-balanced sampling', kind: 'probe', epochs: 30, classBalanced: true },
];

function build() {
  for (const script of ['demo', 'model']) {
    const r = spawnSync('npm', ['run', script, '--silent'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`npm run ${script} failed`);
  }
  ensureAppBuild({ root, distDir, log });
}

async function settled(page) {
  await page.waitForFunction(() => !/fitting|sweeping|evaluating|exporting/.test(document.querySelector('[data-testid="classify-status"]')?.getAttribute('data-state') ?? ''), null, { timeout: 600_000 });
  const error = await page.getByTestId('classify-error').count();
  if (error) throw new Error(`the page says: ${await page.getByTestId('classify-error').innerText()}`);
}

async function readMetrics(page) {
  const out = {};
  for (const [id] of METRICS) {
    out[id] = Number(await page.getByTestId(id).getAttribute('data-value'));
    out[`${id}-tau0`] = Number(await page.getByTestId(`${id}-tau0`).getAttribute('data-value'));
  }
  return out;
}

async function setTau(page, tau) {
  await page.getByTestId('tau-input').fill(String(tau));
  await page.waitForFunction((t) => document.querySelector('[data-testid="metrics"]')?.getAttribute('data-tau') === t, String(tau), { timeout: 120_000 });
  await settled(page);
}

build();
const port = await freePort(4330);
const server = await startPreview({ root, port, distDir, log });
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
const results = [];
let heldout = 0;
let trainImages = 0;
try {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.getByTestId('load-demo').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="stat-images"]')?.getAttribute('data-value')) > 0, null, { timeout: 120_000 });
  trainImages = Number(await page.getByTestId('stat-images').getAttribute('data-value'));
  await page.getByTestId('backend-select').selectOption('wasm');
  log('embedding the demo dataset (WASM, the default layer) ...');
  const t0 = Date.now();
  await page.getByTestId('embed-start').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="embed-status"]')?.getAttribute('data-state') === 'done', null, { timeout: 900_000 });
  log(`embedded in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  for (const c of CLASSIFIERS) {
    log(`${c.label} ...`);
    await page.getByTestId('classifier-select').selectOption(c.kind);
    if (c.kind === 'probe') {
      await page.getByTestId('probe-epochs').fill(String(c.epochs));
      await page.getByTestId('probe-logit-adjusted').setChecked(Boolean(c.logitAdjusted));
      await page.getByTestId('probe-class-balanced').setChecked(Boolean(c.classBalanced));
    }
    await page.getByTestId('classify-fit').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="classify-status"]')?.getAttribute('data-state') === 'fitted', null, { timeout: 600_000 });
    await settled(page);
    heldout = Number(await page.getByTestId('classifier-info').getAttribute('data-heldout-rows'));
    await page.getByTestId('tau-auto').click();
    await page.getByTestId('tau-sweep').waitFor({ timeout: 600_000 });
    await settled(page);
    const bestTau = Number(await page.getByTestId('tau-sweep').getAttribute('data-best-tau'));
    const atBest = await readMetrics(page);
    await setTau(page, 1);
    const atOne = await readMetrics(page);
    results.push({ ...c, bestTau, atBest, atOne });
  }
} finally {
  await browser.close();
  stopPreview(server.child);
}

const pct = (v) => (Number.isFinite(v) ? (100 * v).toFixed(1) : 'n/a');
const lines = [
  MARKERS.start,
  '### The effect on a real long-tailed image set (the demo dataset)',
  '',
  'Written by `node bench/effect/run.mjs`; do not edit by hand between the markers.',
  '',
  `The bundled demo dataset (${trainImages.toLocaleString('en-US')} train images, 99 classes of 180 → 2 images, imbalance ratio 90), embedded in the app with the bundled MobileNetV2 at its default layer (block 10, 96-d, WASM), default 20% held out per class (${heldout} held-out images). Each classifier fitted in the app; the app's readouts (%), many/medium/few being mean per-class recall in each band (the app's default band limits), at τ = 0 (as trained), τ = 1 (Menon et al.'s Bayes-optimal value for the balanced error) and the τ that \`tau-auto\` picks (best held-out macro-F1). The held-out split is small: one image of a few-shot class is several points of the few-shot figure.`,
  '',
  '| classifier | τ | ' + METRICS.map(([, name]) => name).join(' | ') + ' |',
  '|---|---:|' + METRICS.map(() => '---:').join('|') + '|',
];
for (const r of results) {
  lines.push(`| ${r.label} | 0 | ${METRICS.map(([id]) => pct(r.atOne[`${id}-tau0`])).join(' | ')} |`);
  lines.push(`| | 1 | ${METRICS.map(([id]) => pct(r.atOne[id])).join(' | ')} |`);
  lines.push(`| | ${r.bestTau} (swept) | ${METRICS.map(([id]) => pct(r.atBest[id])).join(' | ')} |`);
}
lines.push(MARKERS.end);
const section = lines.join('\n');
console.log(section);
fs.writeFileSync(path.join(root, 'bench', '.data', 'effect-result.json'), JSON.stringify({ trainImages, heldout, results }, null, 2));
if (write) {
  writeSection('effect', section, { file: path.join(root, 'docs', 'LEARN.md') });
  log('wrote the effect section of docs/LEARN.md');
}
