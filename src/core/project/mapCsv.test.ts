import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { parseCsv } from '../formats/csv.ts';
import { float32Text, mapCsvChunks, MAP_CSV_HEADER } from './mapCsv.ts';

describe('map.csv', () => {
  it('one row per point: the id, the coordinates exact as float32, the projection', () => {
    const rand = mulberry32(5);
    const n = 1000;
    const x = Float32Array.from({ length: n }, () => (rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 6));
    const y = Float32Array.from({ length: n }, () => rand() * 100 - 50);
    const ids = Array.from({ length: n }, (_, i) => (i === 3 ? 'a,"b"' : i === 4 ? '=cmd' : `img-${i}`));
    const text = [...mapCsvChunks((i) => ids[i], x, y, 'umap', 64)].join('');
    const rows = parseCsv(text);
    expect(rows[0].join(',')).toBe(MAP_CSV_HEADER);
    expect(rows.length).toBe(n + 1);
    for (let i = 0; i < n; i++) {
      const [id, xs, ys, p] = rows[i + 1];
      expect(id).toBe(i === 4 ? "'=cmd" : ids[i]);
      expect(Math.fround(Number(xs))).toBe(x[i]);
      expect(Math.fround(Number(ys))).toBe(y[i]);
      expect(p).toBe('umap');
    }
  });
  it('writes short decimals where they suffice', () => {
    expect(float32Text(Math.fround(0.1))).toBe('0.1');
    expect(float32Text(-2)).toBe('-2');
    expect(float32Text(NaN)).toBe('');
  });
});
