/**
 * A tfjs layers model cut at a feature layer, with global average pooling: images in (the
 * preprocessed 224×224 RGB bytes of src/core/embed/preprocess.ts), embeddings out. One batch
 * shape for the whole run (a partial batch is padded): a new shape would make WebGPU and WebGL
 * compile their programs again. Every tensor is disposed; tf.memory().numTensors stays flat.
 */

import * as tf from '@tensorflow/tfjs';
import { inputScale, MODEL_INPUT_SIZE, type InputRange } from '../core/embed/preprocess.ts';

export interface ModelFiles {
  /** model.json's parsed content. */
  json: { modelTopology: unknown; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; format?: string };
  weights: ArrayBuffer;
}

/** Fetches model.json and its shards (the app's own files). */
export async function fetchModelFiles(modelUrl: string): Promise<ModelFiles> {
  const response = await fetch(modelUrl);
  if (!response.ok) throw new Error(`${modelUrl}: HTTP ${response.status}`);
  const json = (await response.json()) as ModelFiles['json'];
  const shards = await Promise.all(
    json.weightsManifest.flatMap((group) =>
      group.paths.map(async (p) => {
        const url = new URL(p, new URL(modelUrl, location.href)).href;
        const r = await fetch(url);
        if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
        return new Uint8Array(await r.arrayBuffer());
      }),
    ),
  );
  const total = shards.reduce((a, s) => a + s.length, 0);
  const weights = new Uint8Array(total);
  let at = 0;
  for (const s of shards) {
    weights.set(s, at);
    at += s.length;
  }
  return { json, weights: weights.buffer };
}

export class FeatureModel {
  private constructor(
    private readonly base: tf.LayersModel,
    private readonly features: tf.LayersModel,
    readonly dim: number,
    readonly batchSize: number,
    private readonly range: InputRange,
  ) {}

  /** Builds the model on the current backend, cut at `layer` (its output is pooled over space). */
  static async create(files: ModelFiles, layer: string, batchSize: number, range: InputRange): Promise<FeatureModel> {
    const base = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: files.json.modelTopology as tf.io.ModelJSON['modelTopology'],
        weightSpecs: files.json.weightsManifest.flatMap((g) => g.weights),
        weightData: files.weights,
      }),
    );
    let output: tf.SymbolicTensor;
    try {
      output = base.getLayer(layer).output as tf.SymbolicTensor;
    } catch {
      base.dispose();
      throw new Error(`the model has no layer named ${layer}`);
    }
    const features = tf.model({ inputs: base.inputs, outputs: output });
    const shape = output.shape;
    if (shape.length !== 4) {
      base.dispose();
      throw new Error(`layer ${layer} has output shape [${shape.join(', ')}], not [batch, height, width, channels]`);
    }
    const model = new FeatureModel(base, features, shape[3]!, batchSize, range);
    // One warm-up batch compiles the backend's programs before anything is timed.
    await model.embed(new Uint8Array(batchSize * MODEL_INPUT_SIZE * MODEL_INPUT_SIZE * 3), batchSize);
    return model;
  }

  /**
   * Embeds `count` images from `pixels` (count×224×224×3 bytes, count ≤ batchSize; the rest of
   * the batch is zeros). Returns count×dim float32.
   */
  async embed(pixels: Uint8Array, count: number): Promise<Float32Array> {
    const size = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE * 3;
    if (count > this.batchSize || pixels.length < count * size) throw new RangeError(`embed: ${count} images in ${pixels.length} bytes, batch ${this.batchSize}`);
    const { scale, offset } = inputScale(this.range);
    const input = new Float32Array(this.batchSize * size);
    for (let i = 0; i < count * size; i++) input[i] = pixels[i] * scale + offset;
    // Padding rows are zero pixels, scaled like the rest.
    if (offset !== 0) input.fill(offset, count * size);
    const pooled = tf.tidy(() => {
      const x = tf.tensor4d(input, [this.batchSize, MODEL_INPUT_SIZE, MODEL_INPUT_SIZE, 3]);
      const maps = this.features.predict(x) as tf.Tensor4D;
      return tf.mean(maps, [1, 2]);
    });
    try {
      const values = (await pooled.data()) as Float32Array;
      return values.slice(0, count * this.dim);
    } finally {
      pooled.dispose();
    }
  }

  /**
   * Frees the weights. The cut model shares its layers with the base model, and disposing one
   * container marks shared layers disposed for the other, so each weight is freed directly.
   */
  dispose(): void {
    for (const weight of this.base.weights) {
      try {
        weight.dispose();
      } catch {
        // already freed
      }
    }
  }
}
