/**
 * A model cut at a feature layer, with global average pooling: images in (the preprocessed
 * 224×224 RGB bytes of src/core/embed/preprocess.ts), embeddings out. Three sources:
 * - the bundled layers model (model.json + weights served by the app), cut at a named layer;
 * - ImageNet MobileNetV2 through @tensorflow-models/mobilenet (TF Hub or a URL), cached in
 *   IndexedDB after the first download so it works offline afterwards;
 * - a model the user drops (model.json + shards; layers or graph), cut at a named layer or node.
 * One batch shape for the whole run (a partial batch is padded): a new shape would make WebGPU
 * and WebGL compile their programs again. Every tensor is disposed; numTensors stays flat.
 */

import * as tf from '@tensorflow/tfjs';
import { inputScale, MODEL_INPUT_SIZE, type InputRange } from '../core/embed/preprocess.ts';
import { foldLayers } from './foldedLayers.ts';

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

type Forward = (x: tf.Tensor4D) => tf.Tensor;

export class FeatureModel {
  private constructor(
    private readonly forward: Forward,
    private readonly release: () => void,
    readonly dim: number,
    readonly batchSize: number,
    private readonly range: InputRange,
    /** Where it came from, for people ("model.json, node …", "TF Hub", "IndexedDB cache"). */
    readonly origin: string,
  ) {}

  /** The bundled layers model, cut at `layer`. */
  static async create(files: ModelFiles, layer: string, batchSize: number, range: InputRange): Promise<FeatureModel> {
    const base = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: files.json.modelTopology as tf.io.ModelJSON['modelTopology'],
        weightSpecs: files.json.weightsManifest.flatMap((g) => g.weights),
        weightData: files.weights,
      }),
    );
    return FeatureModel.fromLayers(base, layer, batchSize, range, `layer ${layer}`);
  }

  /**
   * A layers model cut at `layer` (default: its output). Run folded (normalisations and ReLU6
   * fused into the convolutions, see foldedLayers.ts) when every layer on the way allows it.
   */
  static async fromLayers(base: tf.LayersModel, layer: string | undefined, batchSize: number, range: InputRange, origin: string): Promise<FeatureModel> {
    let output: tf.SymbolicTensor;
    try {
      output = (layer ? base.getLayer(layer).output : base.outputs[0]) as tf.SymbolicTensor;
    } catch {
      freeLayers(base);
      throw new Error(`the model has no layer named "${layer}" (layers: ${base.layers.slice(-5).map((l) => l.name).join(', ')}, …)`);
    }
    const folded = foldLayers(base, layer);
    if (folded) {
      return FeatureModel.fromForward(folded.forward, () => (folded.dispose(), freeLayers(base)), batchSize, range, `${origin}, ${folded.foldedLayers} layers folded into convolutions`);
    }
    const cut = layer ? tf.model({ inputs: base.inputs, outputs: output }) : base;
    return FeatureModel.fromForward((x) => cut.predict(x) as tf.Tensor, () => freeLayers(base), batchSize, range, origin);
  }

  static async fromGraph(graph: tf.GraphModel, node: string, batchSize: number, range: InputRange, origin: string): Promise<FeatureModel> {
    return FeatureModel.fromForward((x) => graph.execute(x, node || undefined) as tf.Tensor, () => graph.dispose(), batchSize, range, origin);
  }

  /** From any forward function; one warm-up batch finds the embedding's size and compiles the backend's programs. */
  static async fromForward(forward: Forward, release: () => void, batchSize: number, range: InputRange, origin: string): Promise<FeatureModel> {
    let dim: number;
    try {
      const shape = tf.tidy(() => forward(tf.zeros([1, MODEL_INPUT_SIZE, MODEL_INPUT_SIZE, 3])).shape);
      if (shape.length !== 4 && shape.length !== 2) throw new Error(`the feature output has shape [${shape.join(', ')}]: expected [batch, h, w, c] or [batch, c]`);
      dim = shape[shape.length - 1];
    } catch (e) {
      release();
      throw e;
    }
    const model = new FeatureModel(forward, release, dim, batchSize, range, origin);
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
      const out = this.forward(x);
      return out.rank === 4 ? tf.mean(out, [1, 2]) : out;
    });
    try {
      const values = (await pooled.data()) as Float32Array;
      return values.slice(0, count * this.dim);
    } finally {
      pooled.dispose();
    }
  }

  dispose(): void {
    this.release();
  }
}

/**
 * Frees a layers model's weights. A cut model shares its layers with the base model, and
 * disposing one container marks shared layers disposed for the other, so each weight is freed
 * directly.
 */
function freeLayers(base: tf.LayersModel): void {
  for (const weight of base.weights) {
    try {
      weight.dispose();
    } catch {
      // already freed
    }
  }
}

/**
 * ImageNet MobileNetV2 (α 1.0, 224) through @tensorflow-models/mobilenet, as its `infer(x, true)`
 * computes it: 1280-d average-pooled features. Loaded from IndexedDB when cached, else from
 * `url` (null: the package's TF Hub address), then cached. It normalises pixels itself, so the
 * input stays in [0, 255].
 */
export async function loadMobileNetHub(url: string | null, cacheName: string, batchSize: number): Promise<FeatureModel> {
  const mobilenet = await import('@tensorflow-models/mobilenet');
  const cached = `indexeddb://${cacheName}`;
  let origin = `IndexedDB cache (${cacheName})`;
  let net: Awaited<ReturnType<typeof mobilenet.load>>;
  try {
    net = await mobilenet.load({ version: 2, alpha: 1.0, modelUrl: cached });
  } catch {
    try {
      net = await mobilenet.load({ version: 2, alpha: 1.0, ...(url ? { modelUrl: url } : {}) });
    } catch (e) {
      throw new Error(`ImageNet MobileNetV2 could not be downloaded from ${url ?? 'TF Hub'} (${(e as Error).message}); the bundled model works offline`);
    }
    origin = url ?? 'TF Hub';
    const graph = (net as unknown as { model: tf.GraphModel }).model;
    await graph.save(cached).catch(() => {
      origin += ' (could not be cached: the next run downloads it again)';
    });
  }
  const graph = (net as unknown as { model: tf.GraphModel }).model;
  return FeatureModel.fromForward((x) => net.infer(x, true) as tf.Tensor, () => graph.dispose(), batchSize, 'zeroTo255', origin);
}

/** A TensorFlow.js model the user dropped: model.json and its weight shards, layers or graph. */
export async function loadDroppedModel(files: File[], node: string, batchSize: number, range: InputRange): Promise<FeatureModel> {
  const jsonFile = files.find((f) => f.name.toLowerCase().endsWith('.json'));
  if (!jsonFile) throw new Error('drop the model.json together with its weight files (.bin)');
  let json: { format?: string; modelTopology?: { model_config?: unknown; class_name?: string; node?: unknown } };
  try {
    json = JSON.parse(await jsonFile.text());
  } catch (e) {
    throw new Error(`${jsonFile.name} is not JSON (${(e as Error).message})`);
  }
  const handler = tf.io.browserFiles([jsonFile, ...files.filter((f) => f !== jsonFile)]);
  const isGraph = json.format === 'graph-model' || (json.modelTopology !== undefined && 'node' in json.modelTopology);
  const origin = `${jsonFile.name}, ${isGraph ? 'node' : 'layer'} ${node || '(model output)'}`;
  if (isGraph) return FeatureModel.fromGraph(await tf.loadGraphModel(handler), node, batchSize, range, origin);
  const layers = await tf.loadLayersModel(handler);
  return FeatureModel.fromLayers(layers, node || undefined, batchSize, range, origin);
}
