#!/usr/bin/env node
// Loads the MobileNetV2 that scripts/copy-model.mjs wrote (public/models/mobilenet_v2/) in Node
// with @tensorflow/tfjs, lists the layers around the candidate feature layers, embeds the demo
// dataset's train images (public/demo/, `npm run demo`) with each candidate layer and measures how
// well the embeddings separate the classes. See docs/MODEL.md for the results and the choices.
//
// Preprocessing (the app must do exactly the same):
//   decode → RGBA 8-bit → composite on white (out = round((c·a + 255·(255−a)) / 255)) → RGB
//   → tf.image.resizeBilinear to 224×224, whole image, no crop, alignCorners=false,
//     halfPixelCenters=true → x / 127.5 − 1 (Keras's mobilenet_v2.preprocess_input, range [−1, 1]).
// Features: global average pooling (mean over H and W) of a layer's output, then L2-normalised.
//
// Metrics (all leave-one-out, cosine similarity on the L2-normalised embeddings):
//   ncm   nearest class mean: an image is compared with every class mean, its own class's mean
//         computed without it; accuracy and balanced accuracy (mean per-class recall).
//   1-NN  the nearest other image's class; accuracy and balanced accuracy.
//   xv    cross-vendor 1-NN: a Twemoji image's nearest Noto image and vice versa, over classes
//         drawn by both vendors: the same emoji drawn by the other vendor is a different picture,
//         so this is not inflated by the near-duplicates (skin-tone variants) within a vendor.
//
// Usage: node scripts/model-check.mjs [--backend wasm|cpu] [--per-class N] [--limit N]
//          [--batch 8] [--background white|black] [--input m11|01] [--layers a,b,...]
//          [--model public/models/mobilenet_v2] [--demo public/demo] [--json out.json]
//   --backend   wasm (default; @tensorflow/tfjs-backend-wasm, SIMD, ~0.11 s/image here: all 1,456
//               demo images in ~3 min) or cpu (tfjs's pure-JS kernels, ~2.2 s/image: use --limit).
//               Both give the same features to ~1e-5 (--parity 8 checks it).
//   --per-class at most N train images per class (first N by image_id); default all
//   --limit     at most N images in all (after --per-class; first N by image_id)
//   --input     m11 (default: x/127.5−1) or 01 (x/255, what nsfwjs itself feeds the model)
//   --parity N  only embed the first N images on both the cpu and the wasm backend and report how
//               far apart the pooled features are (and the time per image on each)

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';

const require = createRequire(import.meta.url);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const INPUT_SIZE = 224;

/** Candidate feature layers: the two the app may use first, then two for context. */
export const CANDIDATES = [
  { name: 'block_10_project_BN', note: 'end of block 10 (frozen ImageNet), 14×14×96' },
  { name: 'out_relu', note: 'last conv activation (fine-tuned by nsfwjs), 7×7×1280' },
  { name: 'block_10_expand_relu', note: 'block 10 expansion (frozen ImageNet), 14×14×384' },
  { name: 'block_16_project_BN', note: 'end of block 16 (fine-tuned), 7×7×320' },
];

