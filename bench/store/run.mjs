#!/usr/bin/env node
/**
 * Store check benchmark: what resuming a run costs now that the store is checked against its
 * checkpoint (src/core/embed/runState.ts: resumeRun → checkStore, a CRC-32 per block of 256
 * slots), at the users' scale: Herbarium 2022's 1,050,179 images (839,772 train + 210,407 test)
 * at 96-d float32 (the default layer, 403 MB) and at 1,280-d float16 (the last layer, 2.69 GB).
 *
 *   npm run bench:store      (= node bench/store/run.mjs)  [--repeats N] [--slots N] [--no-write]
 *
 * The app's RunState/RunStore are bundled with rolldown and run in Node over a real file through
 * synchronous positional reads and writes (what an OPFS sync access handle does; the file is in
 * the page cache after it is written, as a run's store is on a machine that just wrote it).
 * Timed, each repeat: resumeRun on an intact store (decode the checkpoint, read every done row,
 * CRC it per block), and a checkpoint after ten seconds' worth of new rows (500 slots).
 * Anchor, in the same run after each repeat: Python's zlib.crc32 (C) over the same file in the
 * same block size, reading it with f.readinto — the floor for reading and checksumming those bytes.
 */

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bulletLines, machineInfo, machineLines, median, parseBenchArgs, sectionHead, sectionMarkers, writeSection } from '../lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const outDir = path.join(root, 'bench', '.data', 'store');

const { values: args } = parseBenchArgs({
  script: 'bench/store/run.mjs',
  summary: "Times resuming a run (the store checked against its checkpoint) at Herbarium 2022's size, against Python's zlib.crc32 over the same file.",
  options: {
    repeats: { type: 'string', default: '3', help: 'repeats of each timing (median reported)' },
    slots: { type: 'string', default: '1050179', help: 'images in the run' },
    'no-write': { type: 'boolean', default: false, help: 'print, do not write BENCHMARKS.md' },
  },
});
const repeats = Number(args.repeats);
const slots = Number(args.slots);

async function bundle() {
  const { build } = await import('rolldown');
  await build({
    input: path.join(root, 'src', 'core', 'embed', 'runState.ts'),
    platform: 'node',
    logLevel: 'silent',
    output: { dir: outDir, format: 'esm', entryFileNames: 'runState.mjs' },
  });
  await build({
    input: path.join(root, 'src', 'core', 'embed', 'runStore.ts'),
    platform: 'node',
    logLevel: 'silent',
    output: { dir: outDir, format: 'esm', entryFileNames: 'runStore.mjs' },
  });
  return {
    ...(await import(pathToFileURL(path.join(outDir, 'runState.mjs')).href)),
    ...(await import(pathToFileURL(path.join(outDir, 'runStore.mjs')).href)),
  };
}

/** A ByteFile over a real file, positional sync I/O like an OPFS sync access handle. */
function fileByteFile(file) {
  const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
  return {
    read: (into, at) => fs.readSync(fd, into, 0, into.length, at),
    write: (bytes, at) => void fs.writeSync(fd, bytes, 0, bytes.length, at),
    truncate: (size) => fs.ftruncateSync(fd, size),
    size: () => fs.fstatSync(fd).size,
    flush: () => {},
    close: () => fs.closeSync(fd),
  };
}

function memoryByteFile() {
  let bytes = new Uint8Array(0);
  return {
    read: (into, at) => {
      const n = Math.max(0, Math.min(into.length, bytes.length - at));
      into.set(bytes.subarray(at, at + n));
      return n;
    },
    write: (b, at) => {
      if (at + b.length > bytes.length) {
        const grown = new Uint8Array(at + b.length);
        grown.set(bytes);
        bytes = grown;
      }
      bytes.set(b, at);
    },
    truncate: (size) => (bytes = bytes.slice(0, size)),
    size: () => bytes.length,
    flush: () => {},
    close: () => {},
  };
}

