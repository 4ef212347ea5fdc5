import { describe, expect, it } from 'vitest';
import { parseCsv } from '../formats/csv.ts';
import { SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TRAIN } from '../embed/runState.ts';
import { duplicatesCsvChunks, labelIssuesCsvChunks, pairsAbove, pairsOfKind, shortcutsCsv, slotsToDrop, type SlotPairs } from './auditLists.ts';

// Slots 0–3 train, 4–5 held-out, 6–7 test.
const split = Uint8Array.from([SPLIT_TRAIN, SPLIT_TRAIN, SPLIT_TRAIN, SPLIT_TRAIN, SPLIT_HELDOUT, SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TEST]);
const pairs: SlotPairs = {
  a: Int32Array.from([0, 1, 2, 4, 3, 0]),
  b: Int32Array.from([3, 6, 4, 5, 7, 2]),
  cosine: Float32Array.from([1, 0.99, 0.97, 0.96, 0.93, 0.91]),
  identical: Uint8Array.from([1, 0, 0, 0, 0, 0]),
};
const id = (s: number) => (s === 6 ? '=cmd' : `img${s}`);

describe('audit lists', () => {
  it('cuts the sorted list at the threshold and sorts pairs into duplicates and leaks', () => {
    expect(pairsAbove(pairs, 0.95)).toBe(4);
    expect(pairsAbove(pairs, 0.5)).toBe(6);
    expect(pairsAbove(pairs, 1.01)).toBe(0);
    expect(Array.from(pairsOfKind(pairs, 0.9, split, 'duplicate'))).toEqual([0, 3, 5]);
    expect(Array.from(pairsOfKind(pairs, 0.9, split, 'leak'))).toEqual([1, 2, 4]);
    expect(Array.from(pairsOfKind(pairs, 0.9, split, null, (s) => s % 2, 1))).toEqual([0, 1, 3, 4]);
  });

  it('writes duplicates.csv most similar first above the threshold, ids neutralised', () => {
    const rows = parseCsv([...duplicatesCsvChunks(pairs, 0.95, split, id, 2)].join(''));
    expect(rows[0]).toEqual(['image_id_a', 'image_id_b', 'cosine', 'split_a', 'split_b']);
    expect(rows.slice(1)).toEqual([
      ['img0', 'img3', '1', 'train', 'train'],
      ['img1', "'=cmd", '0.99', 'train', 'test'],
      ['img2', 'img4', '0.97', 'train', 'heldout'],
      ['img4', 'img5', '0.96', 'heldout', 'heldout'],
    ]);
  });

  it('writes label-issues.csv and shortcuts.csv with category and institution ids', () => {
    const rows = parseCsv([...labelIssuesCsvChunks({ slot: Int32Array.from([5, 1]), given: Int32Array.from([0, 2]), suggested: Int32Array.from([1, 0]), score: Float32Array.from([0.875, 0.5]) }, id, (c) => 100 + c)].join(''));
    expect(rows).toEqual([['image_id', 'given_category_id', 'suggested_category_id', 'score'], ['img5', '100', '101', '0.875'], ['img1', '102', '100', '0.5']]);
    const sc = parseCsv(shortcutsCsv(Int32Array.from([2, 0]), { mainInstitution: Int32Array.from([1, 0, 0]), share: Float64Array.from([0.9, 0.2, 1]), images: Int32Array.from([10, 5, 7]) }, (c) => 100 + c, (i) => 7 + i));
    expect(sc).toEqual([['category_id', 'institution_id', 'share', 'images'], ['102', '7', '1', '7'], ['100', '8', '0.9', '10']]);
  });

  it('drops label issues, the second image of each duplicate and the held-out side of a train–held-out leak', () => {
    expect(Array.from(slotsToDrop(pairs, 0.9, split, Int32Array.from([1])))).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(slotsToDrop(pairs, 0.995, split, new Int32Array(0)))).toEqual([3]);
  });
});