/** An IOHandler that reads model.json + its weight files from disk (tf.io.fromMemory equivalent). */
export function fileIOHandler(modelDir) {
  return {
    async load() {
      const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
      const weightSpecs = [];
      const buffers = [];
      for (const group of json.weightsManifest) {
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(modelDir, p)));
        weightSpecs.push(...group.weights);
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

/** PNG bytes → Uint8Array RGB (alpha composited on `background`), with width and height. */
export function decodeRgb(buf, background = 255) {
  const png = PNG.sync.read(buf); // always RGBA 8-bit, whatever the colour type / bit depth
  const n = png.width * png.height;
  const rgb = new Uint8Array(n * 3);
  const d = png.data;
  for (let i = 0; i < n; i++) {
    const a = d[i * 4 + 3];
    for (let c = 0; c < 3; c++) {
      rgb[i * 3 + c] = Math.round((d[i * 4 + c] * a + background * (255 - a)) / 255);
    }
  }
  return { rgb, width: png.width, height: png.height };
}

/** Decoded images → float32 [B, 224, 224, 3] in the model's input range. */
export function preprocess(images, input = 'm11') {
  return tf.tidy(() => {
    const resized = images.map(({ rgb, width, height }) =>
      tf.image.resizeBilinear(tf.tensor3d(rgb, [height, width, 3], 'int32').toFloat(), [INPUT_SIZE, INPUT_SIZE], false, true),
    );
    const x = tf.stack(resized);
    return input === '01' ? x.div(255) : x.div(127.5).sub(1);
  });
}

function parseArgs(argv) {
  const o = {
    backend: 'wasm',
    perClass: Infinity,
    limit: Infinity,
    batch: 8,
    background: 'white',
    input: 'm11',
    layers: CANDIDATES.map((c) => c.name),
    model: path.join(REPO_ROOT, 'public', 'models', 'mobilenet_v2'),
    demo: path.join(REPO_ROOT, 'public', 'demo'),
    json: null,
    parity: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--backend') o.backend = v();
    else if (k === '--per-class') o.perClass = Number(v());
    else if (k === '--limit') o.limit = Number(v());
    else if (k === '--batch') o.batch = Number(v());
    else if (k === '--background') o.background = v();
    else if (k === '--input') o.input = v();
    else if (k === '--layers') o.layers = v().split(',');
    else if (k === '--model') o.model = path.resolve(v());
    else if (k === '--demo') o.demo = path.resolve(v());
    else if (k === '--json') o.json = path.resolve(v());
    else if (k === '--parity') o.parity = Number(v());
    else throw new Error(`unknown option ${k}`);
  }
  if (!['white', 'black'].includes(o.background)) throw new Error('--background is white or black');
  if (!['m11', '01'].includes(o.input)) throw new Error('--input is m11 or 01');
  return o;
}

async function setBackend(name) {
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    wasm.setWasmPaths(pathToFileURL(dist + path.sep).href);
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

/** The demo's train images: [{file, category, institution}], sorted by image_id. */
export function readDemo(demoDir) {
  const metaPath = path.join(demoDir, 'train_metadata.json');
  if (!fs.existsSync(metaPath)) throw new Error(`${metaPath} is missing: run npm run demo`);
  const meta = JSON.parse(fs.readFileSync(metaPath, 'utf8'));
  const ann = new Map(meta.annotations.map((a) => [String(a.image_id), a]));
  const names = new Map(meta.categories.map((c) => [c.category_id, c.scientificName]));
  const items = meta.images
    .map((im) => {
      const a = ann.get(String(im.image_id));
      return {
        id: String(im.image_id),
        file: path.join(demoDir, 'train_images', im.file_name),
        category: a.category_id,
        institution: a.institution_id,
      };
    })
    .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return { items, names };
}

function l2normalise(v) {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}
const dot = (a, b) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Accuracy and balanced accuracy of predictions over the items where pred !== undefined. */
function scores(labels, preds) {
  const per = new Map();
  let hit = 0;
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (preds[i] === undefined) continue;
    const ok = preds[i] === labels[i];
    n++;
    hit += ok ? 1 : 0;
    const p = per.get(labels[i]) ?? [0, 0];
    p[0] += ok ? 1 : 0;
    p[1]++;
    per.set(labels[i], p);
  }
  let bal = 0;
  for (const [h, t] of per.values()) bal += h / t;
  return { n, classes: per.size, acc: hit / n, balAcc: bal / per.size };
}

/** Leave-one-out nearest class mean, 1-NN and cross-vendor 1-NN on L2-normalised vectors. */
export function evaluate(vectors, labels, groups) {
  const n = vectors.length;
  const dim = vectors[0].length;
  const sums = new Map();
  const counts = new Map();
  for (let i = 0; i < n; i++) {
    const s = sums.get(labels[i]) ?? new Float64Array(dim);
    for (let d = 0; d < dim; d++) s[d] += vectors[i][d];
    sums.set(labels[i], s);
    counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  }
  const classes = [...sums.keys()];
  const means = new Map(classes.map((c) => [c, l2normalise(Float64Array.from(sums.get(c)))]));
  const ncm = new Array(n);
  const nn = new Array(n);
  const xv = new Array(n);
  const groupsOf = new Map();
  for (let i = 0; i < n; i++) {
    const g = groupsOf.get(labels[i]) ?? new Set();
    g.add(groups[i]);
    groupsOf.set(labels[i], g);
  }
  const loo = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const v = vectors[i];
    if (counts.get(labels[i]) > 1) {
      let best = -Infinity;
      for (const c of classes) {
        let sim;
        if (c === labels[i]) {
          const s = sums.get(c);
          for (let d = 0; d < dim; d++) loo[d] = s[d] - v[d];
          sim = dot(v, l2normalise(loo));
        } else sim = dot(v, means.get(c));
        if (sim > best) [best, ncm[i]] = [sim, c];
      }
      let bestNn = -Infinity;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const sim = dot(v, vectors[j]);
        if (sim > bestNn) [bestNn, nn[i]] = [sim, labels[j]];
      }
    }
    if (groupsOf.get(labels[i]).size > 1) {
      let bestXv = -Infinity;
      for (let j = 0; j < n; j++) {
        if (groups[j] === groups[i]) continue;
        const sim = dot(v, vectors[j]);
        if (sim > bestXv) [bestXv, xv[i]] = [sim, labels[j]];
      }
    }
  }
  return { ncm: scores(labels, ncm), nn1: scores(labels, nn), xv: scores(labels, xv) };
}

