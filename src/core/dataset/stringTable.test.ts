import { describe, expect, it } from 'vitest';
import { StringTable } from './stringTable.ts';

describe('StringTable', () => {
  const words = ['', 'a', '00000__001', 'é', '🌿 Rosa', 'x'.repeat(100), 'ünïcödé'.repeat(20), '00000__001'];

  it('round-trips ASCII, non-ASCII, long and empty strings', () => {
    const t = StringTable.from(words);
    expect(t.length).toBe(words.length);
    expect(words.map((_, i) => t.get(i))).toEqual(words);
  });

  it('finds the first index of each string, like Array.indexOf', () => {
    const t = StringTable.from(words);
    for (const w of [...words, 'missing', 'é ']) expect(t.indexOf(w)).toBe(words.indexOf(w));
  });

  it('looks up 20,000 ids against a second table, as the annotation join does', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `${String(i).padStart(5, '0')}__${i % 7}`);
    const images = StringTable.from(ids);
    const shuffled = [...ids].reverse();
    const annotations = StringTable.from(shuffled);
    for (let j = 0; j < annotations.length; j += 97) expect(images.indexOfEntry(annotations, j)).toBe(ids.indexOf(shuffled[j]));
  });

  it('survives a trip through its transferable data, and the index is rebuilt after pushes', () => {
    const t = StringTable.from(['a', 'b']);
    expect(t.indexOf('c')).toBe(-1);
    t.push('c');
    expect(t.indexOf('c')).toBe(2);
    const copy = StringTable.fromData(structuredClone(t.toData()));
    expect([0, 1, 2].map((i) => copy.get(i))).toEqual(['a', 'b', 'c']);
    expect(copy.indexOf('b')).toBe(1);
  });

  it('reports later duplicates and compares entries across tables', () => {
    const t = StringTable.from(['a', 'b', 'a', 'c', 'b', 'a']);
    expect(t.duplicateIndexes()).toEqual([2, 4, 5]);
    const other = StringTable.from(['x', 'b']);
    expect(t.sameAs(1, other, 1)).toBe(true);
    expect(t.sameAs(0, other, 1)).toBe(false);
  });

  it('keeps unpaired surrogates exactly: distinct, found, and back through its data (issue 12)', () => {
    // TextEncoder would write U+FFFD for each: "\ud800" and "\udbff" would become one id.
    const odd = ['\ud800', '\udbff', 'a\udc00b', '\udfff\ud800', '🌿\ud83c', '\ufffd', '\ud83c\udf3f'];
    const t = StringTable.from(odd);
    expect(odd.map((_, i) => t.get(i))).toEqual(odd);
    expect(t.duplicateIndexes()).toEqual([]);
    for (const s of odd) expect(t.indexOf(s)).toBe(odd.indexOf(s));
    const back = StringTable.fromData(t.toData());
    expect(odd.map((_, i) => back.get(i))).toEqual(odd);
    // A well-formed pair keeps its ordinary UTF-8 bytes (F0 9F 8C BF), so it matches ids read elsewhere.
    expect(StringTable.from(['\ud83c\udf3f']).toData().bytes).toEqual(new TextEncoder().encode('🌿'));
  });
});
