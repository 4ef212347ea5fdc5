import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from './float16.ts';

describe('float16', () => {
  it('known bit patterns (numpy.float16(x).view(numpy.uint16))', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite half
      [65520, 0x7c00], // rounds up to Inf
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -14, 0x0400], // smallest normal
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -26, 0x0000], // below half the smallest subnormal
    ];
    for (const [x, bits] of cases) expect(toFloat16Bits(x), String(x)).toBe(bits);
    expect(toFloat16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
  });

  it('ties round to even', () => {
    // 1 + 2^-11 lies halfway between 1 (even mantissa) and 1 + 2^-10: it goes to 1.
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9: it goes up.
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('every half value survives a round trip through float32', () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i).filter((h) => (h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0);
    const back = float32ToFloat16(float16ToFloat32(bits));
    expect(back).toEqual(bits);
  });

  it('relative error of a conversion is at most 2^-11 for normal values', () => {
    for (const x of [3.14159, 123.456, 0.001234, 7777.7, -0.3333]) expect(Math.abs(fromFloat16Bits(toFloat16Bits(x)) - x) / Math.abs(x)).toBeLessThanOrEqual(2 ** -11);
  });
});
