import { describe, expect, it } from 'vitest';
import type { DatasetColumns, TestColumns } from '../dataset/types.ts';
import { StringTable } from '../dataset/stringTable.ts';
import { datasetFingerprint, planRun, runKey, type RunSettings } from './plan.ts';
import { SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TRAIN } from './runState.ts';

function train(ids: string[], classes: number[], categoryIds: number[]): DatasetColumns {
  return {
    imageCount: ids.length,
    imageId: StringTable.from(ids).toData(),
    imageClass: Int32Array.from(classes),
    classCategoryId: Int32Array.from(categoryIds),
  } as unknown as DatasetColumns;
}
const test = (ids: string[]) => ({ imageCount: ids.length, imageId: StringTable.from(ids).toData() }) as unknown as TestColumns;
const settings: RunSettings = { modelId: 'm', layer: 'l', dim: 4, heldoutFraction: 0.2, splitSeed: 0, includeTest: true };

describe('run plan', () => {
  it('the fingerprint follows the content: ids, labels, categories, test ids', async () => {
    const base = await datasetFingerprint(train(['a', 'b'], [0, 1], [5, 9]), test(['t']));
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(await datasetFingerprint(train(['a', 'b'], [0, 1], [5, 9]), test(['t']))).toBe(base);
    expect(await datasetFingerprint(train(['a', 'b'], [1, 0], [5, 9]), test(['t']))).not.toBe(base);
    expect(await datasetFingerprint(train(['ab', ''], [0, 1], [5, 9]), test(['t']))).not.toBe(base);
    expect(await datasetFingerprint(train(['a', 'b'], [0, 1], [5, 10]), test(['t']))).not.toBe(base);
    expect(await datasetFingerprint(train(['a', 'b'], [0, 1], [5, 9]), null)).not.toBe(base);
    const key = await runKey(base, settings);
    expect(await runKey(base, { ...settings, layer: 'other' })).not.toBe(key);
    expect(await runKey(base, { ...settings, heldoutFraction: 0.3 })).not.toBe(key);
  });

  it('slots: train images in order with their classes and split, then test images', () => {
    // Class 0 has 10 images: 2 held out at 0.2; class 1 has one: it stays in train.
    const t = train([...'abcdefghijk'], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], [3, 4]);
    const plan = planRun('k', t, 2, settings);
    expect(plan.slots).toBe(13);
    expect(Array.from(plan.slotClass)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -1, -1]);
    expect(plan.slotSplit.slice(0, 10).filter((s) => s === SPLIT_HELDOUT).length).toBe(2);
    expect(plan.slotSplit[10]).toBe(SPLIT_TRAIN);
    expect(Array.from(plan.slotSplit.slice(11))).toEqual([SPLIT_TEST, SPLIT_TEST]);
    expect(planRun('k', t, 2, { ...settings, includeTest: false }).slots).toBe(11);
  });
});
