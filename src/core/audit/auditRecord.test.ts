import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord } from './auditRecord.ts';

describe('audit record', () => {
  it('keeps typed arrays byte for byte, NaN and nested values; rejects damage', () => {
    const value = {
      stage: 'join',
      n: 3,
      nan: NaN,
      list: [1, { x: Int8Array.from([-1, 2]) }],
      pairs: { a: Int32Array.from([1, 2, 3]), cosine: Float32Array.from([1, NaN, 0.5]), identical: Uint8Array.from([1, 0, 1]) },
      share: Float64Array.from([0.1, Infinity]),
      hash: Uint32Array.from([0xffffffff]),
      empty: new Float32Array(0),
      view: Float32Array.from([9, 8, 7, 6]).subarray(1, 3),
    };
    const bytes = encodeRecord(value);
    const back = decodeRecord(bytes) as typeof value;
    expect(back.stage).toBe('join');
    expect(back.nan).toBeNaN();
    expect(Array.from(back.pairs.a)).toEqual([1, 2, 3]);
    expect(back.pairs.cosine).toBeInstanceOf(Float32Array);
    expect(Number.isNaN(back.pairs.cosine[1])).toBe(true);
    expect(Array.from(back.share)).toEqual([0.1, Infinity]);
    expect(back.hash[0]).toBe(0xffffffff);
    expect(Array.from((back.list[1] as { x: Int8Array }).x)).toEqual([-1, 2]);
    expect(back.empty.length).toBe(0);
    expect(Array.from(back.view)).toEqual([8, 7]);
    for (const at of [0, 20, bytes.length - 10, bytes.length - 1]) {
      const bad = bytes.slice();
      bad[at] ^= 0x40;
      expect(decodeRecord(bad)).toBeNull();
    }
    expect(decodeRecord(bytes.subarray(0, bytes.length - 3))).toBeNull();
  });
});
