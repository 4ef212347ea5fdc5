/**
 * A run's plan: one slot per image (train images in metadata order, then test images), each
 * with its class and split, and the key that names the run in storage. The key is derived from
 * the dataset's content (ids, labels, classes) and the run's settings, so a reloaded page with
 * the same dataset finds its run, and a different dataset or setting never continues it.
 */

import type { DatasetColumns, TestColumns } from '../dataset/types.ts';
import { stratifiedSplit } from '../learn/split.ts';
import { RunPlan, SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TRAIN } from './runState.ts';

export interface RunSettings {
  modelId: string;
  layer: string;
  dim: number;
  /** Share of each class's train images held out for evaluation (made before any prototype). */
  heldoutFraction: number;
  splitSeed: number;
  includeTest: boolean;
}

const hex = (buffer: ArrayBuffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

/** SHA-256 of the dataset's identity: image ids, labels, category ids and test ids. */
export async function datasetFingerprint(train: DatasetColumns, test: TestColumns | null): Promise<string> {
  const parts: Uint8Array[] = [
    train.imageId.bytes,
    new Uint8Array(train.imageId.offsets.buffer, train.imageId.offsets.byteOffset, train.imageId.offsets.byteLength),
    new Uint8Array(train.imageClass.buffer, train.imageClass.byteOffset, train.imageClass.byteLength),
    new Uint8Array(train.classCategoryId.buffer, train.classCategoryId.byteOffset, train.classCategoryId.byteLength),
  ];
  if (test) parts.push(test.imageId.bytes, new Uint8Array(test.imageId.offsets.buffer, test.imageId.offsets.byteOffset, test.imageId.offsets.byteLength));
  const total = parts.reduce((a, p) => a + p.length + 8, 0);
  const all = new Uint8Array(total);
  const view = new DataView(all.buffer);
  let at = 0;
  for (const p of parts) {
    // Lengths between the parts: ["ab", "c"] and ["a", "bc"] differ.
    view.setFloat64(at, p.length, true);
    all.set(p, at + 8);
    at += p.length + 8;
  }
  return hex(await crypto.subtle.digest('SHA-256', all));
}

export async function runKey(fingerprint: string, settings: RunSettings): Promise<string> {
  const text = JSON.stringify([fingerprint, settings.modelId, settings.layer, settings.dim, settings.heldoutFraction, settings.splitSeed, settings.includeTest]);
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).slice(0, 32);
}

export function planRun(key: string, train: DatasetColumns, testCount: number, settings: RunSettings): RunPlan {
  const nTrain = train.imageCount;
  const nTest = settings.includeTest ? testCount : 0;
  const numClasses = train.classCategoryId.length;
  const split = stratifiedSplit(train.imageClass, numClasses, settings.heldoutFraction, settings.splitSeed);
  const slotClass = new Int32Array(nTrain + nTest).fill(-1);
  slotClass.set(train.imageClass);
  const slotSplit = new Uint8Array(nTrain + nTest).fill(SPLIT_TEST);
  for (let i = 0; i < nTrain; i++) slotSplit[i] = split.heldout[i] ? SPLIT_HELDOUT : SPLIT_TRAIN;
  return new RunPlan({ key, slots: nTrain + nTest, nTrain, dim: settings.dim, numClasses, slotClass, slotSplit });
}
