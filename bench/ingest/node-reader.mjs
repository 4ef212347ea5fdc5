#!/usr/bin/env node
/**
 * Times the app's core metadata reader (src/core/dataset/metadataReader.ts: readMetadataFile)
 * in Node on a file, without the browser: where does the browser's time go, parser or UI?
 *
 *   node bench/ingest/node-reader.mjs [file]        (default: the generated train_metadata.json)
 *
 * The reader is bundled with rolldown (as Vite does for the app) into bench/.data/node-reader/,
 * then imported; the file is read through fs.openAsBlob, a Blob like the browser's File.
 * Prints one JSON line: seconds, peak RSS (process.resourceUsage().maxRSS, KiB) and its
 * increase over the RSS before the read, and the numbers read.
 * Run it in a fresh process per measurement (the peak RSS is per process).
 */

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { metadataFileArg } from './file-arg.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const outDir = path.join(root, 'bench', '.data', 'node-reader');

export async function bundleReader() {
  const { build } = await import('rolldown');
  const entry = path.join(root, 'src', 'core', 'dataset', 'metadataReader.ts');
  await build({
    input: entry,
    platform: 'node',
    logLevel: 'silent',
    output: { dir: outDir, format: 'esm', entryFileNames: 'metadataReader.mjs' },
  });
  return path.join(outDir, 'metadataReader.mjs');
}

async function main() {
  const file = metadataFileArg('bench/ingest/node-reader.mjs', "Times the app's readMetadataFile in Node on a file; prints one JSON line");
  const bundled = await bundleReader();
  const { readMetadataFile } = await import(pathToFileURL(bundled).href);
  const blob = await fs.openAsBlob(file);
  globalThis.gc?.();
  const baseRss = process.memoryUsage().rss;
  let peakRss = baseRss;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const marks = []; // [ms since t0, bytesRead] after each chunk
  const t0 = performance.now();
  const result = await readMetadataFile(path.basename(file), blob, {
    onProgress: ({ bytesRead }) => marks.push([performance.now() - t0, bytesRead]),
  });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  const maxRssKiB = process.resourceUsage().maxRSS;
  const t = result.train;
  const sizes = new Map();
  if (t) for (let i = 0; i < t.imageCount; i++) sizes.set(t.imageClass[i], (sizes.get(t.imageClass[i]) ?? 0) + 1);
  const counts = [...sizes.values()];
  console.log(
    JSON.stringify({
      file,
      bytes: blob.size,
      seconds: Math.round(seconds * 1000) / 1000,
      peakRssKiB: maxRssKiB,
      baseRssKiB: Math.round(baseRss / 1024),
      peakRssDeltaKiB: maxRssKiB - Math.round(baseRss / 1024),
      sampledPeakRssKiB: Math.round(peakRss / 1024),
      role: result.role,
      images: t ? t.imageCount : result.test.imageCount,
      classes: t ? t.className.length : undefined,
      genera: t ? t.genusName.length : undefined,
      families: t ? t.familyName.length : undefined,
      institutions: t ? t.institutionName.length : undefined,
      maxClass: counts.length ? Math.max(...counts) : undefined,
      minClass: counts.length ? Math.min(...counts) : undefined,
      issues: result.issues.length,
      secondsByArray: byArray(file, marks, seconds),
      node: process.version,
    }),
  );
}

/**
 * Splits the read time over the file's top-level arrays, from the per-chunk progress marks and
 * the key offsets the generator recorded in stats.json (chunk time shared by bytes). The time
 * after the last chunk (join, columns) is "finish". Null for a file without stats.json.
 */
function byArray(file, marks, seconds) {
  let offsets;
  try {
    const st = JSON.parse(fs.readFileSync(path.join(path.dirname(file), 'stats.json'), 'utf8'));
    if (st.train.file !== path.basename(file) || !st.train.keyOffsets) return null;
    offsets = Object.entries(st.train.keyOffsets).sort((a, b) => a[1] - b[1]);
  } catch {
    return null;
  }
  const out = Object.fromEntries(offsets.map(([k]) => [k, 0]));
  let prevT = 0;
  let prevB = 0;
  for (const [t, b] of marks) {
    const dt = t - prevT;
    for (let k = 0; k < offsets.length; k++) {
      const from = k === 0 ? 0 : offsets[k][1];
      const to = k + 1 < offsets.length ? offsets[k + 1][1] : Infinity;
      const overlap = Math.max(0, Math.min(b, to) - Math.max(prevB, from));
      if (b > prevB) out[offsets[k][0]] += (dt * overlap) / (b - prevB);
    }
    prevT = t;
    prevB = b;
  }
  out.finish = seconds * 1000 - prevT;
  for (const k of Object.keys(out)) out[k] = Math.round(out[k]) / 1000;
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
