#!/usr/bin/env node
// Copies the MobileNetV2 that the npm package nsfwjs bundles into public/models/mobilenet_v2/ as a
// standard TensorFlow.js layers model (model.json + weights.bin), so that the app can load it with
// tf.loadLayersModel('models/mobilenet_v2/model.json') from its own origin. Nothing is fetched from
// a model hub, at build time or at run time.
//
// nsfwjs ships the model as two browserify/UMD modules in dist/models/mobilenet_v2/:
//   model.min.js             module.exports = { modelTopology, weightsManifest }   (no format fields)
//   group1-shard1of1.min.js  module.exports = "<base64 of the binary weight shard>"
// (see nsfwjs/dist/esm/model_imports/mobilenet_v2.js and its JSONHandler in dist/esm/core.js).
// Both are CommonJS (dist/models/package.json says so) and only assign module.exports, so we
// require() them by absolute path (the package's "exports" map does not list them), decode the
// base64 and write the two standard files. The weights stay exactly as shipped: uint8-quantised
// (each weight has quantization {dtype: 'uint8', min, scale}); tfjs dequantises them on load.
//
// Deterministic (no clock, key order from the source) and fast (~0.1 s). See docs/MODEL.md.
//
// Usage: node scripts/copy-model.mjs [outDir]   (default: public/models; writes outDir/mobilenet_v2/)

import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT_DIR = path.join(REPO_ROOT, 'public', 'models');
export const MODEL_NAME = 'mobilenet_v2';

/** The two feature layers the app embeds with (see docs/MODEL.md). */
export const FEATURE_LAYERS = {
  /** Last 1280-channel conv activation (ReLU6), 7×7×1280 for a 224×224 input; fine-tuned by nsfwjs. */
  last: 'out_relu',
  /** End of block 10 (no residual add in block 10: 64→96 channels), 14×14×96; frozen ImageNet weights. */
  block10: 'block_10_project_BN',
};
/** First layer whose weights nsfwjs fine-tuned; everything before it is Keras's ImageNet MobileNetV2. */
export const FIRST_FINE_TUNED_LAYER = 'block_11_expand';

/** Bytes per stored value for a weight spec (quantised dtype wins over the logical dtype). */
const BYTES = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };
export function weightSpecBytes(spec) {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const per = BYTES[dtype];
  if (per === undefined) throw new Error(`copy-model: unsupported dtype ${dtype} for ${spec.name}`);
  return spec.shape.reduce((a, b) => a * b, 1) * per;
}

/** nsfwjs's package folder (its "exports" map hides package.json, so walk up from its entry). */
export function nsfwjsDir() {
  let dir = path.dirname(require.resolve('nsfwjs'));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'nsfwjs') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('copy-model: cannot find the nsfwjs package (npm ci?)');
    dir = up;
  }
}

/**
 * Writes outDir/mobilenet_v2/{model.json, weights.bin, NOTICE.md}, replacing that folder.
 * Returns a summary (paths, sizes, counts, sha256 of the two model files).
 */
export function copyModel(outDir = DEFAULT_OUT_DIR) {
  const pkgDir = nsfwjsDir();
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const srcDir = path.join(pkgDir, 'dist', 'models', MODEL_NAME);

  const src = require(path.join(srcDir, 'model.min.js'));
  const { modelTopology, weightsManifest } = src ?? {};
  if (!modelTopology?.model_config || !Array.isArray(weightsManifest)) {
    throw new Error(`copy-model: ${srcDir}/model.min.js has no modelTopology.model_config / weightsManifest`);
  }

  // Decode every shard named in the manifest, in manifest order (nsfwjs's JSONHandler does the
  // same and concatenates them); tfjs reads weights from one concatenated buffer in spec order.
  const shards = [];
  const weights = [];
  for (const group of weightsManifest) {
    for (const p of group.paths) {
      const b64 = require(path.join(srcDir, `${p}.min.js`));
      if (typeof b64 !== 'string') throw new Error(`copy-model: ${p}.min.js does not export a string`);
      shards.push(Buffer.from(b64, 'base64'));
    }
    weights.push(...group.weights);
  }
  const bin = Buffer.concat(shards);
  const expected = weights.reduce((a, w) => a + weightSpecBytes(w), 0);
  if (bin.length !== expected) {
    throw new Error(`copy-model: weights are ${bin.length} bytes, the manifest says ${expected}`);
  }

  const layers = modelTopology.model_config.config.layers;
  const names = layers.map((l) => l.name);
  for (const n of Object.values(FEATURE_LAYERS)) {
    if (!names.includes(n)) throw new Error(`copy-model: layer ${n} not in the model`);
  }
  // The Keras config records which layers were trainable when nsfwjs fine-tuned it.
  const firstTrainable = layers.find((l) => l.config?.trainable === true)?.name;
  if (firstTrainable !== FIRST_FINE_TUNED_LAYER) {
    throw new Error(`copy-model: first trainable layer is ${firstTrainable}, expected ${FIRST_FINE_TUNED_LAYER}`);
  }

  const model = {
    format: 'layers-model',
    generatedBy: `keras v${modelTopology.keras_version ?? 'unknown'}`,
    convertedBy: `Long-Tail Lab scripts/copy-model.mjs from nsfwjs ${pkg.version} dist/models/${MODEL_NAME}`,
    modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights }],
  };
  const json = Buffer.from(JSON.stringify(model));

  const dir = path.join(outDir, MODEL_NAME);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.json'), json);
  fs.writeFileSync(path.join(dir, 'weights.bin'), bin);
  const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
  const summary = {
    dir,
    nsfwjsVersion: pkg.version,
    layers: layers.length,
    weights: weights.length,
    modelJsonBytes: json.length,
    weightsBytes: bin.length,
    sha256: { 'model.json': sha(json), 'weights.bin': sha(bin) },
  };
  fs.writeFileSync(path.join(dir, 'NOTICE.md'), notice(pkg, pkgDir, summary, names));
  return summary;
}

