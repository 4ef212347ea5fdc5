/**
 * Prototypes made earlier, here (prototypes.npz) or by NumPy (numpy.save of a [C, D] array,
 * like the seed notebook's average_vectors.npy), matched to the loaded dataset's classes. Any
 * mismatch is an error that says what was found and what was expected.
 */

import { readNpy, type NpyArray } from '../formats/npy.ts';
import { readNpz } from '../formats/npz.ts';
import { float16ToFloat32 } from '../formats/float16.ts';

export interface ImportedPrototypes {
  /** [C×D] in the dataset's class order; rows of classes the file lacks are zeros. */
  prototypes: Float32Array;
  dim: number;
  /** Per class: images averaged (from the file's `count`), or −1 when the file does not say. */
  counts: Int32Array;
  /** How the rows were matched to classes, for people. */
  matchedBy: string;
  /** Classes with no row in the file. */
  missingClasses: number;
}

function asFloat32(array: NpyArray, what: string): Float32Array {
  if (array.dtype === '<f4') return array.data;
  if (array.dtype === '<f8') return Float32Array.from(array.data);
  if (array.dtype === '<f2') return float16ToFloat32(array.data);
  throw new Error(`${what} has dtype ${array.dtype}; prototypes must be float16, float32 or float64`);
}

function asInts(array: NpyArray, what: string): number[] {
  if (array.dtype === '<i8') return Array.from(array.data, Number);
  if (array.dtype === '<i4') return Array.from(array.data);
  throw new Error(`${what} has dtype ${array.dtype}; it must be int32 or int64`);
}

export async function importPrototypes(fileName: string, bytes: Uint8Array, classCategoryId: Int32Array): Promise<ImportedPrototypes> {
  const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
  let matrix: NpyArray;
  let ids: number[] | null = null;
  let counts: number[] | null = null;
  if (isZip) {
    const arrays = await readNpz(bytes);
    const name = 'prototypes' in arrays ? 'prototypes' : Object.keys(arrays).length === 1 ? Object.keys(arrays)[0] : null;
    if (!name) throw new Error(`${fileName} holds ${Object.keys(arrays).join(', ')}: none is named "prototypes"`);
    matrix = arrays[name];
    if (arrays.category_id) ids = asInts(arrays.category_id, `${fileName}: category_id`);
    if (arrays.count) counts = asInts(arrays.count, `${fileName}: count`);
  } else {
    matrix = readNpy(bytes);
  }
  if (matrix.shape.length !== 2) throw new Error(`${fileName}: prototypes have shape (${matrix.shape.join(', ')}); expected 2 dimensions, (classes, features)`);
  const [rows, dim] = matrix.shape;
  const values = asFloat32(matrix, `${fileName}: prototypes`);
  const C = classCategoryId.length;
  const classOf = new Map(Array.from(classCategoryId, (id, c) => [id, c]));
  const out = new Float32Array(C * dim);
  const outCounts = new Int32Array(C).fill(-1);
  let rowClass: (r: number) => number;
  let matchedBy: string;
  if (ids) {
    if (ids.length !== rows) throw new Error(`${fileName}: ${ids.length} category ids for ${rows} prototype rows`);
    const unknown = ids.filter((id) => !classOf.has(id));
    if (unknown.length) throw new Error(`${fileName}: ${unknown.length} category ids are not classes of the loaded dataset (first: ${unknown.slice(0, 5).join(', ')})`);
    rowClass = (r) => classOf.get(ids![r])!;
    matchedBy = 'category_id';
  } else if (rows === C) {
    rowClass = (r) => r;
    matchedBy = 'row order (ascending category id)';
  } else {
    const maxId = Math.max(...classCategoryId);
    if (rows !== maxId + 1) throw new Error(`${fileName}: ${rows} prototype rows, but the dataset has ${C} classes (or rows indexed by category id would be ${maxId + 1})`);
    rowClass = (r) => classOf.get(r) ?? -1;
    matchedBy = 'row number = category id (the seed notebook’s layout)';
  }
  const seen = new Uint8Array(C);
  for (let r = 0; r < rows; r++) {
    const c = rowClass(r);
    if (c < 0) continue;
    out.set(values.subarray(r * dim, (r + 1) * dim), c * dim);
    seen[c] = 1;
    if (counts) outCounts[c] = counts[r];
  }
  return { prototypes: out, dim, counts: outCounts, matchedBy, missingClasses: seen.reduce((a, s) => a + (s ? 0 : 1), 0) };
}
