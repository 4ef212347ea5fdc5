import { describe, expect, it } from 'vitest';
import { bandCounts, bandLimits, classSizes, defaultBandSettings, nonEmptySizesAscending, overviewStats, quantile } from './classStats.ts';
import type { DatasetColumns } from '../dataset/types.ts';
import { StringTable } from '../dataset/stringTable.ts';

function columns(imageClass: number[], classGenus: number[], classFamily: number[], institutions: number[]): DatasetColumns {
  const ids = StringTable.from(imageClass.map((_, i) => `img${i}`)).toData();
  return {
    format: 'herbarium2022',
    source: 't.json',
    imageCount: imageClass.length,
    imageId: ids,
    imageFile: ids,
    imageClass: Int32Array.from(imageClass),
    imageInstitution: Int32Array.from(institutions),
    classCategoryId: Int32Array.from(classGenus, (_, i) => i * 10),
    className: classGenus.map((_, i) => `c${i}`),
    classSpecies: classGenus.map(() => ''),
    classGenus: Int32Array.from(classGenus),
    classFamily: Int32Array.from(classFamily),
    genusName: ['g0', 'g1', 'g2'],
    genusFamily: Int32Array.from([0, 0, 1]),
    familyName: ['f0', 'f1'],
    institutionName: ['i0', 'i1', 'i2'],
    institutionId: Int32Array.from([0, 1, 2]),
    skippedKeys: [],
  };
}

describe('class statistics, against counts made by hand', () => {
  // Class 0: 5 images, class 1: 1, class 2: 0 (declared, no images), class 3: 2.
  const imageClass = [0, 0, 3, 0, 1, 0, 3, 0];
  const train = columns(imageClass, [0, 1, 2, 1], [0, 0, 1, 0], [0, 0, 2, 2, -1, 0, 0, 2]);
  const sizes = classSizes(train.imageClass, 4);

  it('class sizes', () => {
    expect([...sizes]).toEqual([5, 1, 0, 2]);
  });

  it('overview readouts skip classes without images', () => {
    expect(overviewStats(train, sizes)).toEqual({
      images: 8,
      classes: 3,
      declaredClasses: 4,
      genera: 2, // classes 0 and 1/3 use genera 0 and 1; genus 2 belongs to the empty class
      families: 1,
      institutions: 2, // 0 and 2; -1 is "none"
      maxClass: 5,
      minClass: 1,
      imbalanceRatio: 5,
    });
  });

  it('fixed bands: >100 many, 20–100 medium, <20 few, limits inclusive on the medium side', () => {
    const s = Int32Array.from([101, 100, 20, 19, 1, 0]);
    expect(bandCounts(s, bandLimits(s, defaultBandSettings))).toEqual({ many: 1, medium: 2, few: 2 });
  });

  it('quantile = NumPy linear interpolation', () => {
    // numpy.quantile([1, 2, 4, 8], [1/3, 0.5, 2/3]) = [2.0, 3.0, 4.0]
    expect(quantile([1, 2, 4, 8], 1 / 3)).toBeCloseTo(2, 12);
    expect(quantile([1, 2, 4, 8], 0.5)).toBe(3);
    expect(quantile([1, 2, 4, 8], 2 / 3)).toBeCloseTo(4, 12);
    expect(quantile([7], 0.9)).toBe(7);
  });

  it('quantile bands split the classes into thirds by size', () => {
    const s = Int32Array.from([9, 1, 2, 3, 4, 5, 6, 7, 8, 0]);
    const limits = bandLimits(s, { ...defaultBandSettings, mode: 'quantile' });
    // non-empty sizes 1..9: "few" = sizes below 4 (3 of 9 = 1/3), "many" = at least 7 (3 of 9)
    expect(limits).toEqual({ fewBelow: 4, manyAbove: 6 });
    expect(bandCounts(s, limits)).toEqual({ few: 3, medium: 3, many: 3 });
  });

  it('quantile bands keep tied classes together and the head filled when classes are capped', () => {
    // Herbarium-like cap: 5 classes at 80, 3 at 40, 2 at 10 (n = 10). Plain quantiles give
    // q(2/3) = 80, so "more than 80" would hold no class.
    const s = Int32Array.from([80, 10, 80, 40, 80, 40, 80, 10, 40, 80]);
    expect(quantile(nonEmptySizesAscending(s), 2 / 3)).toBe(80);
    // few: cuts 10, 40, 80, 81 hold 0, 2/10, 5/10, 10/10 → nearest 1/3 is 2/10 (miss 0.133 < 0.167): below 40.
    // many: at least 80 holds 5/10 (miss 0.167), at least 81 holds 0 (miss 0.333): at least 80.
    const limits = bandLimits(s, { ...defaultBandSettings, mode: 'quantile' });
    expect(limits).toEqual({ fewBelow: 40, manyAbove: 79 });
    expect(bandCounts(s, limits)).toEqual({ few: 2, medium: 3, many: 5 });
  });

  it('quantile bands of equal-sized classes are all medium', () => {
    const s = Int32Array.from([50, 50, 50, 50]);
    const limits = bandLimits(s, { ...defaultBandSettings, mode: 'quantile' });
    expect(bandCounts(s, limits)).toEqual({ few: 0, medium: 4, many: 0 });
  });
});
