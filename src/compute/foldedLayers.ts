/**
 * A Keras layers model run as fused convolutions: each convolution followed by batch
 * normalisation (and a ReLU / ReLU6) becomes one `tf.fused.conv2d` / `depthwiseConv2d` with the
 * normalisation folded into its weights and bias and the activation fused in.
 *
 * Why: a layers model runs BatchNormalization and ReLU(max_value = 6) as separate kernels over
 * every activation map. Profiled on the WASM backend (tf.profile, the bundled MobileNetV2, batch
 * 8) FusedBatchNorm took 37% of the time, ClipByValue + Relu another 7%: memory passes that the
 * folded network does not make. tfjs's converter folds graph models the same way; layers models
 * it runs as written.
 *
 * Folding is exact algebra (y = γ(x·W − μ)/√(σ² + ε) + β = x·(W·s) + (β − μ·s), s = γ/√(σ² + ε)),
 * so outputs differ from the layers model only by float rounding. A layer kind outside the
 * supported set makes `foldLayers` return null and the caller runs the model as written.
 */

import * as tf from '@tensorflow/tfjs';

type Activation = 'linear' | 'relu' | 'relu6';

interface Step {
  /** Names of the values this step reads (a layer's name stands for its output). */
  inputs: string[];
  output: string;
  run: (inputs: tf.Tensor[]) => tf.Tensor;
}

export interface FoldedModel {
  /** The output of `outputLayer` for a batch of inputs; call inside tf.tidy. */
  forward: (x: tf.Tensor4D) => tf.Tensor;
  /** Frees the folded weights (the layers model's own weights are not touched). */
  dispose: () => void;
  /** Layers folded into the step before them (normalisations and activations). */
  foldedLayers: number;
}

/** A layer's getConfig(): tfjs's camelCase names (dataFormat, dilationRate, useBias, maxValue). */
type Config = Record<string, unknown>;

function inboundLayers(layer: tf.layers.Layer): tf.layers.Layer[] | null {
  if (layer.inboundNodes.length !== 1) return null; // a shared layer: not a plain graph
  return layer.inboundNodes[0].inboundLayers;
}

function activationOf(name: unknown): Activation | null {
  if (name === 'linear' || name === undefined || name === null) return 'linear';
  if (name === 'relu' || name === 'relu6') return name;
  return null;
}

/** A ReLU layer (tfjs keeps only its maxValue) or Activation layer that is exactly relu or relu6, else null. */
function reluOf(layer: tf.layers.Layer): Activation | null {
  const cls = layer.getClassName();
  const cfg = layer.getConfig() as Config;
  if (cls === 'Activation') return activationOf(cfg.activation) === 'linear' ? null : activationOf(cfg.activation);
  if (cls !== 'ReLU') return null;
  if (cfg.maxValue === null || cfg.maxValue === undefined) return 'relu';
  return cfg.maxValue === 6 ? 'relu6' : null;
}

function applyActivation(x: tf.Tensor, activation: Activation): tf.Tensor {
  if (activation === 'relu') return tf.relu(x);
  if (activation === 'relu6') return tf.relu6(x);
  return x;
}

/** [scale, shift] of an inference-mode BatchNormalization over the last axis, or null. */
function batchNormAffine(layer: tf.layers.Layer): [tf.Tensor1D, tf.Tensor1D] | null {
  const cfg = layer.getConfig() as Config;
  const axis = cfg.axis;
  if (!(axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3)))) return null;
  const weights = layer.getWeights();
  const scaled = cfg.scale !== false;
  const centered = cfg.center !== false;
  if (weights.length !== (scaled ? 1 : 0) + (centered ? 1 : 0) + 2) return null;
  let i = 0;
  const gamma = scaled ? weights[i++] : null;
  const beta = centered ? weights[i++] : null;
  const mean = weights[i++];
  const variance = weights[i++];
  const epsilon = typeof cfg.epsilon === 'number' ? cfg.epsilon : 1e-3;
  const [scale, shift] = tf.tidy(() => {
    const inv = tf.rsqrt(tf.add(variance, epsilon));
    const s = gamma ? tf.mul(gamma, inv) : inv;
    return [s, tf.sub(beta ?? tf.zerosLike(mean), tf.mul(mean, s))];
  });
  return [scale as tf.Tensor1D, shift as tf.Tensor1D];
}

function pairOf(v: unknown, name: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number')) return [v[0], v[1]];
  throw new Error(`${name}: ${JSON.stringify(v)}`);
}

/**
 * Builds the folded network from the model's input to `outputLayer` (default: the model's last
 * layer). Null when a layer on the way is of a kind it does not know (the model then runs as is).
 */
