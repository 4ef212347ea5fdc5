/**
 * Prototypes made earlier, here (prototypes.npz) or by NumPy (numpy.save of a [C, D] array,
 * like the seed notebook's average_vectors.npy), matched to the loaded dataset's classes. Any
 * mismatch is an error that names the file (and the member, in an .npz), says what was found
 * and what was expected. Sizes are checked from the headers before anything is inflated or
 * copied: no member may hold more than the dataset's rows × the model's features can need.
 */

import { readNpy, type NpyArray, type NpyLimit } from '../formats/npy.ts';
import { npzMembers, readNpz } from '../formats/npz.ts';
import { float16ToFloat32 } from '../formats/float16.ts';
import { formatBytes } from '../units.ts';

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

/** What the prototypes must fit. */
export interface PrototypesTarget {
  /** Every declared category's id, in class order (ascending): one class each, with or without images. */
  classCategoryId: Int32Array;
  /** Classes with at least one train image (the Overview's stat-classes), named in messages. */
  classesWithImages: number;
  /** The model of this run: its name and embedding size; null while that is not known (a dropped model before it loads). */
  model: { name: string; dim: number } | null;
}

/** No file over this is read at all (checked from its size, before its bytes are read). */
export const MAX_IMPORT_FILE_BYTES = 2 ** 30;
/** No member or .npy array over this is inflated or copied, whatever the dataset and model. */
export const MAX_IMPORT_ARRAY_BYTES = 512 * 2 ** 20;
/** Features taken per class while the model's size is not known. */
export const MAX_FEATURES_UNKNOWN_MODEL = 8192;
/** A .npy header (version 1.0) is at most 10 + 65,535 bytes. */
const HEADER_ALLOWANCE = 64 * 1024;

const num = (n: number) => n.toLocaleString('en-US');
const shapeText = (shape: number[]) => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`);

/** An error whose message already names the file (others get the file name put in front). */
class ImportError extends Error {}

/** Rows a prototypes file may have: one per declared category, or one per category id from 0 to the largest. */
function rowLayouts(classCategoryId: Int32Array): { declared: number; maxId: number; maxRows: number } {
  let maxId = -1;
  for (const id of classCategoryId) if (id > maxId) maxId = id;
  return { declared: classCategoryId.length, maxId, maxRows: Math.max(classCategoryId.length, maxId + 1) };
}

/**
 * The most each array of a prototypes file may hold, in bytes and in words: rows × features ×
 * 8 bytes (float64, the widest dtype taken) for `prototypes`, rows × 8 for `category_id` and
 * `count`, plus a header; never over MAX_IMPORT_ARRAY_BYTES.
 */
export function prototypesLimits(target: PrototypesTarget): { prototypes: NpyLimit; perRow: NpyLimit } {
  const { declared, maxId, maxRows } = rowLayouts(target.classCategoryId);
  const dim = target.model?.dim ?? MAX_FEATURES_UNKNOWN_MODEL;
  const rows = `${num(maxRows)} rows (${maxRows > declared ? `category ids 0–${maxId}` : `the ${num(declared)} declared categories`})`;
  const features = target.model ? `${num(dim)} features (${target.model.name})` : `${num(dim)} features (the most taken while the model's size is not known)`;
  const limit = (data: number, what: string, words: string): NpyLimit => {
    const bytes = data + HEADER_ALLOWANCE;
    if (bytes > MAX_IMPORT_ARRAY_BYTES) return { bytes: MAX_IMPORT_ARRAY_BYTES, why: `the ${formatBytes(MAX_IMPORT_ARRAY_BYTES)} this import takes at most for any array` };
    return { bytes, why: `the ${formatBytes(bytes)} this import takes at most for ${what}: ${words} × 8 bytes, plus 64 KiB of .npy header` };
  };
  return {
    prototypes: limit(maxRows * dim * 8, 'prototypes', `${rows} × ${features}`),
    perRow: limit(maxRows * 8, 'a per-row array', rows),
  };
}

/** Refuses a file too large to read before its bytes are read. */
export function checkPrototypesFileSize(fileName: string, size: number): void {
  if (size > MAX_IMPORT_FILE_BYTES)
    throw new ImportError(`${fileName} is ${formatBytes(size)}: more than the ${formatBytes(MAX_IMPORT_FILE_BYTES)} a prototypes file may be (not read)`);
}

function asFloat32(array: NpyArray, what: string): Float32Array {
  if (array.dtype === '<f4') return array.data;
  if (array.dtype === '<f8') return Float32Array.from(array.data);
  if (array.dtype === '<f2') return float16ToFloat32(array.data);
  throw new Error(`${what} has dtype ${array.dtype}; prototypes must be float16, float32 or float64`);
}

/** A 1-D array of whole numbers, one per prototype row (integers, or floats that are whole). */
function wholeNumbers(array: NpyArray, what: string, rows: number): number[] {
  if (array.shape.length !== 1) throw new Error(`${what} has shape ${shapeText(array.shape)}; it must be 1-D, one value per prototype row`);
  if (array.data.length !== rows) throw new Error(`${what} has ${num(array.data.length)} values for ${num(rows)} prototype rows; it needs one per row`);
  let values: number[];
  if (array.dtype === '<i8') values = Array.from(array.data, Number);
  else if (array.dtype === '<i4') values = Array.from(array.data);
  else if (array.dtype === '<f4' || array.dtype === '<f8') values = Array.from(array.data);
  else throw new Error(`${what} has dtype ${array.dtype}; it must be integers (int32 or int64)`);
  const bad = values.findIndex((v) => !Number.isSafeInteger(v));
  if (bad >= 0) throw new Error(`${what} holds ${values[bad]} at row ${bad}, not a whole number`);
  return values;
}

