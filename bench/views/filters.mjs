// Filter clicks: a class search hit, a band chip, and their removal, each timed in the page.

import { setTimeout as sleep } from 'node:timers/promises';
import { fmtMs } from '../lib.mjs';
import { FILTER_REPEATS, IMAGE_CLASSES, log } from './config.mjs';
import { pageMeasureClick } from './page.mjs';

export async function filterRound(page, target, few, { waitThumbs }) {
  const out = {};
  const measure = (tgt, cond, thumbs = false) =>
    page.evaluate(pageMeasureClick, { target: tgt, cond, timeoutMs: 10_000, waitThumbs: thumbs });
  // Class: type the name, wait for the hit, click it.
  await page.locator('[data-testid="class-search"]').fill(target.name);
  await page.locator('[data-testid="search-result"][data-kind="class"]').filter({ hasText: target.name }).first().waitFor({ timeout: 10_000 });
  await sleep(300);
  out.classClick = await measure(
    { selector: '[data-testid="search-result"][data-kind="class"]', text: target.name },
    { kind: 'class', genus: target.genus, species: target.species },
    waitThumbs,
  );
  await sleep(400);
  out.classRemove = await measure({ selector: '[data-testid="chip"] button' }, { kind: 'all', classes: few.allClasses });
  await sleep(400);
  out.bandClick = await measure({ selector: '[data-testid="band-filter-few"]' }, { kind: 'band', classes: few.count, fewCategories: few.categories });
  await sleep(400);
  out.bandRemove = await measure({ selector: '[data-testid="chip"] button' }, { kind: 'all', classes: few.allClasses });
  await sleep(400);
  return out;
}

/**
 * The few-shot band as the page shows it (its `band-few-below` limit, its `stat-few` count) and
 * the generator's classes under that limit; mismatches go to `notes`.
 */
export function fewShot(readouts, model, expected, notes) {
  const fewBelow = Number(readouts.fewBelow ?? 20);
  const fewCats = model.categories.filter((c) => c.size < fewBelow).map((c) => String(c.category_id).padStart(5, '0'));
  if (readouts.bandMode !== 'fixed') notes.push('band mode is not "fixed": the few-shot tile check may be wrong');
  if (Number(readouts['stat-few']) !== fewCats.length) notes.push(`stat-few = ${readouts['stat-few']}, the generator has ${fewCats.length} classes under ${fewBelow}`);
  return { count: Number(readouts['stat-few'] ?? fewCats.length), categories: fewCats, allClasses: expected.classes };
}

/** The class of filter round `k` (fractional for the extra rounds): spread over the image classes. */
export const pickClass = (model, k) => model.categories[Math.floor(((k + 0.37) * Math.min(IMAGE_CLASSES, model.categories.length)) / FILTER_REPEATS)];

/** A class among the first image classes as filterRound's target. */
export const classTarget = (c) => ({ name: c.scientificName, genus: c.genus, species: c.species });

/** FILTER_REPEATS timed rounds, each with another species; into result.filters. */
export async function measureFilters(page, model, few, { waitThumbs }, result) {
  await page.evaluate(() => document.querySelector('[data-testid="sample-grid"]')?.scrollIntoView({ block: 'center' }));
  for (let rep = 0; rep < FILTER_REPEATS; rep++) {
    const target = classTarget(pickClass(model, rep));
    const fr = await filterRound(page, target, few, { waitThumbs });
    fr.target = target.name;
    result.filters.push(fr);
    log(`  filters ${rep + 1}/${FILTER_REPEATS}: ${Object.entries(fr).filter(([k]) => k !== 'target').map(([k, v]) => `${k} ${v.error ? `ERROR ${v.error}` : fmtMs(v.frame)}`).join(', ')}`);
  }
}
