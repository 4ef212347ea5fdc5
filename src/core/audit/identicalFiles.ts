/**
 * Byte-identical image files among a run's slots, from the CRC-32 and size each file had when it
 * was decoded for embedding (RunState.fileHash, fileBytes). Equal CRC-32 and size is not proof
 * of equal bytes, but across a data set's images a collision is about one in four billion per
 * pair of equal size, so these are duplicates to look at, not to delete unseen.
 */

/**
 * Members of one group of identical files that are paired with each other: a group of m gives
 * m(m−1)/2 pairs, so a placeholder image repeated 10,000 times would give 50 million. Beyond
 * this many, the rest of the group is paired only with its first member: every file is still
 * named, and the output stays linear in the number of slots.
 */
export const MAX_GROUP_PAIRED = 50;

/**
 * Every pair of `slots` (a < b) whose files have the same CRC-32 and size, both known (a size of
 * 0 means unknown: never hashed, or not embedded), in ascending (a, b) order. `fileHash` and
 * `fileBytes` are indexed by slot. Found by sorting on (size, hash), not by comparing every pair.
 */
export function identicalFilePairs(slots: Int32Array, fileHash: Uint32Array, fileBytes: Float64Array): { a: Int32Array; b: Int32Array } {
  let known = 0;
  const order = new Int32Array(slots.length);
  for (const s of slots) if (fileBytes[s] > 0) order[known++] = s;
  const members = order.subarray(0, known).sort((x, y) => fileBytes[x] - fileBytes[y] || fileHash[x] - fileHash[y] || x - y);

  const pairA: number[] = [];
  const pairB: number[] = [];
  for (let start = 0; start < members.length; ) {
    const first = members[start];
    let end = start + 1;
    while (end < members.length && fileBytes[members[end]] === fileBytes[first] && fileHash[members[end]] === fileHash[first]) end++;
    // The group in slot order, a slot given twice counted once.
    const group: number[] = [first];
    for (let k = start + 1; k < end; k++) if (members[k] !== members[k - 1]) group.push(members[k]);
    for (let j = 1; j < group.length; j++) {
      const upTo = j < MAX_GROUP_PAIRED ? j : 1;
      for (let i = 0; i < upTo; i++) {
        pairA.push(group[i]);
        pairB.push(group[j]);
      }
    }
    start = end;
  }
  return sortedPairs(pairA, pairB);
}

/** The pairs in ascending (a, b) order: groups interleave in slot order, so they are sorted once at the end. */
function sortedPairs(pairA: number[], pairB: number[]): { a: Int32Array; b: Int32Array } {
  const n = pairA.length;
  let top = 0;
  for (const b of pairB) if (b > top) top = b;
  const span = top + 1;
  if (span * span <= Number.MAX_SAFE_INTEGER) {
    // One exact float64 key per pair: a native numeric sort, no comparator calls.
    const keys = Float64Array.from({ length: n }, (_, k) => pairA[k] * span + pairB[k]).sort();
    const a = new Int32Array(n);
    const b = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      a[k] = Math.floor(keys[k] / span);
      b[k] = keys[k] - a[k] * span;
    }
    return { a, b };
  }
  const index = Uint32Array.from({ length: n }, (_, k) => k).sort((x, y) => pairA[x] - pairA[y] || pairB[x] - pairB[y]);
  return { a: Int32Array.from(index, (k) => pairA[k]), b: Int32Array.from(index, (k) => pairB[k]) };
}
