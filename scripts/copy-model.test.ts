// Checks what scripts/copy-model.mjs writes, by reading the files back. No tfjs inference here
// (too slow for CI): `node scripts/model-check.mjs` loads and runs the model.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./copy-model.mjs', import.meta.url));

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}
interface ModelJson {
  format: string;
  generatedBy: string;
  convertedBy: string;
  modelTopology: {
    keras_version: string;
    model_config: {
      class_name: string;
      config: {
        layers: { name: string; class_name: string; config: { trainable?: boolean } }[];
        input_layers: unknown[];
        output_layers: unknown[];
      };
    };
  };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}
interface Summary {
  dir: string;
  layers: number;
  weights: number;
  modelJsonBytes: number;
  weightsBytes: number;
  sha256: Record<string, string>;
}
// A variable specifier keeps tsc from looking for declarations of the .mjs module.
const mod = (await import(pathToFileURL(SCRIPT).href as string)) as {
  copyModel: (outDir: string) => Summary;
  FEATURE_LAYERS: { last: string; block10: string };
  FIRST_FINE_TUNED_LAYER: string;
};

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };
/** Stored bytes of one weight: quantised values take the quantisation dtype's size. */
const specBytes = (w: WeightSpec) => w.shape.reduce((a, b) => a * b, 1) * BYTES[w.quantization?.dtype ?? w.dtype];

let tmp: string;
let summary: Summary;
let dir: string;
let model: ModelJson;
let bin: Buffer;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ltl-model-'));
  summary = mod.copyModel(tmp);
  dir = path.join(tmp, 'mobilenet_v2');
  model = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  bin = fs.readFileSync(path.join(dir, 'weights.bin'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('copy-model', () => {
  it('writes model.json, weights.bin and NOTICE.md and nothing else', () => {
    expect(summary.dir).toBe(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['NOTICE.md', 'model.json', 'weights.bin']);
  });

  it('model.json is a tfjs layers model whose one weight group points at weights.bin', () => {
    expect(model.format).toBe('layers-model');
    expect(model.generatedBy).toBe('keras v2.2.4');
    expect(model.modelTopology.model_config.class_name).toBe('Model');
    expect(model.weightsManifest).toHaveLength(1);
    expect(model.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(model.weightsManifest[0].weights).toHaveLength(summary.weights);
  });

  it('the manifest size (uint8-quantised: 1 byte per value) equals weights.bin', () => {
    const weights = model.weightsManifest[0].weights;
    for (const w of weights) {
      expect(w.dtype).toBe('float32');
      expect(w.quantization?.dtype).toBe('uint8');
      expect(typeof w.quantization?.scale).toBe('number');
      expect(typeof w.quantization?.min).toBe('number');
    }
    const total = weights.reduce((a, w) => a + specBytes(w), 0);
    expect(bin.length).toBe(total);
    expect(summary.weightsBytes).toBe(total);
    // MobileNetV2 α1.0 (2,257,984 parameters incl. BN statistics) + nsfwjs's 1280→256→128→5 head.
    expect(total).toBe(2_619_461);
    expect(new Set(weights.map((w) => w.name)).size).toBe(weights.length);
  });

  it('has the two feature layers, with the ImageNet/fine-tuned boundary where docs/MODEL.md says', () => {
    const layers = model.modelTopology.model_config.config.layers;
    const names = layers.map((l) => l.name);
    expect(layers).toHaveLength(162);
    expect(mod.FEATURE_LAYERS).toEqual({ last: 'out_relu', block10: 'block_10_project_BN' });
    expect(names).toContain('block_10_project_BN');
    expect(names).toContain('out_relu');
    expect(layers.find((l) => l.name === 'out_relu')?.class_name).toBe('ReLU');
    expect(layers.find((l) => l.name === 'block_10_project_BN')?.class_name).toBe('BatchNormalization');
    // Block 10 widens 64 → 96 channels, so it has no residual add: project_BN is its output.
    expect(names).not.toContain('block_10_add');
    const k = names.indexOf(mod.FIRST_FINE_TUNED_LAYER);
    expect(names[k - 1]).toBe('block_10_project_BN');
    expect(layers.slice(1, k).every((l) => l.config.trainable === false)).toBe(true);
    expect(layers.slice(k).every((l) => l.config.trainable !== false)).toBe(true);
    // No preprocessing inside the model: the caller scales the input.
    expect(layers.filter((l) => /^(Rescaling|Normalization|Lambda)$/.test(l.class_name))).toEqual([]);
  });

  it('every weight belongs to a layer of the topology', () => {
    const names = new Set(model.modelTopology.model_config.config.layers.map((l) => l.name));
    for (const w of model.weightsManifest[0].weights) expect(names.has(w.name.split('/')[0])).toBe(true);
  });

  it('NOTICE.md names the origin, the licence and the fine-tuned layers', () => {
    const notice = fs.readFileSync(path.join(dir, 'NOTICE.md'), 'utf8');
    expect(notice).toContain('Infinite Red');
    expect(notice).toContain('MIT License');
    expect(notice).toContain('Permission is hereby granted');
    expect(notice).toContain('ImageNet');
    expect(notice).toContain('block_11_expand');
    expect(notice).toContain(summary.sha256['weights.bin']);
  });

  it('is deterministic, and the CLI writes the same bytes', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'ltl-model-cli-'));
    try {
      execFileSync(process.execPath, [SCRIPT, other], { stdio: 'pipe' });
      for (const f of ['model.json', 'weights.bin', 'NOTICE.md']) {
        expect(fs.readFileSync(path.join(other, 'mobilenet_v2', f)).equals(fs.readFileSync(path.join(dir, f)))).toBe(true);
      }
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
