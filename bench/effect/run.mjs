#!/usr/bin/env node
/**
 * Evidence (issue 11): does the default path (Classify → auto) reach the best classifier an outside
 * NumPy / scikit-learn reference gets from the same embeddings, on two long-tailed image sets, and
 * does post-hoc logit adjustment move test balanced accuracy the way Menon et al. report?
 *
 *   1. the bundled demo set (`load-demo`; 99 emoji classes, 180 → 2 images; its test split is drawn
 *      from the long-tailed classes like the train set: test-prior `train`), answer key
 *      public/demo/test_labels.csv;
 *   2. Fashion-MNIST-LT (scripts/make-lt-set.mjs → bench/.data/lt-set, docs/LT_SET.md; 10 classes,
 *      200 → 2 train images, a BALANCED test split of 50 per class: test-prior `balanced`), given to
 *      the page as a folder (`folder-input`, as e2e/pages/LabPage.ts loadFolder) WITHOUT its answer
 *      key, answer key test_labels.csv.
 *
 * Everything in the app goes through its test ids, as a user clicks: embed once (WASM, the default
 * layer), download embeddings.npz; then for auto (the default), ncm-cosine, lda, hierarchical and
 * probe: select it, set test-prior, Fit, read the validated estimate (the compared-classifier row
 * of the fitted kind; for auto every row), and for τ ∈ {chosen, 0, 1} type τ, download
 * submission.csv and score it here against the answer key (test macro-F1 with sklearn's
 * f1_score(average='macro') semantics, balanced accuracy, top-1). Outside the app,
 * bench/effect/reference.py fits balanced NCM, shrinkage LDA and the τ = 1 probe on the downloaded
 * embeddings.npz; bench/effect/sklearn_scores.py re-scores every submission with scikit-learn to
 * check the scorer here.
 *
 *   node bench/effect/run.mjs                 (both sets; writes the section of docs/LEARN.md)
 *   node bench/effect/run.mjs --set lt        (one set; the other set's last results are kept)
 *   node bench/effect/run.mjs --no-write      (print only)
 *   node bench/effect/run.mjs --commit HEAD   (the app as committed, not the working tree)
 *
 * Raw results: bench/.data/effect-result.json; downloads under bench/.data/effect/<set>/.
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';
import { ensureAppBuild, freePort, machineInfo, parseBenchArgs, sectionMarkers, startPreview, stopPreview, writeSection, cleanupOnSignals } from '../lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const dataDir = path.join(root, 'bench', '.data');
const distDir = path.join(dataDir, 'effect-dist');
const outDir = path.join(dataDir, 'effect');
const resultFile = path.join(dataDir, 'effect-result.json');
const PYTHON = process.env.PYTHON || '/usr/bin/python3';
const { values: opts, argv } = parseBenchArgs({
  script: 'bench/effect/run.mjs',
  summary: 'Every classifier of the app on the demo set and Fashion-MNIST-LT, measured in the app against the answer keys and a NumPy reference; writes the section of docs/LEARN.md.',
  options: {
    'no-write': { type: 'boolean', help: 'print the section only, leave docs/LEARN.md alone' },
    set: { type: 'string', arg: 'demo|lt|both', default: 'both', help: 'which set(s) to measure' },
    commit: { type: 'string', arg: 'REV', help: "build the app from this commit (git archive) instead of the working tree, so uncommitted edits to src/ do not enter the measurement" },
  },
});
const write = !opts['no-write'];
if (!['demo', 'lt', 'both'].includes(opts.set)) {
  console.error(`bench/effect/run.mjs: --set takes demo, lt or both, not ${JSON.stringify(opts.set)}`);
  process.exit(2);
}
const MARKERS = sectionMarkers('effect');
const log = (...a) => console.error(`[bench:effect ${new Date().toISOString().slice(11, 19)}]`, ...a);

/** A single fit slower than this is reported (the brief's budget). */
const SLOW_FIT_S = 300;
const FIT_TIMEOUT_MS = 20 * 60_000;
const EMBED_TIMEOUT_MS = 20 * 60_000;
const BUSY = /fitting|sweeping|evaluating|exporting/;

const KINDS = [
  { kind: 'auto', label: 'auto (the default)' },
  { kind: 'ncm-cosine', label: 'NCM, cosine' },
  { kind: 'lda', label: 'shrinkage LDA' },
  { kind: 'hierarchical', label: 'taxonomy back-off' },
  { kind: 'probe', label: 'linear probe (cross-entropy)' },
];
const METRICS = ['metric-top1', 'metric-macro-f1', 'metric-balanced-acc', 'metric-many', 'metric-medium', 'metric-few'];

const ltSource = path.join(dataDir, 'lt-set');
const ltFolder = path.join(dataDir, 'effect-lt-folder');
const SETS = {
  demo: {
    title: 'the demo set (emoji long tail)',
    testPrior: 'train',
    answerKey: path.join(root, 'public', 'demo', 'test_labels.csv'),
    async load(page) {
      await finishing(page, () => page.getByTestId('load-demo').click());
    },
  },
  lt: {
    title: 'Fashion-MNIST-LT',
    testPrior: 'balanced',
    answerKey: path.join(ltSource, 'test_labels.csv'),
    async load(page) {
      await finishing(page, () => page.getByTestId('folder-input').setInputFiles(ltFolder));
    },
  },
};
const setNames = opts.set === 'both' ? ['demo', 'lt'] : [opts.set];

