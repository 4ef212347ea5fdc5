import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { identicalFilePairs, MAX_GROUP_PAIRED } from './identicalFiles.ts';

/** Every pair by a double loop, the group cap applied by rank: b's place among the given slots of its kind. */
function bruteForce(slots: Int32Array, fileHash: Uint32Array, fileBytes: Float64Array): [number, number][] {
  const given = [...new Set(slots)].sort((x, y) => x - y);
  const same = (x: number, y: number) => fileBytes[x] > 0 && fileBytes[x] === fileBytes[y] && fileHash[x] === fileHash[y];
  const pairs: [number, number][] = [];
  for (let i = 0; i < given.length; i++) {
    for (let j = i + 1; j < given.length; j++) {
      const [a, b] = [given[i], given[j]];
      if (!same(a, b)) continue;
      const rankA = given.filter((s) => s < a && same(s, a)).length;
      const rankB = given.filter((s) => s < b && same(s, b)).length;
      if (rankB < MAX_GROUP_PAIRED || rankA === 0) pairs.push([a, b]);
    }
  }
  return pairs;
}

const asPairs = ({ a, b }: { a: Int32Array; b: Int32Array }) => Array.from(a, (x, k): [number, number] => [x, b[k]]);

describe('identicalFilePairs', () => {
  it('finds what a double loop finds, on random files with planted groups, unknown sizes and subsets', () => {
    const random = mulberry32(7);
    for (let trial = 0; trial < 20; trial++) {
      const n = 300;
      const fileHash = Uint32Array.from({ length: n }, () => Math.floor(random() * 2 ** 32));
      const fileBytes = Float64Array.from({ length: n }, () => 1 + Math.floor(random() * 5000));
      // Planted groups: copies of one file; a same-size file with another hash; a same-hash file of another size.
      for (let g = 0; g < 8; g++) {
        const source = Math.floor(random() * n);
        for (let c = 1 + Math.floor(random() * 6); c > 0; c--) {
          const copy = Math.floor(random() * n);
          fileHash[copy] = fileHash[source];
          fileBytes[copy] = fileBytes[source];
        }
        const sameSize = Math.floor(random() * n);
        fileBytes[sameSize] = fileBytes[source];
        const sameHash = Math.floor(random() * n);
        fileHash[sameHash] = fileHash[source];
        fileBytes[sameHash] = fileBytes[source] + 1;
      }
      // A CRC of 0 is a real hash; a size of 0 is unknown, whatever the hash.
      fileHash[0] = fileHash[1] = 0;
      fileBytes[1] = fileBytes[0];
      for (let s = 2; s < n; s += 17) fileBytes[s] = 0;
      fileHash[3] = fileHash[2];
      const all = Int32Array.from({ length: n }, (_, s) => s);
      const subset = all.filter(() => random() < 0.6).reverse();
      for (const slots of [all, subset]) {
        const found = asPairs(identicalFilePairs(slots, fileHash, fileBytes));
        expect(found).toEqual(bruteForce(slots, fileHash, fileBytes));
        expect(found.length).toBeGreaterThan(0);
      }
    }
  });

  it(`pairs a group's first ${MAX_GROUP_PAIRED} members with each other, the rest only with the first`, () => {
    const n = 80;
    const fileHash = new Uint32Array(n).fill(0xdeadbeef);
    const fileBytes = new Float64Array(n).fill(1234);
    const slots = Int32Array.from({ length: n }, (_, s) => n - 1 - s);
    const found = asPairs(identicalFilePairs(slots, fileHash, fileBytes));
    expect(found.length).toBe((MAX_GROUP_PAIRED * (MAX_GROUP_PAIRED - 1)) / 2 + (n - MAX_GROUP_PAIRED));
    expect(found).toEqual(bruteForce(slots, fileHash, fileBytes));
    expect(found.filter(([a]) => a === 0).length).toBe(n - 1);
  });

  it('gives nothing for no slots, unknown sizes, or a slot given twice', () => {
    expect(asPairs(identicalFilePairs(new Int32Array(0), new Uint32Array(0), new Float64Array(0)))).toEqual([]);
    expect(asPairs(identicalFilePairs(Int32Array.from([0, 1]), Uint32Array.from([5, 5]), Float64Array.from([0, 0])))).toEqual([]);
    expect(asPairs(identicalFilePairs(Int32Array.from([1, 1, 0]), Uint32Array.from([5, 5]), Float64Array.from([9, 9])))).toEqual([[0, 1]]);
  });
});