function notice(pkg, pkgDir, s, names) {
  const licence = fs.readFileSync(path.join(pkgDir, 'LICENSE'), 'utf8').trim();
  const fineTuned = names.slice(names.indexOf(FIRST_FINE_TUNED_LAYER));
  return [
    '# MobileNetV2 (from nsfwjs) — origin and licence',
    '',
    'Generated by `scripts/copy-model.mjs`; do not edit. See `docs/MODEL.md`.',
    '',
    `- \`model.json\` + \`weights.bin\`: a TensorFlow.js layers model taken unchanged from the npm`,
    `  package **nsfwjs ${pkg.version}** by **Infinite Red, Inc.** (https://github.com/infinitered/nsfwjs),`,
    `  MIT licence (below): \`model.json\` holds the topology and weights manifest of`,
    `  \`dist/models/${MODEL_NAME}/model.min.js\` (manifest pointed at \`weights.bin\`), and \`weights.bin\``,
    '  is the base64 of `group1-shard1of1.min.js` decoded, byte for byte. The weights are',
    '  uint8-quantised as shipped.',
    '- The network is **MobileNetV2** (Sandler et al., 2018, "MobileNetV2: Inverted Residuals and',
    '  Linear Bottlenecks") by **Google**, α = 1.0, 224×224 input, as built by Keras 2.2.4',
    '  (`keras.applications.MobileNetV2`), initialised with its **ImageNet** weights.',
    `- Layers up to and including \`block_10_project_BN\` keep the ImageNet weights (frozen).`,
    `- **Fine-tuned by nsfwjs** for its 5 classes (Drawing, Hentai, Neutral, Porn, Sexy): the`,
    `  ${fineTuned.length} layers from \`${FIRST_FINE_TUNED_LAYER}\` to \`${names[names.length - 1]}\`,`,
    '  i.e. blocks 11–16, `Conv_1`, `Conv_1_bn`, `out_relu` and the classification head',
    '  (`average_pooling2d_1`, `flatten_1`, `dense_1`…`dense_3`).',
    '',
    `Files: model.json ${s.modelJsonBytes} bytes (sha256 ${s.sha256['model.json']}),`,
    `weights.bin ${s.weightsBytes} bytes (sha256 ${s.sha256['weights.bin']}); ${s.layers} layers,`,
    `${s.weights} weight tensors.`,
    '',
    '## nsfwjs licence',
    '',
    '```',
    licence,
    '```',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// CLI

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const outDir = path.resolve(process.argv[2] ?? DEFAULT_OUT_DIR);
  const t0 = process.hrtime.bigint();
  const s = copyModel(outDir);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `copy-model: wrote ${path.relative(process.cwd(), s.dir) || '.'} in ${ms.toFixed(0)} ms ` +
      `(nsfwjs ${s.nsfwjsVersion}: ${s.layers} layers, ${s.weights} uint8-quantised weight tensors)\n` +
      `  model.json  ${s.modelJsonBytes} bytes  sha256 ${s.sha256['model.json']}\n` +
      `  weights.bin ${s.weightsBytes} bytes  sha256 ${s.sha256['weights.bin']}`,
  );
}
