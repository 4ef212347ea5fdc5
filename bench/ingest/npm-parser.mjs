#!/usr/bin/env node
/**
 * The other way issue 2 names for reading train_metadata.json: a well-kept streaming JSON parser
 * from npm (@streamparser/json, pure JavaScript, browser-ready) fed the same 8 MB Blob.slice
 * chunks as the app's reader, in Node (the same V8 as Chromium):
 *
 *   node bench/ingest/npm-parser.mjs [file]
 *
 * The parser is asked only for the elements of the arrays the app keeps (paths
 * $.annotations.* $.categories.* $.genera.* $.images.* $.institutions.*), keepStack off, so it
 * builds no other value; it still tokenizes every byte, `distances` included. The time stops when
 * the last element is delivered: no join, no columns, so it is a lower bound for a reader built on
 * this parser, to set beside the app's whole readMetadataFile (node-reader.mjs).
 * Prints one JSON line: seconds, elements per array, peak RSS increase.
 */

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSONParser } from '@streamparser/json';
import { metadataFileArg } from './file-arg.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = metadataFileArg('bench/ingest/npm-parser.mjs', "Times @streamparser/json on a file's kept arrays; prints one JSON line");
const KEPT = ['annotations', 'categories', 'genera', 'images', 'institutions'];
const CHUNK = 8 << 20;

const blob = await fs.openAsBlob(file);
globalThis.gc?.();
const baseRss = process.memoryUsage().rss;
const counts = Object.fromEntries(KEPT.map((k) => [k, 0]));
// The parent array's key sits one level up the stack; with keepStack off the stack still names it.
const parser = new JSONParser({ paths: KEPT.map((k) => `$.${k}.*`), keepStack: false });
parser.onValue = ({ stack }) => {
  counts[stack[1].key] += 1;
};

const t0 = performance.now();
for (let p = 0; p < blob.size; p += CHUNK) {
  parser.write(new Uint8Array(await blob.slice(p, Math.min(blob.size, p + CHUNK)).arrayBuffer()));
}
// The parser ends itself when the top-level object closes; end() after that throws.
if (!parser.isEnded) parser.end();
const seconds = (performance.now() - t0) / 1000;
const maxRssKiB = process.resourceUsage().maxRSS;

console.log(
  JSON.stringify({
    file,
    bytes: blob.size,
    parser: `@streamparser/json ${JSON.parse(fs.readFileSync(path.join(here, '..', '..', 'node_modules', '@streamparser', 'json', 'package.json'), 'utf8')).version}`,
    seconds: Math.round(seconds * 1000) / 1000,
    counts,
    peakRssKiB: maxRssKiB,
    peakRssDeltaKiB: maxRssKiB - Math.round(baseRss / 1024),
    node: process.version,
  }),
);