// ---------------------------------------------------------------------------------------------
// Scoring a submission (sklearn semantics)

/** Id → category id of a two-column CSV with a header (submission.csv, or an answer key). */
function readPairs(text, what) {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(',').map((s) => s.trim());
  if (!(header[0] === 'Id' && header[1] === 'Predicted') && !(header[0] === 'image_id' && header[1] === 'category_id')) throw new Error(`${what}: unexpected header ${lines[0]}`);
  const out = new Map();
  for (const line of lines.slice(1)) {
    const [id, c] = line.split(',');
    const v = Number(c);
    if (!Number.isInteger(v)) throw new Error(`${what}: ${line}: not a category id`);
    if (out.has(id)) throw new Error(`${what}: ${id} twice`);
    out.set(id, v);
  }
  return { header: lines[0], rows: lines.length - 1, pairs: out };
}

/**
 * Test macro-F1 as sklearn's f1_score(y_true, y_pred, average='macro') (the mean over the classes
 * in y_true ∪ y_pred, F1 = 2tp / (2tp + fp + fn), 0 where that is 0/0), balanced accuracy as
 * balanced_accuracy_score (mean recall over the classes in y_true) and top-1.
 */
export function testScores(truth, pred) {
  const tp = new Map();
  const fp = new Map();
  const fn = new Map();
  const inc = (m, k) => m.set(k, (m.get(k) ?? 0) + 1);
  let correct = 0;
  let n = 0;
  const missing = [];
  for (const [id, y] of truth) {
    if (!pred.has(id)) {
      missing.push(id);
      continue;
    }
    const p = pred.get(id);
    n++;
    if (p === y) {
      correct++;
      inc(tp, y);
    } else {
      inc(fp, p);
      inc(fn, y);
    }
  }
  if (missing.length) throw new Error(`submission lacks ${missing.length} test ids of the answer key (${missing.slice(0, 3).join(', ')} …)`);
  const extra = [...pred.keys()].filter((id) => !truth.has(id));
  if (extra.length) throw new Error(`submission has ${extra.length} ids not in the answer key (${extra.slice(0, 3).join(', ')} …)`);
  const trueClasses = new Set(truth.values());
  const labels = new Set([...trueClasses, ...pred.values()]);
  let f1 = 0;
  for (const c of labels) {
    const t = tp.get(c) ?? 0;
    const d = 2 * t + (fp.get(c) ?? 0) + (fn.get(c) ?? 0);
    f1 += d > 0 ? (2 * t) / d : 0;
  }
  let recall = 0;
  let f1True = 0;
  for (const c of trueClasses) {
    const t = tp.get(c) ?? 0;
    recall += t / (t + (fn.get(c) ?? 0));
    f1True += (2 * t) / (2 * t + (fp.get(c) ?? 0) + (fn.get(c) ?? 0));
  }
  return {
    macroF1: f1 / labels.size,
    balancedAccuracy: recall / trueClasses.size,
    top1: correct / n,
    n,
    /** Classes in y_true ∪ y_pred (the macro mean's), and in y_true. */
    labels: labels.size,
    trueClasses: trueClasses.size,
    /** Diagnostic only: macro-F1 over the test's own classes (f1_score(labels=classes of y_true)). */
    macroF1TrueClasses: f1True / trueClasses.size,
  };
}

// ---------------------------------------------------------------------------------------------
// The page

