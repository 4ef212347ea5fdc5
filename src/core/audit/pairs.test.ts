import { describe, expect, it } from 'vitest';
import { SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TRAIN } from '../embed/runState.ts';
import { defaultThreshold, FALLBACK_THRESHOLD, pairKind } from './pairs.ts';

describe('pairKind', () => {
  it('calls same-split pairs duplicates and cross-split pairs leaks; test–test is neither', () => {
    expect(pairKind(SPLIT_TRAIN, SPLIT_TRAIN)).toBe('duplicate');
    expect(pairKind(SPLIT_HELDOUT, SPLIT_HELDOUT)).toBe('duplicate');
    expect(pairKind(SPLIT_TRAIN, SPLIT_HELDOUT)).toBe('leak');
    expect(pairKind(SPLIT_HELDOUT, SPLIT_TRAIN)).toBe('leak');
    expect(pairKind(SPLIT_TRAIN, SPLIT_TEST)).toBe('leak');
    expect(pairKind(SPLIT_TEST, SPLIT_HELDOUT)).toBe('leak');
    expect(pairKind(SPLIT_TEST, SPLIT_TEST)).toBeNull();
  });
});

describe('defaultThreshold', () => {
  it('goes to the middle of the empty stretch between the bulk and the copies', () => {
    // Bulk up to 0.93, copies at 0.995: bins 0.930 … 0.990 are empty, the middle is 0.96.
    const values = [...Array.from({ length: 500 }, (_, i) => 0.5 + (0.43 * i) / 500), 0.995, 0.997, 0.999];
    const { threshold } = defaultThreshold(values);
    expect(threshold).toBeCloseTo(0.96, 3);
    expect(values.filter((v) => v >= threshold)).toEqual([0.995, 0.997, 0.999]);
  });

  it('takes the emptiest bins where no stretch is empty, and falls back when nothing is near', () => {
    // Counts per bin fall from 0.90 to 0.97 then rise again: the valley is bin [0.970, 0.975).
    const values: number[] = [];
    for (let b = 0; b < 18; b++) {
      const n = Math.abs(b - 14) + 1;
      for (let i = 0; i < n; i++) values.push(0.9 + 0.005 * b + 0.001);
    }
    expect(defaultThreshold(values).threshold).toBeCloseTo(0.9725, 3);
    expect(defaultThreshold([0.2, 0.5]).threshold).toBe(FALLBACK_THRESHOLD);
  });
});