/**
 * Reads `bytes` (a .npy or .npz named `fileName`) as prototypes of `target`'s classes. Throws
 * an Error naming the file, the member and what is wrong.
 */
export async function importPrototypes(fileName: string, bytes: Uint8Array, target: PrototypesTarget): Promise<ImportedPrototypes> {
  try {
    return await importChecked(fileName, bytes, target);
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new Error(`${fileName}: ${(e as Error).message}`);
  }
}

async function importChecked(fileName: string, bytes: Uint8Array, target: PrototypesTarget): Promise<ImportedPrototypes> {
  checkPrototypesFileSize(fileName, bytes.length);
  const limits = prototypesLimits(target);
  const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
  let matrix: NpyArray;
  let matrixName = 'prototypes';
  let ids: number[] | null = null;
  let counts: number[] | null = null;
  if (isZip) {
    const members = npzMembers(bytes);
    const names = members.map((m) => m.name);
    const name = names.includes('prototypes') ? 'prototypes' : names.length === 1 ? names[0] : null;
    if (!name) throw new Error(`it holds ${members.map((m) => m.fileName).join(', ') || 'no arrays'}: none is named prototypes (nor is it a single array)`);
    const arrays = await readNpz(bytes, { only: [name, 'category_id', 'count'], limit: (n) => (n === name ? limits.prototypes : limits.perRow) });
    matrix = arrays[name];
    matrixName = `member ${members.find((m) => m.name === name)!.fileName}`;
    const rows = matrix.shape.length === 2 ? matrix.shape[0] : 0;
    if (matrix.shape.length === 2 && arrays.category_id) ids = wholeNumbers(arrays.category_id, 'member category_id.npy', rows);
    if (matrix.shape.length === 2 && arrays.count) counts = wholeNumbers(arrays.count, 'member count.npy', rows);
  } else {
    matrix = readNpy(bytes, limits.prototypes);
  }
  if (matrix.shape.length !== 2) throw new Error(`${isZip ? `${matrixName} has` : 'the array has'} shape ${shapeText(matrix.shape)}; prototypes need 2 dimensions, (classes, features)`);
  const [rows, dim] = matrix.shape;
  const model = target.model;
  if (dim === 0) throw new ImportError(`${fileName} has 0 features per class: there is nothing to compare`);
  if (model && dim !== model.dim) throw new ImportError(`${fileName} has ${num(dim)} features per class; the model of this run, ${model.name}, gives ${num(model.dim)}`);
  const values = asFloat32(matrix, isZip ? matrixName : 'the array');
  const { classCategoryId, classesWithImages } = target;
  const C = classCategoryId.length;
  const { maxId } = rowLayouts(classCategoryId);
  const classOf = new Map(Array.from(classCategoryId, (id, c) => [id, c]));
  let rowClass: (r: number) => number;
  let matchedBy: string;
  if (ids) {
    const rowOf = new Map<number, number>();
    ids.forEach((id, r) => {
      const first = rowOf.get(id);
      if (first !== undefined) throw new Error(`member category_id.npy gives category id ${id} twice, at rows ${first} and ${r}`);
      rowOf.set(id, r);
    });
    const unknown = ids.filter((id) => !classOf.has(id));
    if (unknown.length)
      throw new Error(`member category_id.npy: ${num(unknown.length)} of its ${num(ids.length)} category ids are not categories of the loaded dataset (first: ${unknown.slice(0, 5).join(', ')})`);
    rowClass = (r) => classOf.get(ids![r])!;
    matchedBy = 'category_id';
  } else if (rows === C) {
    rowClass = (r) => r;
    matchedBy = 'row order (ascending category id)';
  } else if (rows === maxId + 1) {
    rowClass = (r) => classOf.get(r) ?? -1;
    matchedBy = 'row number = category id (the seed notebook’s layout)';
  } else {
    throw new ImportError(
      `${fileName} has ${num(rows)} prototype rows, but the dataset declares ${num(C)} categories (${num(classesWithImages)} with train images): ` +
        `without a category_id array, a prototypes file needs one row per declared category in ascending category id (${num(C)} rows)` +
        (maxId + 1 !== C ? ` or one row per category id from 0 to ${maxId} (${num(maxId + 1)} rows)` : ''),
    );
  }
  if (counts) {
    const negative = counts.findIndex((n) => n < 0);
    if (negative >= 0) throw new Error(`member count.npy has a negative count at row ${negative}, ${counts[negative]}: it must be the images averaged`);
    const huge = counts.findIndex((n) => n > 0x7fffffff);
    if (huge >= 0) throw new Error(`member count.npy has ${counts[huge]} images at row ${huge}, more than any dataset holds`);
  }
  const out = new Float32Array(C * dim);
  const outCounts = new Int32Array(C).fill(-1);
  const seen = new Uint8Array(C);
  let badRows = 0;
  let firstBad: string | null = null;
  for (let r = 0; r < rows; r++) {
    const c = rowClass(r);
    if (c < 0) continue;
    const row = values.subarray(r * dim, (r + 1) * dim);
    const k = row.findIndex((v) => !Number.isFinite(v));
    if (k >= 0) {
      badRows++;
      firstBad ??= `row ${r} (category id ${classCategoryId[c]}) holds ${row[k]} at feature ${k}`;
    }
    out.set(row, c * dim);
    seen[c] = 1;
    if (counts) outCounts[c] = counts[r];
  }
  if (firstBad) throw new Error(`${firstBad}${badRows > 1 ? `, and ${num(badRows - 1)} more rows are not finite` : ''}: a prototype must be finite numbers (NaN or infinite values, as float64 over float32's range)`);
  return { prototypes: out, dim, counts: outCounts, matchedBy, missingClasses: seen.reduce((a, s) => a + (s ? 0 : 1), 0) };
}