/** Runs `act` and waits until the load it starts has finished (as e2e/pages/LabPage.ts finishing). */
async function finishing(page, act) {
  const before = Number(await page.getByTestId('dropzone').getAttribute('data-actions-done'));
  await act();
  await page.waitForFunction((b) => Number(document.querySelector('[data-testid="dropzone"]')?.getAttribute('data-actions-done')) > b, before, { timeout: 180_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid="load-progress"]') && !document.querySelector('[data-testid="load-demo"]')?.hasAttribute('disabled'), null, { timeout: 180_000 });
}

const attr = (page, id, name) => page.getByTestId(id).getAttribute(name);
const num = (v) => (v === null || v === '' ? null : Number(v));

async function classifyError(page) {
  return (await page.getByTestId('classify-error').count()) ? await page.getByTestId('classify-error').innerText() : null;
}

/** Waits until no classifier job runs; throws what the page says when one failed. */
async function settled(page, timeout = FIT_TIMEOUT_MS) {
  await page.waitForFunction((re) => !new RegExp(re).test(document.querySelector('[data-testid="classify-status"]')?.getAttribute('data-state') ?? ''), BUSY.source, { timeout });
  const error = await classifyError(page);
  if (error) throw new Error(`the page says: ${error}`);
}

async function readMetrics(page) {
  const out = { tau: num(await attr(page, 'metrics', 'data-tau')) };
  for (const id of METRICS) {
    out[id] = num(await attr(page, id, 'data-value'));
    out[`${id}-tau0`] = num(await attr(page, `${id}-tau0`, 'data-value'));
  }
  out.ciLow = num(await attr(page, 'metric-macro-f1', 'data-ci-low'));
  out.ciHigh = num(await attr(page, 'metric-macro-f1', 'data-ci-high'));
  return out;
}

async function readInfo(page) {
  const info = page.getByTestId('classifier-info');
  const names = ['data-kind', 'data-requested', 'data-refit', 'data-validation', 'data-test-prior', 'data-tau', 'data-backend', 'data-scale', 'data-train-rows', 'data-probe-rows', 'data-heldout-rows'];
  const out = {};
  for (const n of names) out[n.slice(5)] = await info.getAttribute(n);
  out.text = await info.innerText();
  out.status = await page.getByTestId('classify-status').innerText();
  return out;
}

async function readCompared(page) {
  return page.getByTestId('compared-classifier').evaluateAll((rows) =>
    rows.map((r) => {
      const cells = [...r.querySelectorAll('td')].map((td) => td.textContent.trim());
      const n = (a) => (r.getAttribute(a) === null || r.getAttribute(a) === '' ? null : Number(r.getAttribute(a)));
      return {
        kind: r.getAttribute('data-kind'),
        label: r.getAttribute('data-label'),
        macroF1: n('data-macro-f1'),
        ciLow: n('data-ci-low'),
        ciHigh: n('data-ci-high'),
        tau: n('data-tau'),
        tauAttr: r.getAttribute('data-tau'),
        winner: r.getAttribute('data-winner') === 'true',
        resolved: r.getAttribute('data-resolved'),
        setting: cells[1],
        top1: cells[5],
        balanced: cells[6],
        verdict: cells[7],
        time: cells[8],
      };
    }),
  );
}

/** Types τ and waits until the metrics are the ones at τ and the page is idle. */
async function setTau(page, tauText) {
  const current = await attr(page, 'metrics', 'data-tau');
  if (current !== null && Number(current) === Number(tauText)) return;
  await page.getByTestId('tau-input').fill(tauText);
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid="metrics"]')?.getAttribute('data-tau')) === t, Number(tauText), { timeout: 300_000 });
  await settled(page, 300_000);
}

async function download(page, testId, file) {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 300_000 }), page.getByTestId(testId).click()]);
  await d.saveAs(file);
  return { name: d.suggestedFilename(), file };
}

// ---------------------------------------------------------------------------------------------
// One set

