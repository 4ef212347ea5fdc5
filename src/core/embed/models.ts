/**
 * The models the app embeds with. The bundled one is served by the app itself (copied from the
 * npm package nsfwjs at build time by scripts/copy-model.mjs; see docs/MODEL.md): nothing is
 * fetched from a model hub.
 */

import type { InputRange } from './preprocess.ts';

export interface FeatureLayer {
  /** The layer whose output is global-average-pooled into the embedding. */
  layer: string;
  dim: number;
  label: string;
}

export interface ModelSpec {
  id: string;
  label: string;
  /** model.json, relative to the app's base URL. */
  url: string;
  inputRange: InputRange;
  layers: FeatureLayer[];
  /** Shown in the app: where the weights come from and under which licence. */
  origin: string;
}

export const BUNDLED_MOBILENET_V2: ModelSpec = {
  id: 'mobilenet_v2-nsfwjs',
  label: 'MobileNetV2 α1.0 224 (bundled)',
  url: 'models/mobilenet_v2/model.json',
  inputRange: 'minus1to1',
  layers: [
    // Measured on the demo set (scripts/model-check.mjs, docs/MODEL.md): nearest class mean
    // 32.8 % vs 22.7 %, 1-NN 62.4 % vs 55.6 %, so block 10 is the default.
    { layer: 'block_10_project_BN', dim: 96, label: 'block 10 (96-d, ImageNet weights) — default, separates classes better' },
    { layer: 'out_relu', dim: 1280, label: 'last convolution (1280-d, fine-tuned by nsfwjs for another task)' },
  ],
  origin:
    'Keras MobileNetV2 (α 1.0, 224 px) as shipped in the npm package nsfwjs 4.4 (MIT licence, © Infinite Red): layers up to block 10 are the ImageNet weights; block 11 onwards were fine-tuned by nsfwjs. Weights are uint8-quantised.',
};

/**
 * ImageNet MobileNetV2 through @tensorflow-models/mobilenet (`infer(x, true)`: 1280-d): needs the
 * network once (TF Hub, or a URL the user enters), then comes from the IndexedDB cache.
 */
export const IMAGENET_MOBILENET_V2: ModelSpec = {
  id: 'mobilenet_v2-imagenet',
  label: 'ImageNet MobileNetV2 α1.0 224 (@tensorflow-models/mobilenet, downloaded once)',
  url: '',
  inputRange: 'zeroTo255',
  layers: [{ layer: 'embedding', dim: 1280, label: 'average-pooled features (1280-d), the package’s infer(x, true)' }],
  origin: 'Google’s MobileNetV2 (ImageNet classification, TF Hub, Apache 2.0), loaded by @tensorflow-models/mobilenet 2.1 and kept in this browser’s IndexedDB.',
};

export const CUSTOM_MODEL_ID = 'custom';

export const MODELS: ModelSpec[] = [BUNDLED_MOBILENET_V2, IMAGENET_MOBILENET_V2];

export function featureLayerOf(model: ModelSpec, layer: string): FeatureLayer {
  const found = model.layers.find((l) => l.layer === layer);
  if (!found) throw new Error(`${model.label} has no feature layer ${layer}`);
  return found;
}

/** Where a run's model comes from; `key` parts name it in the run's storage key. */
export type ModelSource =
  | { kind: 'layers-url'; url: string; layer: string; inputRange: InputRange }
  | { kind: 'mobilenet-hub'; url: string | null; cacheName: string }
  | { kind: 'files'; files: File[]; node: string; inputRange: InputRange };
