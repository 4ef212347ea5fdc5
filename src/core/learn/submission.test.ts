import { describe, expect, it } from 'vitest';
import { StringTable } from '../dataset/stringTable.ts';
import { mostLikelyClass, submissionCsv } from './submission.ts';

const column = (ids: string[]) => ({ length: ids.length, get: (i: number) => ids[i] });

describe('submissionCsv', () => {
  // Class table sorted by category id: class 0 → 3, class 1 → 10, class 2 → 42.
  const categoryIds = Int32Array.from([3, 10, 42]);

  it('by hand: category ids, test order, the fallback for an image that was not embedded', () => {
    const s = submissionCsv(column(['t-0', 't-1', 't-2', 'a,b']), Int32Array.from([2, 0, 1, 1]), categoryIds, {
      embedded: Uint8Array.from([1, 0, 1, 1]),
      fallbackClass: 1,
    });
    // t-1 was not embedded: class 1 → category 10, whatever its prediction says. "a,b" is quoted.
    expect(s.chunks.join('')).toBe('Id,Predicted\r\nt-0,42\r\nt-1,10\r\nt-2,10\r\n"a,b",10\r\n');
    expect(s.rows).toBe(4);
    expect(s.fallbackRows).toBe(1);
  });

  it('cuts the text into chunks of rows, header first; reads ids from a StringTable', () => {
    const ids = StringTable.from(['x', 'y', 'z']);
    const s = submissionCsv(ids, Int32Array.from([0, 1, 2]), categoryIds, { fallbackClass: 0, rowsPerChunk: 2 });
    expect(s.chunks).toEqual(['Id,Predicted\r\nx,3\r\n', 'y,10\r\nz,42\r\n']);
  });

  it('test ids are written exactly, even those a spreadsheet would take for formulas (Kaggle matches them)', () => {
    const s = submissionCsv(column(['=1+1', '-7', '@a,b']), Int32Array.from([0, 1, 2]), categoryIds, { fallbackClass: 0 });
    expect(s.chunks.join('')).toBe('Id,Predicted\r\n=1+1,3\r\n-7,10\r\n"@a,b",42\r\n');
  });

  it('at Herbarium size: 210,407 rows in 13 chunks', () => {
    const n = 210407;
    const s = submissionCsv({ length: n, get: (i) => String(i) }, new Int32Array(n), categoryIds, { fallbackClass: 0 });
    // (210,407 + 1 header) / 16,384 = 12.8 → 13 chunks.
    expect(s.chunks.length).toBe(13);
    const text = s.chunks.join('');
    expect(text.split('\r\n').length).toBe(n + 2); // header + rows + the empty tail
    expect(text.endsWith('210406,3\r\n')).toBe(true);
  });

  it('rejects predictions and masks that do not fit', () => {
    const ids = column(['a', 'b']);
    expect(() => submissionCsv(ids, Int32Array.from([0]), categoryIds, { fallbackClass: 0 })).toThrow(RangeError);
    expect(() => submissionCsv(ids, Int32Array.from([0, 3]), categoryIds, { fallbackClass: 0 })).toThrow(RangeError);
    expect(() => submissionCsv(ids, Int32Array.from([0, -1]), categoryIds, { fallbackClass: 0 })).toThrow(RangeError);
    expect(() => submissionCsv(ids, Int32Array.from([0, 0]), categoryIds, { fallbackClass: 3 })).toThrow(RangeError);
    expect(() => submissionCsv(ids, Int32Array.from([0, 0]), categoryIds, { fallbackClass: 0, embedded: new Uint8Array(3) })).toThrow(RangeError);
    // A −1 prediction is fine where the image was not embedded: the fallback replaces it.
    expect(submissionCsv(ids, Int32Array.from([0, -1]), categoryIds, { fallbackClass: 2, embedded: Uint8Array.from([1, 0]) }).chunks.join('')).toBe(
      'Id,Predicted\r\na,3\r\nb,42\r\n',
    );
  });
});

describe('mostLikelyClass', () => {
  it('the largest class, ties to the smaller index', () => {
    expect(mostLikelyClass([3, 9, 1, 9])).toBe(1);
    expect(mostLikelyClass(Int32Array.from([0, 0]))).toBe(0);
    expect(() => mostLikelyClass([])).toThrow(RangeError);
  });
});
