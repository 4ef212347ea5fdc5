import { describe, expect, it } from 'vitest';
import { mulberry32 } from './random.mjs';
import { concatInt32 } from './arrays.ts';

/** The obvious join, element by element, to compare against. */
const bruteForce = (parts: Int32Array[]): number[] => parts.flatMap((p) => Array.from(p));

describe('concatInt32', () => {
  it('joins nothing into an empty array', () => {
    const out = concatInt32([]);
    expect(out).toBeInstanceOf(Int32Array);
    expect(out.length).toBe(0);
  });

  it('joins only empty parts into an empty array', () => {
    expect(concatInt32([new Int32Array(0), new Int32Array(0)]).length).toBe(0);
  });

  it('keeps order, signs and the extremes, with empty parts anywhere', () => {
    const parts = [
      new Int32Array(0),
      Int32Array.of(1, -2, 3),
      new Int32Array(0),
      Int32Array.of(2147483647, -2147483648),
      Int32Array.of(0),
      new Int32Array(0),
    ];
    const out = concatInt32(parts);
    expect(out).toBeInstanceOf(Int32Array);
    expect(Array.from(out)).toEqual(bruteForce(parts));
    expect(Array.from(out)).toEqual([1, -2, 3, 2147483647, -2147483648, 0]);
  });

  it('returns a new array that does not share memory with a single part', () => {
    const only = Int32Array.of(5, 6, 7);
    const out = concatInt32([only]);
    expect(Array.from(out)).toEqual([5, 6, 7]);
    out[0] = 99;
    expect(only[0]).toBe(5);
  });

  it('joins views into a larger buffer by their own range only', () => {
    const buffer = Int32Array.of(10, 11, 12, 13, 14, 15);
    const parts = [buffer.subarray(1, 3), buffer.subarray(4), buffer.subarray(0, 0)];
    expect(Array.from(concatInt32(parts))).toEqual([11, 12, 14, 15]);
  });

  it('matches the brute-force join on random parts', () => {
    const random = mulberry32(10);
    for (let trial = 0; trial < 50; trial++) {
      const parts = Array.from({ length: Math.floor(random() * 8) }, () =>
        Int32Array.from({ length: Math.floor(random() * 5) }, () => Math.floor((random() - 0.5) * 2 ** 32)),
      );
      expect(Array.from(concatInt32(parts))).toEqual(bruteForce(parts));
    }
  });
});