async function measureSet(browser, url, name) {
  const set = SETS[name];
  const dir = path.join(outDir, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const truth = readPairs(fs.readFileSync(set.answerKey, 'utf8'), set.answerKey).pairs;
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const t0 = Date.now();
  const out = { set: name, title: set.title, testPrior: set.testPrior, answerKey: path.relative(root, set.answerKey), date: new Date().toISOString(), app: app.from, classifiers: [], pageErrors };
  try {
    await page.goto(url);
    await page.getByTestId('load-demo').waitFor({ timeout: 60_000 });
    log(`${name}: loading ${set.title} ...`);
    await set.load(page);
    out.stats = {};
    for (const id of ['stat-images', 'stat-classes', 'stat-genera', 'stat-families', 'stat-max-class', 'stat-min-class', 'stat-imbalance-ratio', 'stat-test-images'])
      out.stats[id] = num(await attr(page, id, 'data-value'));
    if (!(out.stats['stat-test-images'] > 0)) throw new Error(`${name}: the page has no test images after loading`);
    out.alerts = await page.getByRole('alert').allInnerTexts();

    await page.getByTestId('backend-select').selectOption('wasm');
    if (!(await page.getByTestId('include-test').isChecked())) await page.getByTestId('include-test').check();
    out.embedSettings = {
      layer: await page.getByTestId('layer-select').inputValue(),
      heldoutFraction: await page.getByTestId('heldout-fraction').inputValue(),
      batch: await page.getByTestId('batch-size').inputValue(),
    };
    log(`${name}: embedding (WASM, layer ${out.embedSettings.layer}) ...`);
    const te = Date.now();
    await page.getByTestId('embed-start').click();
    await page.waitForFunction(() => /done|error/.test(document.querySelector('[data-testid="embed-status"]')?.getAttribute('data-state') ?? ''), null, { timeout: EMBED_TIMEOUT_MS });
    if ((await attr(page, 'embed-status', 'data-state')) !== 'done') throw new Error(`${name}: embedding failed: ${await page.getByTestId('embed-status').innerText()}`);
    out.embedSeconds = (Date.now() - te) / 1000;
    out.embedded = Number(await attr(page, 'embed-progress', 'aria-valuemax'));
    out.skipped = num(await attr(page, 'stat-skipped-images', 'data-value'));
    out.backend = await attr(page, 'backend', 'data-value');
    log(`${name}: embedded ${out.embedded} images in ${out.embedSeconds.toFixed(0)} s (${out.backend}), ${out.skipped} skipped`);

    // The embeddings, and the reference outside the app.
    const npz = await download(page, 'download-embeddings', path.join(dir, 'embeddings.npz'));
    const refJson = path.join(dir, 'reference.json');
    const tr = Date.now();
    const r = spawnSync(PYTHON, [path.join(here, 'reference.py'), '--embeddings', npz.file, '--test-labels', set.answerKey, '--json', refJson], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`reference.py failed (${r.status}): ${r.stderr}`);
    out.reference = JSON.parse(fs.readFileSync(refJson, 'utf8'));
    out.referenceSeconds = (Date.now() - tr) / 1000;
    if (r.stderr.trim()) out.referenceStderr = r.stderr.trim();
    log(`${name}: reference: NCM ${out.reference.ncm_balanced.macro_f1.toFixed(3)}, LDA ${out.reference.lda_shrinkage.macro_f1.toFixed(3)}, probe τ=1 ${out.reference.probe_tau1.macro_f1.toFixed(3)}; best ${out.reference.best.toFixed(3)} (${out.reference.best_classifier})`);

    for (const c of KINDS) {
      const rec = { kind: c.kind, label: c.label };
      out.classifiers.push(rec);
      try {
        await measureClassifier(page, set, c, rec, dir, truth);
      } catch (e) {
        rec.error = String(e?.message ?? e).split('\n')[0];
        log(`${name}: ${c.kind} FAILED: ${rec.error}`);
        // Let the page come back to rest for the next one.
        try {
          if (BUSY.test((await attr(page, 'classify-status', 'data-state')) ?? '')) {
            await page.getByTestId('classify-cancel').click();
            await page.waitForFunction((re) => !new RegExp(re).test(document.querySelector('[data-testid="classify-status"]')?.getAttribute('data-state') ?? ''), BUSY.source, { timeout: 60_000 });
          }
        } catch {
          /* the next classifier reports it */
        }
      }
    }
  } finally {
    out.seconds = (Date.now() - t0) / 1000;
    await context.close();
  }
  return out;
}

async function measureClassifier(page, set, c, rec, dir, truth) {
  log(`  ${c.kind}: fit (test-prior ${set.testPrior}) ...`);
  await page.getByTestId('classifier-select').selectOption(c.kind);
  await page.getByTestId('test-prior').selectOption(set.testPrior);
  rec.validationMode = await page.getByTestId('validation-mode').inputValue();
  rec.probeSettings =
    c.kind === 'probe' || c.kind === 'auto'
      ? {
          epochs: await page.getByTestId('probe-epochs').inputValue(),
          logitAdjusted: await page.getByTestId('probe-logit-adjusted').isChecked(),
          classBalanced: await page.getByTestId('probe-class-balanced').isChecked(),
        }
      : null;
  // The previous fit's readout is marked: the new fit's is a new element (the fit empties it first).
  await page.evaluate(() => document.querySelector('[data-testid="classifier-info"]')?.setAttribute('data-bench-stale', '1'));
  const t0 = Date.now();
  await page.getByTestId('classify-fit').click();
  await page.waitForFunction(
    (re) => {
      const state = document.querySelector('[data-testid="classify-status"]')?.getAttribute('data-state') ?? '';
      if (state === 'error') return true;
      const info = document.querySelector('[data-testid="classifier-info"]');
      return !new RegExp(re).test(state) && info && !info.hasAttribute('data-bench-stale') && document.querySelector('[data-testid="metrics"]');
    },
    BUSY.source,
    { timeout: FIT_TIMEOUT_MS, polling: 250 },
  );
  rec.fitSeconds = (Date.now() - t0) / 1000;
  const error = await classifyError(page);
  if (error) throw new Error(`the page says: ${error}`);
  if (rec.fitSeconds > SLOW_FIT_S) log(`  ${c.kind}: the fit took ${rec.fitSeconds.toFixed(0)} s (over ${SLOW_FIT_S} s)`);
  rec.info = await readInfo(page);
  rec.compared = await readCompared(page);
  rec.fitted = rec.info.kind;
  const row = rec.compared.find((r) => r.kind === rec.fitted);
  if (!row) throw new Error(`no compared-classifier row of the fitted kind ${rec.fitted}`);
  rec.validated = { macroF1: row.macroF1, ciLow: row.ciLow, ciHigh: row.ciHigh, tau: row.tau, setting: row.setting };
  rec.chosenTauText = rec.info.tau;
  rec.chosenTau = Number(rec.info.tau);
  if (row.tau !== rec.chosenTau) rec.odd = [...(rec.odd ?? []), `classifier-info data-tau ${rec.info.tau} but its compared row says τ = ${row.tauAttr}`];
  log(
    `  ${c.kind}: fitted ${rec.fitted} in ${rec.fitSeconds.toFixed(1)} s; validated macro-F1 ${row.macroF1.toFixed(3)} [${row.ciLow.toFixed(3)}, ${row.ciHigh.toFixed(3)}] at τ = ${rec.chosenTau}` +
      (c.kind === 'auto' ? `; rows: ${rec.compared.map((r) => `${r.kind} ${r.macroF1.toFixed(3)}${r.winner ? '*' : ''}`).join(', ')}` : ''),
  );
  rec.at = {};
  const taus = [rec.chosenTauText, '0', '1'];
  for (const t of taus) {
    if (rec.at[String(Number(t))]) continue;
    await setTau(page, t);
    const validated = await readMetrics(page);
    const file = path.join(dir, `submission-${c.kind}-tau${Number(t)}.csv`);
    await download(page, 'download-submission', file);
    await settled(page, 300_000);
    const sub = readPairs(fs.readFileSync(file, 'utf8'), file);
    const info = page.getByTestId('submission-info');
    const subInfo = { rows: num(await info.getAttribute('data-rows')), notEmbedded: num(await info.getAttribute('data-not-embedded')), text: await info.locator('p').first().innerText() };
    const scores = testScores(truth, sub.pairs);
    rec.at[String(Number(t))] = { tau: Number(t), validated, test: scores, submission: { file: path.relative(root, file), header: sub.header, ...subInfo } };
    log(`    τ = ${Number(t)}: test macro-F1 ${scores.macroF1.toFixed(3)}, balanced acc. ${scores.balancedAccuracy.toFixed(3)}, top-1 ${scores.top1.toFixed(3)} (validated macro-F1 ${validated['metric-macro-f1']?.toFixed(3)})`);
    if (subInfo.notEmbedded) rec.odd = [...(rec.odd ?? []), `${subInfo.notEmbedded} test images not embedded at τ = ${t}`];
  }
}

// ---------------------------------------------------------------------------------------------
// The section

const f3 = (v) => (v == null || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));
const tauS = (v) => (v == null || !Number.isFinite(v) ? 'n/a' : String(Number(v.toFixed(4))));
const kindName = { 'ncm-cosine': 'NCM cosine', 'ncm-euclidean': 'NCM euclidean', lda: 'shrinkage LDA', hierarchical: 'taxonomy back-off', probe: 'linear probe' };

