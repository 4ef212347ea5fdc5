#!/usr/bin/env node
/**
 * Writes the hostile-input corpus to a folder, one subfolder per area (json, npz, images, names),
 * for trying by hand or with other tools: `node scripts/make-hostile.mjs [DIR]` (default
 * test-results/hostile). Each area's generator is `scripts/hostile/<area>.mjs` (its `writeCases`);
 * the Playwright specs `e2e/hostile-<area>.spec.ts` drive the same cases through the page, and
 * `e2e/hostile-store.spec.ts` the faults that are not files (a store cut short, two tabs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function makeHostile(dir) {
  const written = {};
  for (const file of fs.readdirSync(path.join(here, 'hostile')).filter((f) => f.endsWith('.mjs')).sort()) {
    const area = path.basename(file, '.mjs');
    const { writeCases } = await import(pathToFileURL(path.join(here, 'hostile', file)).href);
    const out = path.join(dir, area);
    fs.mkdirSync(out, { recursive: true });
    written[area] = await writeCases(out);
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(process.argv[2] ?? path.join(here, '..', 'test-results', 'hostile'));
  const written = await makeHostile(dir);
  for (const [area, names] of Object.entries(written)) console.log(`${area}: ${names.length} cases in ${path.join(dir, area)}`);
}