function describeLayers(model, around) {
  const names = model.layers.map((l) => l.name);
  const lines = [];
  const shown = new Set();
  for (const target of around) {
    const k = names.indexOf(target);
    if (k < 0) {
      lines.push(`  (no layer ${target})`);
      continue;
    }
    for (let i = Math.max(0, k - 3); i <= Math.min(names.length - 1, k + 3); i++) {
      if (shown.has(i)) continue;
      shown.add(i);
      const l = model.layers[i];
      const shape = JSON.stringify(l.outputShape).replace(/null/g, 'B');
      lines.push(`  ${String(i).padStart(3)} ${l.name.padEnd(22)} ${l.getClassName().padEnd(20)} ${shape}${i === k ? '   <--' : ''}`);
    }
    lines.push('  ...');
  }
  return lines.join('\n');
}

/** Pooled features of `files` for each layer on the current backend: [layer][image] Float32Array. */
async function embedFiles(extractor, files, o) {
  const bg = o.background === 'white' ? 255 : 0;
  const out = extractor.outputs.map(() => []);
  for (let b = 0; b < files.length; b += o.batch) {
    const batch = files.slice(b, b + o.batch);
    const x = preprocess(batch.map((f) => decodeRgb(fs.readFileSync(f), bg)), o.input);
    const ys = tf.tidy(() => [].concat(extractor.predict(x)));
    const arrays = await Promise.all(ys.map((y) => y.data()));
    tf.dispose([x, ...ys]);
    arrays.forEach((arr, li) => {
      const dim = arr.length / batch.length;
      for (let i = 0; i < batch.length; i++) out[li].push(arr.slice(i * dim, (i + 1) * dim));
    });
  }
  return out;
}

/** Same images through the cpu and the wasm backend: max |difference| and min cosine per layer. */
async function parity(o) {
  const files = readDemo(o.demo).items.slice(0, o.parity).map((i) => i.file);
  const runs = {};
  for (const backend of ['cpu', 'wasm']) {
    await setBackend(backend);
    const model = await tf.loadLayersModel(fileIOHandler(o.model));
    const extractor = buildExtractor(model, o.layers);
    const t = performance.now();
    runs[backend] = await embedFiles(extractor, files, o);
    console.log(`  ${backend}: ${((performance.now() - t) / files.length).toFixed(0)} ms/image (batch ${o.batch}, ${files.length} images, incl. decode)`);
    model.dispose();
  }
  o.layers.forEach((name, li) => {
    let maxAbs = 0;
    let maxVal = 0;
    let minCos = 1;
    runs.cpu[li].forEach((a, i) => {
      const b = runs.wasm[li][i];
      for (let d = 0; d < a.length; d++) {
        maxAbs = Math.max(maxAbs, Math.abs(a[d] - b[d]));
        maxVal = Math.max(maxVal, Math.abs(a[d]));
      }
      minCos = Math.min(minCos, dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b)));
    });
    console.log(`  ${name.padEnd(22)} max |cpu − wasm| ${maxAbs.toExponential(2)} (max |value| ${maxVal.toFixed(2)}), min cosine ${minCos.toFixed(7)}`);
  });
}