function tableLines(s) {
  const lines = [
    '| classifier | fitted | validated macro-F1 [95% CI] | chosen τ | test macro-F1 τ = 0 | τ = 1 | chosen τ | test bal. acc. τ = 0 | τ = 1 | chosen τ | fit |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of s.classifiers) {
    if (c.error) {
      lines.push(`| ${c.label} | **failed**: ${c.error.replace(/\|/g, '\\|')} | | | | | | | | | |`);
      continue;
    }
    const at = (t, k) => c.at[String(t)]?.test?.[k];
    lines.push(
      `| ${c.label} | ${kindName[c.fitted] ?? c.fitted}${c.validated.setting && c.validated.setting !== (kindName[c.fitted] ?? c.fitted) ? ` (${c.validated.setting})` : ''} | ${f3(c.validated.macroF1)} [${f3(c.validated.ciLow)}, ${f3(c.validated.ciHigh)}] | ${tauS(c.chosenTau)} | ${f3(at(0, 'macroF1'))} | ${f3(at(1, 'macroF1'))} | **${f3(at(c.chosenTau, 'macroF1'))}** | ${f3(at(0, 'balancedAccuracy'))} | ${f3(at(1, 'balancedAccuracy'))} | ${f3(at(c.chosenTau, 'balancedAccuracy'))} | ${c.fitSeconds.toFixed(0)} s |`,
    );
  }
  return lines;
}

function autoOf(s) {
  return s.classifiers.find((c) => c.kind === 'auto' && !c.error);
}

function goalOf(s) {
  const a = autoOf(s);
  const x = a?.at[String(a.chosenTau)]?.test.macroF1;
  const y = s.reference.best;
  return { x, y, met: x != null && x >= y - 0.02 };
}

/** One sentence: whether the validated estimates predicted the test figures (their level, and the choice). */
function validationSentence(s) {
  const ok = s.classifiers.filter((c) => !c.error && c.kind !== 'auto');
  if (!ok.length) return 'No classifier fitted, so nothing to compare.';
  const test = (c) => c.at[String(c.chosenTau)].test.macroF1;
  const name = (c) => kindName[c.fitted] ?? c.fitted;
  const inside = ok.filter((c) => test(c) >= c.validated.ciLow && test(c) <= c.validated.ciHigh);
  const byVal = [...ok].sort((a, b) => b.validated.macroF1 - a.validated.macroF1);
  const byTest = [...ok].sort((a, b) => test(b) - test(a));
  const meanGap = ok.reduce((t, c) => t + (test(c) - c.validated.macroF1), 0) / ok.length;
  const a = autoOf(s);
  const pick = ok.find((c) => c.fitted === (a ? a.fitted : byVal[0].fitted));
  const lost = pick ? test(byTest[0]) - test(pick) : null;
  const level = inside.length === ok.length ? 'predicted' : inside.length * 2 >= ok.length ? 'partly predicted' : 'did not predict';
  const choice = lost === null ? null : lost <= 0.02 ? 'did predict' : 'did not predict';
  const rankSame = byVal.map((c) => c.kind).join() === byTest.map((c) => c.kind).join();
  return (
    `Validation ${level} the test level here (the test macro-F1 at the chosen τ fell inside the validated 95% interval for ${inside.length} of ${ok.length} classifiers; test − validated ${meanGap >= 0 ? '+' : ''}${meanGap.toFixed(3)} on average)` +
    (choice ? ` and ${choice} the choice (validation ranked ${byVal.map(name).join(' > ')}, the test ${rankSame ? 'the same' : byTest.map(name).join(' > ')}; auto's pick, ${name(pick)}, is ${lost <= 1e-12 ? 'the best on the test' : `${lost.toFixed(3)} below the best on the test`}).` : '.')
  );
}

