import { describe, expect, it } from 'vitest';
import { stratifiedKFold } from './kfold.ts';

describe('stratifiedKFold', () => {
  const sizes = [23, 10, 5, 4, 3, 2, 1, 1, 0, 7];
  const labels = Int32Array.from(sizes.flatMap((n, c) => new Array(n).fill(c)));
  const k = 5;
  const f = stratifiedKFold(labels, sizes.length, k, 3);

  it('keeps every class with ≥ 2 images in every training fold, and holds out ⌊n/k⌋ or ⌈n/k⌉ of it per fold', () => {
    sizes.forEach((n, c) => {
      if (n < 2) return;
      for (let fold = 0; fold < k; fold++) {
        let out = 0;
        for (let i = 0; i < labels.length; i++) if (labels[i] === c && f.fold[i] === fold) out++;
        expect(n - out, `class ${c} fold ${fold}`).toBeGreaterThanOrEqual(1);
        expect(out).toBeGreaterThanOrEqual(Math.floor(n / k));
        expect(out).toBeLessThanOrEqual(Math.ceil(n / k));
      }
    });
  });

  it('never validates a one-image class, and counts what it did', () => {
    for (let i = 0; i < labels.length; i++) if (sizes[labels[i]] === 1) expect(f.fold[i]).toBe(-1);
    expect(f.singletonClasses).toBe(2);
    expect(f.smallClasses).toBe(3); // sizes 4, 3 and 2
    const validated = Array.from(f.fold).filter((v) => v >= 0).length;
    expect(f.foldSizes.reduce((a, b) => a + b, 0)).toBe(validated);
    expect(validated).toBe(labels.length - 2);
  });

  it('is seeded: the same seed, the same folds', () => {
    expect(stratifiedKFold(labels, sizes.length, k, 3).fold).toEqual(f.fold);
    expect(stratifiedKFold(labels, sizes.length, k, 4).fold).not.toEqual(f.fold);
  });
});
