import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { mulberry32 } from '../core/random.mjs';
import { foldLayers } from './foldedLayers.ts';

// A variable specifier keeps tsc from looking for declarations of the .mjs module.
const COPY_MODEL = pathToFileURL(path.resolve(__dirname, '../../scripts/copy-model.mjs')).href as string;
const { copyModel } = (await import(COPY_MODEL)) as { copyModel: (outDir: string) => unknown };

const rand = mulberry32(7);

/** Random weights everywhere, variances kept positive, so that folding has something to fold. */
function randomize(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (!weights.length) continue;
    const isBn = layer.getClassName() === 'BatchNormalization';
    layer.setWeights(
      weights.map((w, i) => {
        const values = Float32Array.from({ length: w.size }, () => rand() * 2 - 1);
        // BatchNormalization: [gamma, beta, moving_mean, moving_variance]
        if (isBn && i === 3) for (let j = 0; j < values.length; j++) values[j] = 0.2 + Math.abs(values[j]) * 3;
        if (isBn && i === 0) for (let j = 0; j < values.length; j++) values[j] = 0.5 + values[j];
        return tf.tensor(values, w.shape);
      }),
    );
  }
}

/** A small MobileNetV2-shaped network: padding, stride-2 conv, depthwise ×2, projection, residual add, a conv with its own bias and relu. */
function smallNetwork(): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 3], name: 'input' });
  const pad = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'pad' }).apply(input) as tf.SymbolicTensor;
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'conv1' }).apply(pad) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'conv1_bn' }).apply(x) as tf.SymbolicTensor;
  const a = tf.layers.reLU({ maxValue: 6, name: 'conv1_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: false, name: 'dw' }).apply(a) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'dw_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'dw_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, name: 'project' }).apply(x) as tf.SymbolicTensor;
  const projected = tf.layers.batchNormalization({ name: 'project_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.add({ name: 'add' }).apply([a, projected]) as tf.SymbolicTensor;
  // Its own bias and activation: the normalisation after it cannot be folded and runs on its own.
  x = tf.layers.conv2d({ filters: 5, kernelSize: 1, useBias: true, activation: 'relu', name: 'head' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'head_bn' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x });
  randomize(model);
  return model;
}

function maxRelativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(a.shape).toEqual(b.shape);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / scale;
}

function compare(model: tf.LayersModel, layer: string | undefined, x: tf.Tensor4D) {
  const folded = foldLayers(model, layer);
  expect(folded).not.toBeNull();
  const cut = layer ? tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tf.SymbolicTensor }) : model;
  const expected = cut.predict(x) as tf.Tensor;
  const got = tf.tidy(() => folded!.forward(x));
  const difference = maxRelativeDifference(got, expected);
  tf.dispose([expected, got]);
  folded!.dispose();
  return { difference, foldedLayers: folded!.foldedLayers };
}

describe('foldLayers on a small network (cpu backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the layers model output, with every foldable normalisation and activation folded', () => {
    const model = smallNetwork();
    const x = tf.randomUniform([3, 9, 9, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const { difference, foldedLayers } = compare(model, undefined, x);
    expect(difference).toBeLessThan(1e-5);
    // conv1_bn + conv1_relu, dw_bn + dw_relu, project_bn; head_bn follows an activation and stays.
    expect(foldedLayers).toBe(5);
  });

  it('cut at a normalisation that the next activation reads: the cut value, not the activated one', () => {
    const model = smallNetwork();
    const x = tf.randomUniform([2, 9, 9, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
    const atBn = compare(model, 'conv1_bn', x);
    expect(atBn.difference).toBeLessThan(1e-5);
    expect(atBn.foldedLayers).toBe(1);
    expect(compare(model, 'project_bn', x).difference).toBeLessThan(1e-5);
  });

  it('a layer kind it does not know: null, and the model runs as written', () => {
    const input = tf.input({ shape: [4, 4, 2] });
    const x = tf.layers.conv2d({ filters: 3, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
    expect(foldLayers(tf.model({ inputs: input, outputs: pooled }))).toBeNull();
    expect(foldLayers(tf.model({ inputs: input, outputs: x }))).not.toBeNull();
  });
});

describe('foldLayers on the bundled MobileNetV2 (wasm backend)', () => {
  let dir = '';
  let model: tf.LayersModel;

  beforeAll(async () => {
    await tf.setBackend('wasm');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-fold-'));
    copyModel(dir);
    const modelDir = path.join(dir, 'mobilenet_v2');
    const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
    const bytes = fs.readFileSync(path.join(modelDir, 'weights.bin'));
    model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights),
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
      }),
    );
  }, 60_000);

  afterAll(() => {
    model?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(['block_10_project_BN', 'out_relu'])('%s: the same features as the layers model', (layer) => {
    const x = tf.randomUniform([2, 224, 224, 3], -1, 1, 'float32', 11) as tf.Tensor4D;
    const { difference, foldedLayers } = compare(model, layer, x);
    x.dispose();
    expect(difference).toBeLessThan(1e-4);
    // In MobileNetV2 every BatchNormalization follows a convolution and every ReLU6 a
    // normalisation: all of them up to the cut are folded (out_relu: 52 + 35).
    const upToCut = model.layers.slice(0, model.layers.findIndex((l) => l.name === layer) + 1);
    const foldable = upToCut.filter((l) => ['BatchNormalization', 'ReLU'].includes(l.getClassName())).length;
    expect(foldedLayers).toBe(foldable);
    if (layer === 'out_relu') expect(foldedLayers).toBe(87);
  }, 60_000);
});