/** Where the macro mean counts classes the test does not have (predicted but absent: an F1 of 0 each). */
function coverageSentence(s) {
  const rows = s.classifiers.filter((c) => !c.error && c.kind !== 'auto' && c.kind !== 'hierarchical');
  const k = rows[0]?.at['0']?.test.trueClasses;
  const extra = rows.map((c) => ({ c, t: c.at[String(c.chosenTau)].test, t0: c.at['0'].test })).filter(({ t }) => t.labels > t.trueClasses);
  if (!extra.length) return null;
  const over = extra.filter(({ c, t, t0 }) => c.chosenTau > 0 && t0.macroF1 > t.macroF1);
  return (
    `The test holds ${k} of the ${s.stats['stat-classes']} classes; every other class a classifier predicts enters the macro mean with F1 = 0 (sklearn's labels = y_true ∪ y_pred), and τ > 0 moves predictions to exactly those tail classes: at the chosen τ ` +
    extra.map(({ c, t, t0 }) => `${kindName[c.fitted] ?? c.fitted} predicts ${t.labels - t.trueClasses} absent classes (${t0.labels - t0.trueClasses} at τ = 0; macro-F1 over the test's own classes ${f3(t.macroF1TrueClasses)})`).join(', ') +
    '.' +
    (over.length ? ` Validation (every labelled image, all classes) cannot see this: for ${over.map(({ c }) => kindName[c.fitted] ?? c.fitted).join(', ')} the test macro-F1 is higher at τ = 0 than at the validated τ.` : '')
  );
}

function paperLines(s) {
  const p = s.classifiers.find((c) => c.kind === 'probe' && !c.error);
  if (!p) return ['The probe did not fit on this set, so the direction of the effect is not measured.'];
  const b0 = p.at['0'].test.balancedAccuracy;
  const b1 = p.at['1'].test.balancedAccuracy;
  const v0 = p.at['1'].validated['metric-balanced-acc-tau0'];
  const v1 = p.at['1'].validated['metric-balanced-acc'];
  const plain = /γ = 0\b/.test(p.validated.setting ?? '');
  return [
    `**The paper's direction of effect** (Menon et al. 2021, CIFAR-10-LT: balanced accuracy 0.714 at τ = 0 → 0.773 at τ = 1 for a cross-entropy network): the app's linear probe trained with plain cross-entropy (${p.validated.setting}${plain ? '' : '; its weights are τ-normalised by the chosen γ, so τ = 0 is already partly balanced'}) gets test balanced accuracy **${f3(b0)} at τ = 0 → ${f3(b1)} at τ = 1** on the balanced test split (${b1 > b0 ? 'the same direction' : b1 < b0 ? 'the OPPOSITE direction' : 'no change'}, ${b1 - b0 >= 0 ? '+' : ''}${(b1 - b0).toFixed(3)}; validated with balanced weights: ${f3(v0)} → ${f3(v1)}).`,
  ];
}

