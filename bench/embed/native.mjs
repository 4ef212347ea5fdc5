#!/usr/bin/env node
/**
 * Native side of the embed benchmark: the PyTorch anchor (bench/embed/anchor.py) on synthetic
 * Herbarium-sized JPEGs (bench/embed/gen-jpegs.mjs), repeated in fresh processes, medians.
 *
 *   node bench/embed/native.mjs [--repeats 3] [--images 64] [--inner-repeats 5] [--warmup 2]
 *                               [--no-loader] [--no-wait] [--max-wait-min 10] [--max-extra N] [--write] [--no-json]
 *   node bench/embed/native.mjs --from-result     (rewrite the section from the last saved record)
 *
 * --write replaces the section between `<!-- bench:embed:native:start -->` and
 * `<!-- bench:embed:native:end -->` in BENCHMARKS.md (appended at the end when missing) and nothing
 * else. The full record goes to bench/.data/embed-native-result.json; the medians are printed as one
 * JSON object on stdout (unless --no-json).
 *
 * From another script (e.g. bench/embed/run.mjs):
 *
 *   import { runNativeAnchor } from './native.mjs';
 *   const native = await runNativeAnchor({ repeats: 3, images: 64 });
 *   native.imagesPerSecond.e2e.contiguous;          // decode + embed, default layout, batch 32
 *   native.imagesPerSecond.model['channels_last/32'];
 *
 * Each repeat is one fresh `/usr/bin/python3 bench/embed/anchor.py` process, which itself times
 * every figure --inner-repeats times (interleaved) and reports their medians; this script reports
 * the median over the processes. The machine has other tenants at times (a browser benchmark on the
 * same 2 cores halves the figures): before each process it waits (up to 10 min, --no-wait to skip)
 * until the CPUs have been idle for 3 s, and it records how much CPU other processes used while
 * the anchor ran (`othersCpu`, in cores; 0 on a quiet machine). A run during which others used more
 * than 0.25 cores is left out of the medians and run again, at most --max-extra times (default: as
 * many as --repeats). Each finished run is saved at once to bench/.data/embed-native-partial.json.
 * Env: PYTHON (default /usr/bin/python3).
 */

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureJpegs, jpegParams } from './gen-jpegs.mjs';
import { CLK_TCK, coresBusy, cpuTimes, descendants, freeLines, machineInfo, median, parseBenchArgs, procJiffies, sectionHead, sectionMarkers, waitForQuietMachine, writeSection } from '../lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const dataDir = path.join(root, 'bench', '.data');
const resultFile = path.join(dataDir, 'embed-native-result.json');
const MARK_END = sectionMarkers('embed:native').end;
const python = process.env.PYTHON || '/usr/bin/python3';

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc

/** Jiffies used by `pid` and its living descendants (exited children count through cutime). */
function treeJiffies(pid) {
  let j = procJiffies(pid, { children: true }) ?? 0;
  for (const d of descendants(pid)) j += procJiffies(d) ?? 0;
  return j;
}

/** Waits until the machine has been idle (others < 0.15 cores) for `quietMs`, at most `maxMs`. */
async function waitForQuiet({ quietMs = 3000, maxMs = 10 * 60 * 1000, log }) {
  const q = await waitForQuietMachine({
    below: 0.15,
    quietMs,
    maxMs,
    onBusy: (cores) => log?.(`machine busy (${cores.toFixed(2)} cores used by other processes): waiting for it to go quiet ...`),
  });
  return { waitedS: q.waitedMs / 1000, busyCores: q.cores, quiet: q.quiet };
}

