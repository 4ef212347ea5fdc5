#!/usr/bin/env node
/**
 * Lower bounds for reading the generated train_metadata.json in Node, to put the app reader's time
 * in context (what reading, scanning and JSON.parse alone cost on this machine):
 *
 *   node bench/ingest/floor.mjs [file]
 *
 * - read: every byte through Blob.slice(8 MB).arrayBuffer(), nothing else
 * - minimalScan: read + the smallest byte loop that tracks strings, nesting and element commas
 * - nativeScan: read + Uint8Array.indexOf over every '}' (what a native skip can do)
 * - parseKept: TextDecoder + JSON.parse of the arrays the app keeps (annotations, categories,
 *   genera, images, institutions) in ~2 MB batches, cut with the key offsets from stats.json
 * Prints one JSON line (seconds).
 */

import fs from 'node:fs';
import path from 'node:path';
import { metadataFileArg } from './file-arg.mjs';

const file = metadataFileArg('bench/ingest/floor.mjs', 'Lower bounds for reading a file in Node (read, scans, JSON.parse); prints one JSON line');
const stats = JSON.parse(fs.readFileSync(path.join(path.dirname(file), 'stats.json'), 'utf8'));
const blob = await fs.openAsBlob(file);
const CHUNK = 8 << 20;
const secs = (t) => Math.round(performance.now() - t) / 1000;

async function eachChunk(fn) {
  for (let p = 0; p < blob.size; p += CHUNK) fn(new Uint8Array(await blob.slice(p, Math.min(blob.size, p + CHUNK)).arrayBuffer()));
}

const out = { file, bytes: blob.size };
let t = performance.now();
await eachChunk(() => {});
out.read = secs(t);

t = performance.now();
let depth = 0;
let inString = false;
let commas = 0;
await eachChunk((b) => {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (inString) {
      if (c === 34) inString = false;
      else if (c === 92) i++;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
    else if (c === 44 && depth === 2) commas++;
  }
});
out.minimalScan = secs(t);

t = performance.now();
let braces = 0;
await eachChunk((b) => {
  for (let i = b.indexOf(125); i >= 0; i = b.indexOf(125, i + 1)) braces++;
});
out.nativeScan = secs(t);

// Kept arrays: from after `"key": [` to before `\n    ],\n    "next"` (json.dump indent=4 layout).
const offsets = Object.entries(stats.train.keyOffsets).sort((a, b) => a[1] - b[1]);
const kept = new Set(['annotations', 'categories', 'genera', 'images', 'institutions']);
const dec = new TextDecoder();
out.parseKept = 0;
out.parseKeptBytes = 0;
out.parseKeptItems = 0;
for (let k = 0; k < offsets.length; k++) {
  const [key, at] = offsets[k];
  if (!kept.has(key)) continue;
  const start = at + JSON.stringify(key).length + 3;
  const end = k + 1 < offsets.length ? offsets[k + 1][1] - 12 : blob.size - 8;
  const buf = new Uint8Array(await blob.slice(start, end).arrayBuffer());
  t = performance.now();
  for (let from = 0; from < buf.length; ) {
    let to = Math.min(buf.length, from + (2 << 20));
    if (to < buf.length) {
      // cut after a '}' followed by ',' (elements are flat objects)
      to = buf.indexOf(125, to);
      while (to >= 0 && buf[to + 1] !== 44) to = buf.indexOf(125, to + 1);
      to = to < 0 ? buf.length : to + 1;
    }
    out.parseKeptItems += JSON.parse('[' + dec.decode(buf.subarray(from, to)) + ']').length;
    from = to + 1;
  }
  out.parseKept += secs(t);
  out.parseKeptBytes += buf.length;
}
out.parseKept = Math.round(out.parseKept * 1000) / 1000;
void commas;
void braces;
console.log(JSON.stringify(out));