async function measureCase(app, { label, dim, dtype }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltl-store-bench-'));
  const storeFile = path.join(dir, 'embeddings.bin');
  const numClasses = 15_501;
  const nTrain = Math.round(slots * 0.8);
  const slotClass = new Int32Array(slots);
  const slotSplit = new Uint8Array(slots);
  for (let s = 0; s < slots; s++) {
    slotClass[s] = s < nTrain ? s % numClasses : -1;
    slotSplit[s] = s < nTrain ? (s % 5 === 0 ? 1 : 0) : 2;
  }
  const plan = new app.RunPlan({ key: 'bench', slots, nTrain, dim, numClasses, slotClass, slotSplit });
  const files = () => ({ embeddings: fileByteFile(storeFile), stateA: memoryByteFile(), stateB: memoryByteFile() });
  const runFiles = files();
  const store = new app.RunStore(runFiles, dim, dtype);
  // Rows: a cheap pseudo-random fill, written in chunks as a run writes them (in slot order).
  const state = new app.RunState(plan);
  const chunk = 4096;
  const rows = new Float32Array(chunk * dim);
  let x = 12345;
  for (let k = 0; k < slots - 500; k += chunk) {
    const n = Math.min(chunk, slots - 500 - k);
    for (let i = 0; i < n * dim; i++) rows[i] = ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32) * 6;
    const part = Int32Array.from({ length: n }, (_, i) => k + i);
    store.writeRows(part, rows.subarray(0, n * dim));
    for (let i = 0; i < n; i++) state.recordEmbedding(k + i, rows, i * dim);
  }
  let t0 = performance.now();
  app.saveCheckpoint(state, store);
  const firstCheckpointMs = performance.now() - t0;
  const bytes = store.byteLength();

  const resumeMs = [];
  const checkpointMs = [];
  const anchorMs = [];
  for (let r = 0; r < repeats; r++) {
    const reopened = new app.RunStore({ embeddings: fileByteFile(storeFile), stateA: runFiles.stateA, stateB: runFiles.stateB }, dim, dtype);
    t0 = performance.now();
    const { state: resumed, check } = app.resumeRun(plan, reopened);
    resumeMs.push(performance.now() - t0);
    if (check.requeued !== 0 || resumed.done < state.done) throw new Error(`an intact store was found damaged: ${JSON.stringify(check)}`);
    // Ten seconds of embedding at the app's rate (~50 images/s): 500 new rows, then a checkpoint.
    if (r === 0) {
      const tail = Int32Array.from({ length: 500 }, (_, i) => slots - 500 + i);
      reopened.writeRows(tail, rows.subarray(0, 500 * dim));
      for (let i = 0; i < 500; i++) resumed.recordEmbedding(tail[i], rows, i * dim);
    } else for (let i = 0; i < 2; i++) resumed.recordEmbedding(slots - 1 - i, rows, 0); // no-ops: already done
    // Mark the last blocks dirty the way new rows would, then time the checkpoint.
    t0 = performance.now();
    app.saveCheckpoint(resumed, reopened);
    checkpointMs.push(performance.now() - t0);
    reopened.close();
    const py = execFileSync(
      process.env.PYTHON || '/usr/bin/python3',
      [
        '-c',
        `import sys, time, zlib
block = ${app.BLOCK_SLOTS * dim * (dtype === 'f4' ? 4 : 2)}
buf = bytearray(block); view = memoryview(buf)
t0 = time.perf_counter(); crcs = 0
with open(sys.argv[1], 'rb', buffering=0) as f:
    while True:
        n = f.readinto(buf)
        if not n: break
        zlib.crc32(view[:n]); crcs += 1
print((time.perf_counter() - t0) * 1000, crcs)`,
        storeFile,
      ],
      { encoding: 'utf8' },
    );
    anchorMs.push(Number(py.trim().split(' ')[0]));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { label, dim, dtype, bytes, firstCheckpointMs, resumeMs: median(resumeMs), checkpointMs: median(checkpointMs), anchorMs: median(anchorMs), runs: { resumeMs, checkpointMs, anchorMs } };
}

const app = await bundle();
const cases = [
  { label: '96-d float32 (the default layer)', dim: 96, dtype: 'f4' },
  { label: '1,280-d float16 (the last layer)', dim: 1280, dtype: app.storeDtypeFor(slots, 1280) },
];
const results = [];
for (const c of cases) {
  const r = await measureCase(app, c);
  console.log(JSON.stringify(r));
  results.push(r);
}

const gb = (b) => `${(b / 1e9).toFixed(2)} GB`;
const ms = (x) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x).toLocaleString('en-US')} ms`);
const m = machineInfo(['date', 'commit', 'dirtyTree', 'nproc', 'cpu', 'os', 'kernel', 'chromium', 'free']);
const lines = [
  ...sectionHead('store', {
    title: 'Resuming a run: the store checked against its checkpoint',
    written: 'Written by `bench/store/run.mjs`; do not edit by hand between the bench:store markers.',
    command: `npm run bench:store        # node bench/store/run.mjs --repeats ${repeats} --slots ${slots}`,
  }),
  `${slots.toLocaleString('en-US')} images (Herbarium 2022's train + test), 15,501 classes, all done; ${app.BLOCK_SLOTS} slots per checksummed block. Medians of ${repeats}; the anchor is Python's \`zlib.crc32\` over the same file in the same block size, run after each repeat.`,
  '',
  '| store | size | resume (decode + check every block) | anchor: zlib.crc32 over the file | ratio | checkpoint after 500 new rows | first checkpoint (every block) |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...results.map((r) => `| ${r.label} | ${gb(r.bytes)} | ${ms(r.resumeMs)} | ${ms(r.anchorMs)} | ${(r.resumeMs / r.anchorMs).toFixed(2)}× | ${ms(r.checkpointMs)} | ${ms(r.firstCheckpointMs)} |`),
  '',
  ...bulletLines('Runs (ms)', results.map((r) => `${r.label}: resume ${r.runs.resumeMs.map(Math.round).join(', ')}; anchor ${r.runs.anchorMs.map(Math.round).join(', ')}; checkpoint ${r.runs.checkpointMs.map(Math.round).join(', ')}`)),
  '- Node runs the app\'s code (bundled with rolldown) over a real file with positional sync reads, the file in the page cache; in the browser the reads go through an OPFS sync access handle. A resume reads the whole store once; a checkpoint reads back only the blocks with slots done since the last one.',
  ...machineLines(m, `Node ${process.version}`),
  sectionMarkers('store').end,
];
if (!args['no-write']) writeSection('store', lines.join('\n'));
console.log(lines.join('\n'));
