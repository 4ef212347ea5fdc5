import { describe, expect, it } from 'vitest';
import { StringTable } from '../dataset/stringTable.ts';
import type { DatasetColumns } from '../dataset/types.ts';
import { imagesByClass } from './distribution.ts';
import { classMask, imageAccept, passingClasses, pointHighlight, sampleImages, type FilterChip } from './selection.ts';

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
  institutionId: Int32Array.from([0, 1]),
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
    const s = sampleImages(byClass, [0], imageAccept(train, [{ kind: 'institution', index: 1 }]), 10, 1);
    expect([...s].sort((a, b) => a - b)).toEqual([1, 9]);
  });

  it('draws only matching images, without repeats, reproducibly per seed', () => {
    const a = sampleImages(byClass, [0, 2], null, 4, 7);
    expect(new Set(a).size).toBe(4);
    for (const i of a) expect([0, 2]).toContain(imageClass[i]);
    expect(sampleImages(byClass, [0, 2], null, 4, 7)).toEqual(a);
  });

  it('is uniform: over 6,000 draws of 2 from 8 images, each image comes up 1/4 of the time', () => {
    const counts = new Map<number, number>();
    for (let seed = 0; seed < 6000; seed++)
      for (const i of sampleImages(byClass, [0, 2], null, 2, seed)) counts.set(i, (counts.get(i) ?? 0) + 1);
    expect(counts.size).toBe(8);
    for (const n of counts.values()) expect(Math.abs(n / 6000 - 0.25)).toBeLessThan(0.03);
  });
});

describe('map chips', () => {
  // A lasso took train images 2 (class 1), 3 and 5 (class 2), and test slot 11 (train images are slots 0..9).
  const lasso: FilterChip = { kind: 'map', id: 1, slots: Int32Array.from([2, 3, 5, 11]), label: '4 images' };
  const byClass = imagesByClass(train.imageClass, 4);

  it('a class passes when it has a selected image; the grid draws only selected images', () => {
    expect(pass([lasso])).toEqual([1, 2]);
    const drawn = sampleImages(byClass, [1, 2], imageAccept(train, [lasso]), 10, 3);
    expect([...drawn].sort((a, b) => a - b)).toEqual([2, 3, 5]);
  });

  it('two map chips are alternatives; with an institution chip both hold', () => {
    const other: FilterChip = { kind: 'map', id: 2, slots: Int32Array.from([0]), label: '1 image' };
    expect(pass([lasso, other])).toEqual([0, 1, 2]);
    // Institution 1 holds images 1, 3, 5, 7, 9: of the selection, 3 and 5 (class 2).
    const both = [lasso, { kind: 'institution', index: 1 } as FilterChip];
    const drawn = sampleImages(byClass, passingClasses(classMask(train, sizes, limits, both)), imageAccept(train, both), 10, 3);
    expect([...drawn].sort((a, b) => a - b)).toEqual([3, 5]);
  });

  it('highlights the map points the chips select: train by their image, test only by map chips', () => {
    const points = Int32Array.from([0, 2, 3, 5, 10, 11]);
    expect(pointHighlight(points, train, sizes, limits, [])).toBeNull();
    expect([...pointHighlight(points, train, sizes, limits, [lasso])!]).toEqual([0, 1, 1, 1, 0, 1]);
    // A genus chip (genus 2 = class 2: images 3, 5, 8) says nothing of test images: they are not highlighted.
    expect([...pointHighlight(points, train, sizes, limits, [{ kind: 'genus', index: 2 }])!]).toEqual([0, 0, 1, 1, 0, 0]);
  });
});
