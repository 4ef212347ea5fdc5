import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { pointsInBox, pointsInPolygon } from './region.ts';

describe('map selections', () => {
  const rand = mulberry32(9);
  const n = 20000;
  const x = Float32Array.from({ length: n }, () => rand() * 4 - 2);
  const y = Float32Array.from({ length: n }, () => rand() * 4 - 2);

  it('a box takes the points within it, whichever corner comes first', () => {
    const want = [...Array(n).keys()].filter((i) => x[i] >= -0.5 && x[i] <= 1 && y[i] >= 0 && y[i] <= 1.5);
    expect([...pointsInBox(x, y, 1, -0.5, 1.5, 0)]).toEqual(want);
  });

  it('a lasso: points inside a circle drawn as a 64-gon, against the circle itself', () => {
    const px = Array.from({ length: 64 }, (_, k) => Math.cos((2 * Math.PI * k) / 64));
    const py = Array.from({ length: 64 }, (_, k) => Math.sin((2 * Math.PI * k) / 64));
    const got = new Set(pointsInPolygon(x, y, px, py));
    // Away from the edge (where the 64-gon and the circle differ by < 0.0013) both agree.
    for (let i = 0; i < n; i++) {
      const r = Math.hypot(x[i], y[i]);
      if (r < 0.998) expect(got.has(i)).toBe(true);
      if (r > 1.0001) expect(got.has(i)).toBe(false);
    }
  });

  it('a concave polygon (an L by hand)', () => {
    const px = [0, 2, 2, 1, 1, 0];
    const py = [0, 0, 1, 1, 2, 2];
    const xs = Float32Array.from([0.5, 1.5, 1.5, 0.5, 3]);
    const ys = Float32Array.from([0.5, 0.5, 1.5, 1.5, 0.5]);
    expect([...pointsInPolygon(xs, ys, px, py)]).toEqual([0, 1, 3]);
  });
});