function buildExtractor(model, layers) {
  // One model, several pooled outputs: one forward pass gives every candidate's features.
  const outputs = layers.map((name) => tf.layers.globalAveragePooling2d({ name: `gap_${name}` }).apply(model.getLayer(name).output));
  return tf.model({ inputs: model.inputs, outputs });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.parity > 0) return parity(o);
  await setBackend(o.backend);
  const t0 = performance.now();
  const model = await tf.loadLayersModel(fileIOHandler(o.model));
  const tLoad = performance.now() - t0;
  console.log(`model-check: backend ${tf.getBackend()}, model ${path.relative(process.cwd(), o.model)} loaded in ${tLoad.toFixed(0)} ms`);
  console.log(`  ${model.layers.length} layers, input ${JSON.stringify(model.inputs[0].shape)}, output ${JSON.stringify(model.outputs[0].shape)}`);
  console.log('layers around the feature candidates:');
  console.log(describeLayers(model, ['block_10_project_BN', 'block_16_project_BN', 'out_relu']));
  const lastRelu = [...model.layers].reverse().find((l) => l.getClassName() === 'ReLU');
  console.log(`  last ReLU layer: ${lastRelu.name} ${JSON.stringify(lastRelu.outputShape)}`);
  const rescaling = model.layers.filter((l) => /^(Rescaling|Normalization|Lambda)$/.test(l.getClassName()));
  console.log(`  input rescaling layers in the model: ${rescaling.length ? rescaling.map((l) => l.name).join(', ') : 'none'}`);

  const extractor = buildExtractor(model, o.layers);

  const { items: all, names } = readDemo(o.demo);
  const taken = new Map();
  let items = all.filter((it) => {
    const k = taken.get(it.category) ?? 0;
    taken.set(it.category, k + 1);
    return k < o.perClass;
  });
  items = items.slice(0, o.limit);
  const bg = o.background === 'white' ? 255 : 0;

  const feats = o.layers.map(() => []);
  let tDecode = 0;
  let tInfer = 0;
  const tStart = performance.now();
  for (let b = 0; b < items.length; b += o.batch) {
    const batch = items.slice(b, b + o.batch);
    const td = performance.now();
    const decoded = batch.map((it) => decodeRgb(fs.readFileSync(it.file), bg));
    const x = preprocess(decoded, o.input);
    tDecode += performance.now() - td;
    const ti = performance.now();
    const ys = tf.tidy(() => {
      const r = extractor.predict(x);
      return Array.isArray(r) ? r : [r];
    });
    const arrays = await Promise.all(ys.map((y) => y.data()));
    tInfer += performance.now() - ti;
    tf.dispose([x, ...ys]);
    arrays.forEach((arr, li) => {
      const dim = arr.length / batch.length;
      for (let i = 0; i < batch.length; i++) feats[li].push(l2normalise(Float64Array.from(arr.subarray(i * dim, (i + 1) * dim))));
    });
    const done = b + batch.length;
    if (done === batch.length || done % (o.batch * 10) === 0 || done === items.length) {
      const ms = (performance.now() - tStart) / done;
      process.stderr.write(`  embedded ${done}/${items.length}  ${ms.toFixed(0)} ms/image\n`);
    }
  }
  const tTotal = performance.now() - tStart;
  const perImage = tInfer / items.length;
  console.log(
    `embedded ${items.length} images of ${new Set(items.map((i) => i.category)).size} classes ` +
      `(background ${o.background}, input ${o.input === 'm11' ? '[-1,1]' : '[0,1]'}, batch ${o.batch}) in ${(tTotal / 1000).toFixed(1)} s: ` +
      `${perImage.toFixed(0)} ms/image inference + ${(tDecode / items.length).toFixed(1)} ms/image decode+resize`,
  );

  // Raw-pixel baseline: the preprocessed image average-pooled to 14×14×3 (588-d), same metrics.
  const labels = items.map((i) => i.category);
  const groups = items.map((i) => i.institution);
  const results = [];
  const pixelVecs = [];
  for (const it of items) {
    const v = tf.tidy(() => {
      const x = preprocess([decodeRgb(fs.readFileSync(it.file), bg)], o.input);
      return tf.avgPool(x, 16, 16, 'valid').reshape([-1]).dataSync();
    });
    pixelVecs.push(l2normalise(Float64Array.from(v)));
  }
  const rows = [{ name: 'pixels (14×14×3 avg-pool)', dim: pixelVecs[0].length, vecs: pixelVecs }].concat(
    o.layers.map((name, li) => ({ name, dim: feats[li][0].length, vecs: feats[li] })),
  );
  console.log('\nleave-one-out, cosine on L2-normalised GAP features (acc / balanced acc):');
  console.log(`  ${'layer'.padEnd(26)} ${'dim'.padStart(5)}   ${'NCM'.padEnd(15)} ${'1-NN'.padEnd(15)} cross-vendor 1-NN`);
  const pct = (x) => (100 * x).toFixed(1).padStart(5);
  for (const r of rows) {
    const e = evaluate(r.vecs, labels, groups);
    results.push({ layer: r.name, dim: r.dim, ...e });
    console.log(
      `  ${r.name.padEnd(26)} ${String(r.dim).padStart(5)}   ${pct(e.ncm.acc)} / ${pct(e.ncm.balAcc)}   ${pct(e.nn1.acc)} / ${pct(e.nn1.balAcc)}   ${pct(e.xv.acc)} / ${pct(e.xv.balAcc)}`,
    );
  }
  const r0 = results[1]?.ncm ?? results[0].ncm;
  const xv0 = results[0].xv;
  console.log(
    `  (NCM and 1-NN over ${r0.n} images in ${r0.classes} classes with ≥ 2 images; cross-vendor over ${xv0.n} images in ${xv0.classes} classes drawn by both; ` +
      `chance ≈ ${(100 / new Set(labels).size).toFixed(1)}%)`,
  );
  if (o.json) {
    fs.writeFileSync(
      o.json,
      JSON.stringify({ options: { ...o, perClass: String(o.perClass), limit: String(o.limit) }, images: items.length, msPerImage: perImage, results, classNames: Object.fromEntries(names) }, null, 1),
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