/** Runs the anchor once; resolves to its JSON plus wall time and the CPU other processes used meanwhile. */
function runAnchorOnce(args, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const c0 = cpuTimes();
    const child = spawn(python, [path.join(here, 'anchor.py'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let last = 0;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    // Sample the anchor's tree often enough to catch DataLoader workers before they exit.
    const timer = setInterval(() => {
      const j = treeJiffies(child.pid);
      if (j > last) last = j;
    }, 250);
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      clearTimeout(kill);
      const wall = (performance.now() - t0) / 1000;
      const c1 = cpuTimes();
      const machineCores = coresBusy(c0, c1);
      const anchorCores = last / CLK_TCK / wall;
      const base = { wallSeconds: wall, machineCores, anchorCores, othersCpu: Math.max(0, machineCores - anchorCores) };
      if (code !== 0) return resolve({ ok: false, ...base, error: `anchor.py exited ${code ?? signal}: ${err.trim().slice(-1500)}` });
      try {
        resolve({ ok: true, ...base, ...JSON.parse(out.trim().split('\n').pop()) });
      } catch {
        resolve({ ok: false, ...base, error: `no JSON from anchor.py: ${out.slice(-300)} ${err.slice(-500)}` });
      }
    });
  });
}

function machine(anchor) {
  const m = machineInfo(['cpu', 'nproc', 'lscpu', 'os', 'kernel', 'node', ...(anchor?.python ? [] : ['python']), 'debPackages', 'free', 'date', 'commit'], { root, python });
  return {
    cpu: m.cpu,
    nproc: m.nproc,
    lscpu: m.lscpu,
    os: m.os,
    kernel: m.kernel,
    node: m.node,
    python: anchor?.python ?? m.python,
    torch: anchor?.torch,
    torchvision: anchor?.torchvision,
    opencv: anchor?.opencv,
    numpy: anchor?.numpy,
    torchThreads: anchor?.threads,
    cpuCapability: anchor?.cpuCapability,
    debPackages: m.debPackages,
    free: m.free,
    date: m.date,
    commit: m.commit,
  };
}

/** Median of every number at the same place in a list of like-shaped objects. */
function medianTree(objs) {
  const first = objs[0];
  if (typeof first === 'number' || first == null) return median(objs);
  const out = {};
  for (const k of Object.keys(first)) out[k] = medianTree(objs.map((o) => o?.[k]));
  return out;
}

/**
 * The best single timed repeat of each figure over all the given processes (contended ones too):
 * the least disturbed measurement, an upper bound for a machine that has other tenants.
 */
export function bestOf(runs) {
  const best = { model: {}, e2e: {}, loader: {}, decode: null, imread: null };
  const max = (xs) => (xs?.length ? Math.max(...xs) : null);
  for (const r of runs.filter((x) => x.ok && x.runs)) {
    for (const key of ['model', 'e2e', 'loader'])
      for (const [k, v] of Object.entries(r.runs[key] ?? {})) best[key][k] = Math.max(best[key][k] ?? 0, max(v));
    for (const key of ['decode', 'imread']) best[key] = Math.max(best[key] ?? 0, max(r.runs[key]) ?? 0);
  }
  return best;
}

/**
 * Runs the PyTorch anchor `repeats` times (fresh processes) on `images` synthetic 1000×1500 4:2:0
 * JPEGs. Resolves to { ok, imagesPerSecond: { model: { 'contiguous/1': …, 'channels_last/32': … },
 * decode, imread, e2e: { contiguous, channels_last }, loader: { … } }, runs, jpegs, machine, … }:
 * images per second, medians over the processes.
 */
