import { describe, expect, it } from 'vitest';
import { StringTable } from '../dataset/stringTable.ts';
import type { DatasetColumns } from '../dataset/types.ts';
import { imagesByClass } from './distribution.ts';
import { classMask, institutionSet, passingClasses, sampleImages, type FilterChip } from './selection.ts';

// Classes: 0 (genus 0, family 0, 5 images), 1 (genus 1, family 0, 2), 2 (genus 2, family 1, 3), 3 (no images).
const imageClass = [0, 0, 1, 2, 0, 2, 0, 1, 2, 0];
const imageInstitution = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
const ids = StringTable.from(imageClass.map((_, i) => `i${i}`)).toData();
const train: DatasetColumns = {
  format: 'herbarium2022',
  source: 't',
  imageCount: imageClass.length,
  imageId: ids,
  imageFile: ids,
  imageClass: Int32Array.from(imageClass),
  imageInstitution: Int32Array.from(imageInstitution),
  classCategoryId: Int32Array.from([10, 20, 30, 40]),
  className: ['a', 'b', 'c', 'd'],
  classSpecies: ['', '', '', ''],
  classGenus: Int32Array.from([0, 1, 2, 2]),
  classFamily: Int32Array.from([0, 0, 1, 1]),
  genusName: ['g0', 'g1', 'g2'],
  genusFamily: Int32Array.from([0, 0, 1]),
  familyName: ['f0', 'f1'],
  institutionName: ['A', 'B'],
  skippedKeys: [],
};
const sizes = Int32Array.from([5, 2, 3, 0]);
const limits = { manyAbove: 4, fewBelow: 3 }; // class 0 many, 2 medium, 1 few
const pass = (chips: FilterChip[]) => [...passingClasses(classMask(train, sizes, limits, chips))];

describe('filter chips', () => {
  it('no chip: every class with images', () => expect(pass([])).toEqual([0, 1, 2]));
  it('one kind is OR, kinds are AND', () => {
    expect(pass([{ kind: 'genus', index: 0 }, { kind: 'genus', index: 2 }])).toEqual([0, 2]);
    expect(pass([{ kind: 'family', index: 0 }, { kind: 'band', band: 'few' }])).toEqual([1]);
    expect(pass([{ kind: 'family', index: 1 }, { kind: 'band', band: 'few' }])).toEqual([]);
  });
  it('a class chip and an empty class', () => {
    expect(pass([{ kind: 'class', index: 3 }])).toEqual([]);
    expect(pass([{ kind: 'class', index: 2 }])).toEqual([2]);
  });
});

describe('sampleImages', () => {
  const byClass = imagesByClass(train.imageClass, 4);

  it('returns every matching image when there are fewer than asked', () => {
    const s = sampleImages(train, byClass, [0], institutionSet([{ kind: 'institution', index: 1 }]), 10, 1);
    expect([...s].sort((a, b) => a - b)).toEqual([1, 9]);
  });

  it('draws only matching images, without repeats, reproducibly per seed', () => {
    const a = sampleImages(train, byClass, [0, 2], null, 4, 7);
    expect(new Set(a).size).toBe(4);
    for (const i of a) expect([0, 2]).toContain(imageClass[i]);
    expect(sampleImages(train, byClass, [0, 2], null, 4, 7)).toEqual(a);
  });

  it('is uniform: over 6,000 draws of 2 from 8 images, each image comes up 1/4 of the time', () => {
    const counts = new Map<number, number>();
    for (let seed = 0; seed < 6000; seed++)
      for (const i of sampleImages(train, byClass, [0, 2], null, 2, seed)) counts.set(i, (counts.get(i) ?? 0) + 1);
    expect(counts.size).toBe(8);
    for (const n of counts.values()) expect(Math.abs(n / 6000 - 0.25)).toBeLessThan(0.03);
  });
});