export function foldLayers(model: tf.LayersModel, outputLayer?: string): FoldedModel | null {
  if (model.inputs.length !== 1) return null;
  const output = outputLayer ? model.getLayer(outputLayer) : model.layers[model.layers.length - 1];
  // The layers the output depends on, and how many of them read each one.
  const needed = new Set<tf.layers.Layer>();
  const stack = [output];
  while (stack.length) {
    const layer = stack.pop()!;
    if (needed.has(layer)) continue;
    needed.add(layer);
    const inbound = inboundLayers(layer);
    if (!inbound) return null;
    stack.push(...inbound);
  }
  const readers = new Map<tf.layers.Layer, tf.layers.Layer[]>();
  for (const layer of needed) for (const from of inboundLayers(layer)!) readers.set(from, [...(readers.get(from) ?? []), layer]);
  /** The one layer reading `layer`, when nothing else (the output included) needs its value. */
  const soleReader = (layer: tf.layers.Layer): tf.layers.Layer | null => {
    const r = readers.get(layer) ?? [];
    return layer !== output && r.length === 1 ? r[0] : null;
  };

  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const steps: Step[] = [];
  const consumed = new Set<tf.layers.Layer>();
  const inputName = model.inputLayers[0].name;
  let folded = 0;
  /** Fills `steps`; false at the first layer it cannot run. */
  const build = (): boolean => {
    // model.layers is in topological order; keep that order for the needed ones.
    for (const layer of model.layers) {
      if (!needed.has(layer) || consumed.has(layer)) continue;
      const cls = layer.getClassName();
      const cfg = layer.getConfig() as Config;
      const inputs = inboundLayers(layer)!.map((l) => l.name);
      if (cls === 'InputLayer') {
        if (layer.name !== inputName) return false;
        continue;
      }
      if (cls === 'Conv2D' || cls === 'DepthwiseConv2D') {
        if (cfg.dataFormat !== 'channelsLast') return false;
        const depthwise = cls === 'DepthwiseConv2D';
        const strides = pairOf(cfg.strides, 'strides');
        const dilations = pairOf(cfg.dilationRate, 'dilation');
        const pad = cfg.padding === 'same' || cfg.padding === 'valid' ? cfg.padding : null;
        let activation = activationOf(cfg.activation);
        if (!pad || !activation) return false;
        const weights = layer.getWeights();
        const useBias = cfg.useBias !== false;
        let kernel = weights[0];
        let bias: tf.Tensor1D | null = useBias ? (weights[1] as tf.Tensor1D) : null;
        let last = layer;
        const next = soleReader(last);
        if (activation === 'linear' && next && next.getClassName() === 'BatchNormalization') {
          const affine = batchNormAffine(next);
          if (affine) {
            const [scale, shift] = affine;
            const k = kernel;
            const b = bias;
            const [foldedKernel, foldedBias] = tf.tidy(() => {
              const s = depthwise ? tf.reshape(scale, [k.shape[2]!, k.shape[3]!]) : scale;
              return [tf.mul(k, s), b ? tf.add(tf.mul(b, scale), shift) : shift.clone()];
            });
            scale.dispose();
            shift.dispose();
            kernel = keep(foldedKernel);
            bias = keep(foldedBias as tf.Tensor1D);
            consumed.add(next);
            last = next;
            folded++;
          }
        }
        const after = soleReader(last);
        const relu = activation === 'linear' && after ? reluOf(after) : null;
        if (relu) {
          activation = relu;
          consumed.add(after!);
          last = after!;
          folded++;
        }
        const filter = kernel;
        const b = bias ?? undefined;
        const act = activation;
        steps.push({
          inputs,
          output: last.name,
          run: ([x]) =>
            depthwise
              ? tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides, pad, dilations, bias: b, activation: act })
              : tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides, pad, dilations, bias: b, activation: act }),
        });
        continue;
      }
      if (cls === 'BatchNormalization') {
        const affine = batchNormAffine(layer);
        if (!affine) return false;
        const [scale, shift] = affine.map(keep);
        steps.push({ inputs, output: layer.name, run: ([x]) => tf.add(tf.mul(x, scale), shift) });
        continue;
      }
      const relu = reluOf(layer);
      if (relu) {
        steps.push({ inputs, output: layer.name, run: ([x]) => applyActivation(x, relu) });
        continue;
      }
      if (cls === 'ZeroPadding2D') {
        // tfjs normalises any padding argument to [[top, bottom], [left, right]].
        if (cfg.dataFormat !== 'channelsLast') return false;
        const [[top, bottom], [left, right]] = cfg.padding as [[number, number], [number, number]];
        steps.push({ inputs, output: layer.name, run: ([x]) => tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) });
        continue;
      }
      if (cls === 'Add') {
        steps.push({ inputs, output: layer.name, run: (xs) => (xs.length === 2 ? tf.add(xs[0], xs[1]) : tf.addN(xs)) });
        continue;
      }
      return false;
    }
    return steps.some((s) => s.output === output.name);
  };
  let complete = false;
  try {
    complete = build();
  } catch {
    complete = false;
  }
  if (!complete) {
    for (const t of owned.splice(0)) t.dispose();
    return null;
  }
  return {
    foldedLayers: folded,
    forward: (x) => {
      const values = new Map<string, tf.Tensor>([[inputName, x]]);
      for (const step of steps) values.set(step.output, step.run(step.inputs.map((n) => values.get(n)!)));
      return values.get(output.name)!;
    },
    dispose: () => {
      for (const t of owned.splice(0)) t.dispose();
    },
  };
}