export async function runNativeAnchor({
  repeats = 3,
  images = 64,
  innerRepeats = 5,
  warmup = 2,
  batches = [1, 8, 32],
  batch = 32,
  loader = true,
  normalize = 'imagenet',
  waitQuiet = true,
  busyCores = 0.25,
  maxWaitMs = 10 * 60 * 1000,
  maxExtra = repeats,
  partialFile = path.join(dataDir, 'embed-native-partial.json'),
  timeoutMs = 20 * 60 * 1000,
  log = (...a) => console.error('[bench:embed:native]', ...a),
} = {}) {
  const jpegs = ensureJpegs({ n: images, log });
  const args = [
    '--dir', jpegs.dir,
    '--images', String(images),
    '--repeats', String(innerRepeats),
    '--warmup', String(warmup),
    '--batches', batches.join(','),
    '--batch', String(batch),
    '--normalize', normalize,
    ...(loader ? [] : ['--no-loader']),
  ];
  const runs = [];
  const notes = [];
  // A run during which other processes used more than `busyCores` is kept in the record but
  // redone; at most `maxExtra` extra runs.
  const quietRuns = () => runs.filter((r) => r.ok && r.othersCpu <= busyCores).length;
  for (let rep = 1; quietRuns() < repeats && rep <= repeats + maxExtra; rep++) {
    const quiet = waitQuiet ? await waitForQuiet({ log, maxMs: maxWaitMs }) : null;
    if (quiet && !quiet.quiet) notes.push(`run ${rep}: the machine did not go quiet in ${Math.round(maxWaitMs / 60000)} min (${quiet.busyCores.toFixed(2)} cores busy); ran anyway`);
    log(`anchor run ${rep} (${quietRuns()} of ${repeats} quiet runs so far) ...`);
    const r = await runAnchorOnce(args, timeoutMs);
    r.repeat = rep;
    r.waitedSeconds = quiet?.waitedS ?? null;
    runs.push(r);
    if (partialFile) {
      fs.mkdirSync(path.dirname(partialFile), { recursive: true });
      fs.writeFileSync(partialFile, JSON.stringify({ partial: true, args, runs }, null, 2) + '\n');
    }
    if (!r.ok) {
      log(`  FAILED: ${r.error}`);
      notes.push(`run ${rep} failed: ${r.error.split('\n').slice(-3).join(' ').slice(0, 400)}`);
      continue;
    }
    const f = r.imagesPerSecond;
    log(
      `  e2e ${Object.entries(f.e2e).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')} img/s; model b${batch} ` +
        `${Object.entries(f.model).filter(([k]) => k.endsWith(`/${batch}`)).map(([k, v]) => `${k.split('/')[0]} ${v.toFixed(1)}`).join(', ')}; ` +
        `decode ${f.decode.toFixed(1)} img/s; ${r.wallSeconds.toFixed(0)} s, others used ${r.othersCpu.toFixed(2)} cores`,
    );
    r.contended = r.othersCpu > busyCores;
    if (r.contended) notes.push(`run ${rep}: other processes used ${r.othersCpu.toFixed(2)} cores while the anchor ran: left out of the medians${waitQuiet ? ' and run again' : ''}`);
  }
  const quietOk = runs.filter((r) => r.ok && !r.contended);
  const allOk = runs.filter((r) => r.ok);
  const useContended = quietOk.length === 0 && allOk.length > 0;
  if (useContended) notes.push('no run had the machine to itself: the medians are over contended runs and understate the anchor');
  const ok = useContended ? allOk : quietOk;
  for (const r of ok) r.used = true;
  const b = [...jpegs.bytes].sort((x, y) => x - y);
  const first = ok[0];
  return {
    ok: ok.length > 0,
    imagesPerSecond: ok.length ? medianTree(ok.map((r) => r.imagesPerSecond)) : null,
    bestImagesPerSecond: bestOf(runs),
    runs,
    repeats,
    okRuns: ok.length,
    innerRepeats,
    warmup,
    images,
    batch,
    batches,
    normalize,
    layouts: first?.layouts ?? null,
    loaderWorkers: first?.loaderWorkers ?? null,
    embedding: first?.embedding ?? null,
    othersCpuMax: ok.length ? Math.max(...ok.map((r) => r.othersCpu)) : null,
    jpegs: {
      ...jpegParams(jpegs),
      bytes: { min: b[0], median: median(b), max: b[b.length - 1], total: b.reduce((s, x) => s + x, 0) },
    },
    anchorCommand: `${python} bench/embed/anchor.py ${args.map((a) => (a === jpegs.dir ? path.relative(root, a) : a)).join(' ')}`,
    machine: machine(first),
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// BENCHMARKS.md section

const f1 = (x) => (x == null ? 'n/a' : x.toFixed(1));
const kB = (x) => `${Math.round(x / 1000).toLocaleString('en-US')} kB`;

export function nativeSection(res, command) {
  const f = res.imagesPerSecond;
  const per = (get) => res.runs.filter((r) => r.ok).map((r) => f1(get(r.imagesPerSecond)) + (r.used ? '' : '*')).join(', ');
  const m = res.machine;
  const L = [];
  L.push(...sectionHead('embed:native', { title: 'Embed, native anchor: PyTorch MobileNetV2 on the CPU (decode + embed, Herbarium-sized JPEGs)', written: 'Written by `bench/embed/native.mjs --write`; do not edit by hand between the bench:embed:native markers. The browser side of `npm run bench:embed` compares against these figures.', command }));
  L.push(`Images per second, median over ${res.okRuns} fresh Python process${res.okRuns === 1 ? '' : 'es'} (each the median of ${res.innerRepeats} timed repeat${res.innerRepeats === 1 ? '' : 's'} after ${res.warmup} warm-up${res.warmup === 1 ? '' : 's'} per shape), \`torch.set_num_threads(${m.torchThreads})\`:`);
  L.push('');
  const lay = res.layouts ?? ['contiguous', 'channels_last'];
  const best = res.bestImagesPerSecond ?? bestOf(res.runs);
  // 'best single repeat': the fastest of all timed repeats in all processes, contended ones too.
  const name = (l) => (l === 'contiguous' ? 'default layout (contiguous NCHW)' : 'channels_last');
  L.push(`| | ${lay.map(name).join(' | ')} | ${lay.length === 2 ? 'channels_last / default | ' : ''}${lay.map((l) => `best single repeat, ${l === 'contiguous' ? 'default' : l}`).join(' | ')} |`);
  L.push(`|---|${lay.map(() => '---:').join('|')}|${lay.length === 2 ? '---:|' : ''}${lay.map(() => '---:').join('|')}|`);
  const row = (label, key, sub) => {
    const v = lay.map((l) => f[key]?.[sub(l)]);
    const bv = lay.map((l) => best[key]?.[sub(l)]);
    L.push(`| ${label} | ${v.map(f1).join(' | ')} | ${lay.length === 2 ? (v[0] && v[1] ? `${(v[1] / v[0]).toFixed(2)}× | ` : ' | ') : ''}${bv.map(f1).join(' | ')} |`);
  };
  row(`**end to end, batch ${res.batch}**: the seed's decode-and-resize + embed, one process`, 'e2e', (l) => l);
  for (const bs of res.batches) row(`model only, batch ${bs}`, 'model', (l) => `${l}/${bs}`);
  if (f.loader && Object.keys(f.loader).length)
    row(`end to end with the seed's \`DataLoader\` (batch ${res.batch}, num_workers=${res.loaderWorkers}: decoding in worker processes)`, 'loader', (l) => l);
  L.push('');
  L.push('"Best single repeat" is the fastest timed repeat over all processes (those left out too): the least disturbed measurement when the machine has other tenants.');
  L.push('');
  L.push(`Decode only (the seed's path, no model): **${f1(f.decode)} images/s** (best single repeat ${f1(best.decode)}); of which \`cv2.imread\` alone ${f1(f.imread)} images/s (best ${f1(best.imread)}).`);
  L.push('');
  // Where the time goes: per image, decode vs model at the end-to-end batch; the best model batch.
  const ms = (ips) => (ips ? 1000 / ips : null);
  const parts = lay.map((l) => {
    const d = ms(f.decode), mdl = ms(f.model[`${l}/${res.batch}`]), e = ms(f.e2e[l]);
    return `${l}: decode ${d?.toFixed(1)} ms + model ${mdl?.toFixed(1)} ms = ${(d + mdl).toFixed(1)} ms per image, measured end to end ${e?.toFixed(1)} ms`;
  });
  L.push(`Where the time goes (batch ${res.batch}, per image): ${parts.join('; ')}.`);
  const bestBatch = lay.map((l) => {
    const bs = [...res.batches].sort((a, b) => (f.model[`${l}/${b}`] ?? 0) - (f.model[`${l}/${a}`] ?? 0))[0];
    return { l, bs, v: f.model[`${l}/${bs}`] };
  });
  if (bestBatch.some((x) => x.bs !== res.batch))
    L.push(
      `On this machine the model is fastest at ${bestBatch.map((x) => `batch ${x.bs} (${x.l}, ${f1(x.v)} images/s)`).join(' and ')}, not at batch ${res.batch}; ` +
        `why is not measured here (at batch 32 the activations after the first expansion alone are 32 × 96 × 112 × 112 float32 = 154 MB, against 4 MiB of L2).`,
    );
  L.push('');
  L.push(
    `Per process (* = left out: other processes were busy): end to end ${lay.map((l) => `${l} ${per((x) => x.e2e[l])}`).join('; ')}; ` +
      `model only batch ${res.batch} ${lay.map((l) => `${l} ${per((x) => x.model[`${l}/${res.batch}`])}`).join('; ')}; decode ${per((x) => x.decode)}.`,
  );
  L.push(
    `Other processes' CPU while the anchor ran (cores, per process): ${res.runs.map((r) => (r.othersCpu == null ? 'n/a' : r.othersCpu.toFixed(2))).join(', ')} (0 = quiet machine; the anchor's own use: ${res.runs.filter((r) => r.ok).map((r) => r.anchorCores.toFixed(2)).join(', ')} cores).`,
  );
  if (res.embedding)
    L.push(`Check: embeddings ${res.embedding.shape.join(' × ')}, ${res.embedding.finite ? 'all finite' : 'NOT all finite'}; default vs channels_last max |difference| / max |value| ${res.embedding.layoutMaxRelDiff?.toExponential(1)}.`);
  for (const n of res.notes) L.push(`- ${n}`);
  L.push('');
  L.push('### Data');
  L.push('');
  const j = res.jpegs;
  L.push(
    `${res.images} synthetic JPEGs from \`bench/embed/gen-jpegs.mjs\` (seed ${j.seed}, cached in \`${j.dir}/\`, git-ignored): ${j.width} × ${j.height} pixels (width × height, portrait like Herbarium 2022's sheets), baseline, ${j.subsampling} (SOF0 sampling factors Y 2×2, Cb 1×1, Cr 1×1, asserted), quality ${j.quality}, encoded by Pillow; ` +
      `${kB(j.bytes.min)}–${kB(j.bytes.max)} (median ${kB(j.bytes.median)}). Drawn with the shared RNG (\`src/core/random.mjs\`): paper gradient, stems, leaves, a label, a colour chart and per-pixel noise.`,
  );
  L.push('');
  L.push('### Method');
  L.push('');
  L.push(`- Anchor, per process: \`${res.anchorCommand}\`.`);
  L.push("- Model: `torchvision.models.mobilenet_v2(weights=None).features` + `adaptive_avg_pool2d(1)` + flatten → 1280-d, `eval()`, `torch.inference_mode()`. Random weights (nothing can be downloaded here); the seed uses the ImageNet weights, same architecture and cost. channels_last: `model.to(memory_format=torch.channels_last)` and the input `.contiguous(memory_format=torch.channels_last)`.");
  L.push("- Decode, as the seed notebook's `DataRetriever.__getitem__` + `get_transforms()`: `cv2.imread` (BGR) → `cv2.resize(img, (224, 224))` (INTER_LINEAR) → `cv2.cvtColor(BGR2RGB)` → albumentations' `Normalize` (ImageNet mean/std × 255, float32; written out in numpy, albumentations is not in Debian) → `ToTensorV2` (HWC → CHW view); a batch is `torch.stack` of 32 (the DataLoader's collate). The seed resizes before converting to RGB and normalizes with ImageNet mean/std (not /127.5 − 1, the browser model's range); either is one elementwise pass over 224 × 224 × 3, not timed apart.");
  L.push(`- Model only: a fixed random float32 batch; one timed unit is ceil(32 / batch) forwards. End to end: all ${res.images} files per timed unit (${Math.ceil(res.images / res.batch)} batch${Math.ceil(res.images / res.batch) === 1 ? '' : 'es'}), decode and model in turn in one process (Python user's plain loop). The \`DataLoader\` row is the seed's own structure (\`DataLoader(batch_size=${res.batch}, num_workers=${res.loaderWorkers}, persistent_workers=True)\`, one untimed epoch first) — on 2 cores the workers compete with the model's threads.`);
  L.push('- Files are read once before timing (page cache). Layouts, batch sizes and figures are interleaved in each repeat; each process starts when the CPUs have been idle for 3 s.');
  L.push('');
  L.push('### Machine');
  L.push('');
  L.push(`- ${m.date}, commit ${m.commit}`);
  L.push(`- \`lscpu\`: ${m.lscpu.split('\n').map((l) => l.replace(/\s{2,}/g, ' ').trim()).join('; ')}`);
  L.push(`- ${m.os}, kernel ${m.kernel}; node ${m.node}`);
  L.push(`- Python ${m.python}, torch ${m.torch} (CPU capability ${m.cpuCapability}, oneDNN), torchvision ${m.torchvision}, OpenCV ${m.opencv}, numpy ${m.numpy}`);
  L.push(`- Debian packages: ${m.debPackages.split('\n').join('; ')}`);
  L.push(...freeLines(m.free));
  L.push(MARK_END);
  return L.join('\n');
}

export const writeNativeSection = (section) => writeSection('embed:native', section);

// ---------------------------------------------------------------------------------------------

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values: opts, argv } = parseBenchArgs({
    script: 'bench/embed/native.mjs',
    summary: 'The PyTorch anchor of the embed benchmark (bench/embed/anchor.py) in fresh processes on synthetic Herbarium-sized JPEGs; medians as one JSON line.',
    options: {
      repeats: { type: 'number', default: 3, help: 'anchor processes whose medians count' },
      images: { type: 'number', default: 64, help: 'JPEGs' },
      'inner-repeats': { type: 'number', default: 5, help: 'timed repeats inside each process' },
      warmup: { type: 'number', default: 2, help: 'warm-up repeats per shape' },
      'no-loader': { type: 'boolean', help: "skip the seed's DataLoader figure" },
      'no-wait': { type: 'boolean', help: 'do not wait for an idle machine before each process' },
      'max-wait-min': { type: 'number', default: 10, help: 'wait at most this long for an idle machine' },
      'max-extra': { type: 'number', help: 'extra runs for contended ones (default: as many as --repeats)' },
      write: { type: 'boolean', help: 'replace the bench:embed:native section of BENCHMARKS.md' },
      'no-json': { type: 'boolean', help: 'print no JSON line' },
      'from-result': { type: 'boolean', help: 'rewrite the section from the last saved record, measuring nothing' },
    },
  });
  if (opts['from-result']) {
    // Rewrites the section from the last saved record (e.g. after a change to the section's text).
    const res = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
    writeNativeSection(nativeSection(res, res.command ?? 'node bench/embed/native.mjs --write'));
    console.error(`[bench:embed:native] rewrote the bench:embed:native section of BENCHMARKS.md from ${path.relative(root, resultFile)}`);
    process.exit(0);
  }
  const res = await runNativeAnchor({
    repeats: opts.repeats,
    images: opts.images,
    innerRepeats: opts['inner-repeats'],
    warmup: opts.warmup,
    loader: !opts['no-loader'],
    waitQuiet: !opts['no-wait'],
    maxWaitMs: opts['max-wait-min'] * 60 * 1000,
    maxExtra: opts['max-extra'] ?? opts.repeats,
  });
  const command = `node bench/embed/native.mjs${argv.length ? ' ' + argv.join(' ') : ''}`;
  res.command = command;
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(resultFile, JSON.stringify(res, null, 2) + '\n');
  if (opts.write && res.ok) {
    writeNativeSection(nativeSection(res, command));
    console.error(`[bench:embed:native] wrote ${path.relative(root, resultFile)} and the bench:embed:native section of BENCHMARKS.md`);
  }
  if (!opts['no-json'])
    console.log(JSON.stringify({ ok: res.ok, imagesPerSecond: res.imagesPerSecond, othersCpuMax: res.othersCpuMax, notes: res.notes }));
  if (!res.ok) process.exitCode = 1;
}