function setLines(s) {
  const st = s.stats;
  const ref = s.reference;
  const g = goalOf(s);
  const a = autoOf(s);
  const lines = [
    `#### ${s.set === 'demo' ? 'The demo set' : 'Fashion-MNIST-LT'} (test-prior \`${s.testPrior}\`)`,
    '',
    `${s.set === 'demo' ? `The bundled demo set (\`load-demo\`): ${n(st['stat-images'])} train images of ${n(st['stat-classes'])} classes (${n(st['stat-max-class'])} → ${n(st['stat-min-class'])}), ${n(st['stat-test-images'])} test images drawn from the larger classes like the train set, answer key \`public/demo/test_labels.csv\`.` : `Fashion-MNIST-LT (\`node scripts/make-lt-set.mjs\`, docs/LT_SET.md) given to \`folder-input\` without its answer key: ${n(st['stat-images'])} train images of ${n(st['stat-classes'])} classes (${n(st['stat-max-class'])} → ${n(st['stat-min-class'])}), a balanced test split of ${n(st['stat-test-images'])}, answer key \`bench/.data/lt-set/test_labels.csv\`.`} ` +
      `Embedded once in ${s.embedSeconds.toFixed(0)} s (${s.backend}, layer ${s.embedSettings.layer}, ${ref.dim}-d; ${s.embedded} images; ${ref.rows.train} train + ${ref.rows.heldout} held-out + ${ref.rows.test} test rows); ${s.classifiers[0]?.validationMode ?? 'cross'} validation; whole set ${(s.seconds / 60).toFixed(1)} min.`,
    '',
    ...tableLines(s),
    '',
  ];
  if (a) {
    lines.push(
      `auto compared (validated macro-F1 [95% CI], τ): ${a.compared.map((r) => `${r.winner ? '**' : ''}${kindName[r.kind] ?? r.kind} ${f3(r.macroF1)} [${f3(r.ciLow)}, ${f3(r.ciHigh)}], τ ${tauS(r.tau)}${r.winner ? '** (kept)' : r.resolved === 'false' ? ' (not resolved)' : ''}`).join('; ')}.`,
      '',
    );
  }
  lines.push(
    `NumPy / scikit-learn reference outside the app (\`bench/effect/reference.py\` on the app's embeddings.npz, fitted on train + held-out, balanced): NCM cosine ${f3(ref.ncm_balanced.macro_f1)} (bal. acc. ${f3(ref.ncm_balanced.balanced_accuracy)}), shrinkage LDA ${f3(ref.lda_shrinkage.macro_f1)} (${f3(ref.lda_shrinkage.balanced_accuracy)}), probe + τ = 1 ${f3(ref.probe_tau1.macro_f1)} (${f3(ref.probe_tau1.balanced_accuracy)}); best **${f3(ref.best)}** (${ref.best_classifier}).`,
    '',
    `**Goal: default path (auto) test macro-F1 ${f3(g.x)} ≥ best reference ${f3(g.y)} − 0.02: ${g.met ? 'met' : 'NOT met'}.**`,
    '',
    validationSentence(s),
    '',
  );
  const coverage = coverageSentence(s);
  if (coverage) lines.push(coverage, '');
  if (s.set === 'lt') lines.push(...paperLines(s), '');
  const odd = s.classifiers.flatMap((c) => (c.odd ?? []).map((o) => `${c.kind}: ${o}`));
  if (s.pageErrors.length) odd.push(`uncaught page errors: ${s.pageErrors.slice(0, 3).join(' / ')}`);
  if (s.skipped) odd.push(`${s.skipped} images could not be embedded`);
  if (odd.length) lines.push(`Odd: ${odd.join('; ')}.`, '');
  return lines;
}

const n = (v) => (v == null ? 'n/a' : Number(v).toLocaleString('en-US'));

function section(all, machine) {
  const lines = [
    MARKERS.start,
    '### Evidence: every classifier on two long-tailed sets, in the app, against the answer keys',
    '',
    'Written by `node bench/effect/run.mjs`; do not edit by hand between the markers.',
    '',
    '```sh',
    'npm run bench:effect            # node bench/effect/run.mjs [--set demo|lt|both] [--no-write]',
    '```',
    '',
    "Everything in the app through its test ids, as a user clicks: load, embed once (WASM, the default layer), then for each classifier select it, set `test-prior`, Fit, read the validated estimate (the `compared-classifier` row of the fitted kind: cross-validated macro-F1 with its 95% stratified bootstrap interval, and the τ validation chose), type τ = 0, 1 and the chosen τ, download `submission.csv` at each and score it against the answer key (test macro-F1 as sklearn's `f1_score(average='macro')`, mean over the classes in y_true ∪ y_pred; balanced accuracy = mean recall over the test's classes; every submission re-scored by scikit-learn, `bench/effect/sklearn_scores.py`). The validated figures weigh images to the test-prior; the test figures are the answer key's. Bold: the test figure of what a user downloads after Fit.",
    '',
  ];
  for (const name of ['demo', 'lt']) if (all[name]) lines.push(...setLines(all[name]));
  lines.push(
    `Machine: ${machine.date.slice(0, 10)}, app built from ${machine.app === 'working tree' ? `the working tree at commit ${machine.commit}${machine.dirtyTree ? ' with uncommitted app changes' : ''}` : machine.app}; \`nproc\` ${machine.nproc} (${machine.cpu}), ${machine.memGiB} GiB; ${machine.os}; ${machine.chromium}; node ${machine.node}; ${machine.python}. ` +
      `Run times: ${['demo', 'lt']
        .filter((k) => all[k])
        .map((k) => `${k} ${(all[k].seconds / 60).toFixed(1)} min (measured ${all[k].date.slice(0, 16).replace('T', ' ')} UTC${all[k].app !== machine.app ? `, app from ${all[k].app}` : ''})`)
        .join(', ')}.`,
    MARKERS.end,
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

function prepare() {
  for (const script of ['demo', 'model']) {
    const r = spawnSync('npm', ['run', script, '--silent'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`npm run ${script} failed`);
  }
  if (setNames.includes('lt')) {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'make-lt-set.mjs'), ltSource], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error('node scripts/make-lt-set.mjs failed (apt-get install -y dataset-fashion-mnist?)');
    // The folder the page gets: the set without its answer key (and without sources.csv).
    fs.rmSync(ltFolder, { recursive: true, force: true });
    fs.cpSync(ltSource, ltFolder, { recursive: true, filter: (src) => !/(test_labels|sources)\.csv$/.test(src) });
  }
  return buildApp();
}

/** The app's build: of the working tree (bench/.data/effect-dist), or of --commit REV (git archive into bench/.data/effect-src). */
function buildApp() {
  if (!opts.commit) {
    ensureAppBuild({ root, distDir, log });
    return { distDir, from: 'working tree' };
  }
  const rev = spawnSync('git', ['-C', root, 'rev-parse', '--verify', `${opts.commit}^{commit}`], { encoding: 'utf8' });
  if (rev.status !== 0) throw new Error(`--commit ${opts.commit}: not a commit (${rev.stderr.trim()})`);
  const sha = rev.stdout.trim();
  const src = path.join(dataDir, 'effect-src');
  const dist = path.join(dataDir, `effect-dist-${sha.slice(0, 12)}`);
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    fs.rmSync(src, { recursive: true, force: true });
    fs.mkdirSync(src, { recursive: true });
    const r = spawnSync('sh', ['-c', `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, 'sh', root, sha, src], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`git archive ${sha} failed`);
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'));
    // The generated, git-ignored parts of public/ (npm run demo / model above).
    for (const p of ['public/demo', 'public/models']) if (fs.existsSync(path.join(root, p))) fs.cpSync(path.join(root, p), path.join(src, p), { recursive: true });
    ensureAppBuild({ root: src, distDir: dist, force: true, log });
  } else log(`${path.relative(root, dist)} (commit ${sha.slice(0, 12)}) is built`);
  return { distDir: dist, from: `commit ${sha.slice(0, 12)}`, sha };
}

/** Re-scores every submission with scikit-learn; returns the largest difference to the scorer here. */
function sklearnCheck(all) {
  const jobs = [];
  for (const s of Object.values(all))
    for (const c of s.classifiers) for (const a of Object.values(c.at ?? {})) jobs.push({ submission: path.join(root, a.submission.file), labels: path.join(root, s.answerKey), js: a.test });
  if (!jobs.length) return null;
  const r = spawnSync(PYTHON, [path.join(here, 'sklearn_scores.py')], { input: JSON.stringify(jobs.map(({ submission, labels }) => ({ submission, labels }))), encoding: 'utf8' });
  if (r.status !== 0) return { error: r.stderr.trim() };
  const py = JSON.parse(r.stdout);
  let maxDiff = 0;
  py.forEach((p, i) => {
    for (const [k, j] of [
      ['macro_f1', 'macroF1'],
      ['balanced_accuracy', 'balancedAccuracy'],
      ['accuracy', 'top1'],
    ])
      maxDiff = Math.max(maxDiff, Math.abs(p[k] - jobs[i].js[j]));
  });
  return { submissions: jobs.length, maxDiff };
}

const tStart = Date.now();
const app = prepare();
const port = await freePort(4330);
const server = await startPreview({ root, port, distDir: app.distDir, log });
cleanupOnSignals(() => stopPreview(server.child));
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
const measured = {};
let machine;
try {
  machine = machineInfo(['date', 'commit', 'dirtyTree', 'nproc', 'cpu', 'memGiB', 'os', 'kernel', 'chromium', 'node', 'python', 'loadAverage']);
  machine.browser = browser.version();
  machine.app = app.from;
  if (app.sha) {
    machine.commit = app.sha.slice(0, 7);
    machine.dirtyTree = false;
  }
  for (const name of setNames) measured[name] = await measureSet(browser, server.url, name);
} finally {
  await browser.close();
  stopPreview(server.child);
}

const previous = fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : null;
const all = { ...(previous?.version === 2 ? previous.sets : {}), ...measured };
const check = sklearnCheck(measured);
for (const s of Object.values(measured)) s.sklearnCheck = check;
if (check?.error || (check && check.maxDiff > 1e-9)) log(`WARNING: the scorer here and scikit-learn disagree: ${JSON.stringify(check)}`);
else if (check) log(`scikit-learn agrees with the scorer here on ${check.submissions} submissions (max |Δ| ${check.maxDiff.toExponential(1)})`);
const totalSeconds = (Date.now() - tStart) / 1000;
fs.mkdirSync(dataDir, { recursive: true });
fs.writeFileSync(resultFile, JSON.stringify({ version: 2, command: `node bench/effect/run.mjs ${argv.join(' ')}`.trim(), machine, totalSeconds, sets: all }, null, 2));
const text = section(all, machine);
console.log(text);
for (const s of Object.values(measured)) {
  const g = goalOf(s);
  log(`${s.set}: goal ${g.met ? 'met' : 'NOT met'}: auto test macro-F1 ${f3(g.x)} vs best reference ${f3(g.y)} − 0.02`);
}
log(`total ${(totalSeconds / 60).toFixed(1)} min; raw results in ${path.relative(root, resultFile)}`);
if (write) {
  writeSection('effect', text, { file: path.join(root, 'docs', 'LEARN.md') });
  log('wrote the effect section of docs/LEARN.md');
}
