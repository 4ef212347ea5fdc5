/**
 * Turns one batch of raw array elements (bytes) into small columns. Pure and self-contained, so
 * batches can be parsed by a pool of workers in parallel and merged in order afterwards.
 */

import { JsonReadError, type JsonLocation } from '../json/jsonErrors.ts';
import { parseBatch, type BatchOddities } from '../json/jsonArrayStream.ts';
import { IssueLog } from './issueLog.ts';
import { StringTable, isWellFormed, type StringTableData } from './stringTable.ts';
import type { LoadIssue } from './types.ts';

export interface BatchRequest {
  fileName: string;
  /** The top-level key of the array (null for a root array). */
  key: string | null;
  bytes: Uint8Array;
  byteOffset: number;
  firstIndex: number;
}

export interface CategoryRecord {
  id: number;
  /** Position in the "categories" array, for messages. */
  index: number;
  /** "scientificName" or "name"; null when it has neither (or only blank ones). */
  name: string | null;
  family: string | null;
  genus: string | null;
  /** Herbarium-style genus id, resolved through "genera" once every array is read. */
  genusId: number | null;
  species: string | null;
}

/**
 * `kept`: the array index of each row, only when the batch skipped an element (null: the rows are
 * elements firstIndex, firstIndex + 1, …), so messages can name `images[12]` after skips.
 */
export type BatchResult =
  | {
      kind: 'images';
      ids: StringTableData;
      files: StringTableData;
      idKey: 'image_id' | 'id' | null;
      firstIndex: number;
      kept: Int32Array | null;
      issues: LoadIssue[];
    }
  | {
      kind: 'annotations';
      imageIds: StringTableData;
      category: Int32Array;
      institution: Int32Array;
      firstIndex: number;
      kept: Int32Array | null;
      issues: LoadIssue[];
    }
  | { kind: 'categories'; records: CategoryRecord[]; idKey: 'category_id' | 'id' | null; firstKeys: string[]; issues: LoadIssue[] }
  | { kind: 'named'; key: 'institutions' | 'genera'; entries: [number, string][]; issues: LoadIssue[] }
  | { kind: 'ignored' }
  /** Bad JSON in the batch, as a value so that it crosses worker boundaries with its location. */
  | { kind: 'error'; message: string; location: JsonLocation };

/** Arrays the metadata reader keeps; everything else is scanned past (distances: 3.3M pairs). */
export const keptArrays = new Set(['images', 'annotations', 'categories', 'genera', 'institutions']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An id may be a string ("00000__001") or an integer (COCO); it is kept as a string. */
function idString(v: unknown): string | null {
  if (typeof v === 'string') return v.length > 0 ? v : null;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return null;
}

/** Category and institution ids must be integers (they go into int64 arrays and submissions). */
export function intId(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? v : null;
}

function text(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return null;
}

/** A name field: text, or null when missing or blank (a blank name would make a blank genus). */
function nameText(v: unknown): string | null {
  const t = text(v);
  return t !== null && t.trim().length > 0 ? t : null;
}

/** The rows' array indexes, or null when no element was skipped. */
function keptIndexes(kept: Int32Array, n: number, elementCount: number): Int32Array | null {
  return n === elementCount ? null : kept.slice(0, n);
}

function typeName(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

function readImages(elements: unknown[], firstIndex: number, arrayName: string, log: IssueLog): BatchResult {
  const ids = new StringTable(elements.length, elements.length * 12);
  const files = new StringTable(elements.length, elements.length * 32);
  let idKey: 'image_id' | 'id' | null = null;
  const kept = new Int32Array(elements.length);
  let n = 0;
  for (let k = 0; k < elements.length; k++) {
    const el = elements[k];
    const i = firstIndex + k;
    if (!isObject(el)) {
      log.warn(`${arrayName} entries that are not objects were skipped`, `${arrayName}[${i}] is ${typeName(el)}`);
      continue;
    }
    // Herbarium 2022 names it image_id, COCO id; decided per element, so batches agree.
    const key = 'image_id' in el ? 'image_id' : 'id' in el ? 'id' : null;
    if (key === null) {
      log.warn('images without an id ("image_id" or "id") were skipped', `${arrayName}[${i}] has neither`);
      continue;
    }
    idKey ??= key;
    const id = idString(el[key]);
    if (id === null) {
      log.warn(
        `images without a valid "${key}" (a string or an integer) were skipped`,
        `${arrayName}[${i}].${key} is ${typeName(el[key])}`,
      );
      continue;
    }
    const file = el.file_name;
    if (typeof file !== 'string' || file.length === 0) {
      log.warn('images without a valid "file_name" (a string) were skipped', `${arrayName}[${i}].file_name is ${typeName(file)}`);
      continue;
    }
    // JSON may escape an unpaired surrogate ("\ud800"): kept exactly (the table keeps it), but said.
    if (!isWellFormed(id)) log.warn(notUnicodeIds, `${arrayName}[${i}].${key} ${JSON.stringify(id)}`);
    ids.push(id);
    files.push(file);
    kept[n++] = i;
  }
  return {
    kind: 'images',
    ids: ids.toData(),
    files: files.toData(),
    idKey,
    firstIndex,
    kept: keptIndexes(kept, n, elements.length),
    issues: log.issues(),
  };
}

function readAnnotations(elements: unknown[], firstIndex: number, log: IssueLog): BatchResult {
  const imageIds = new StringTable(elements.length, elements.length * 12);
  const category = new Int32Array(elements.length);
  const institution = new Int32Array(elements.length);
  const kept = new Int32Array(elements.length);
  let n = 0;
  for (let k = 0; k < elements.length; k++) {
    const el = elements[k];
    const i = firstIndex + k;
    if (!isObject(el)) {
      log.warn('annotations that are not objects were skipped', `annotations[${i}] is ${typeName(el)}`);
      continue;
    }
    const imageId = idString(el.image_id);
    if (imageId === null) {
      log.warn('annotations without a valid "image_id" were skipped', `annotations[${i}].image_id is ${typeName(el.image_id)}`);
      continue;
    }
    const cat = intId(el.category_id);
    if (cat === null) {
      log.warn(
        'annotations without an integer "category_id" were skipped',
        `annotations[${i}].category_id is ${JSON.stringify(el.category_id) ?? 'missing'}`,
      );
      continue;
    }
    let inst = -1;
    if (el.institution_id !== undefined) {
      const v = intId(el.institution_id);
      if (v === null) log.warn('annotations with a non-integer "institution_id" kept without institution', `annotations[${i}]`);
      else inst = v;
    }
    imageIds.push(imageId);
    category[n] = cat;
    institution[n] = inst;
    kept[n] = i;
    n++;
  }
  return {
    kind: 'annotations',
    imageIds: imageIds.toData(),
    category: category.slice(0, n),
    institution: institution.slice(0, n),
    firstIndex,
    kept: keptIndexes(kept, n, elements.length),
    issues: log.issues(),
  };
}

function readCategories(elements: unknown[], firstIndex: number, log: IssueLog): BatchResult {
  const records: CategoryRecord[] = [];
  let idKey: 'category_id' | 'id' | null = null;
  let firstKeys: string[] = [];
  elements.forEach((el, k) => {
    const i = firstIndex + k;
    if (!isObject(el)) {
      log.warn('categories that are not objects were skipped', `categories[${i}] is ${typeName(el)}`);
      return;
    }
    if (idKey === null) {
      idKey = 'category_id' in el ? 'category_id' : 'id';
      firstKeys = Object.keys(el);
    }
    const id = intId(el[idKey]);
    if (id === null) {
      log.warn(
        `categories without an integer "${idKey}" were skipped`,
        `categories[${i}].${idKey} is ${JSON.stringify(el[idKey]) ?? 'missing'}`,
      );
      return;
    }
    // Missing names are reported and filled in by the reader, which also knows "genera".
    records.push({
      id,
      index: i,
      name: nameText(el.scientificName) ?? nameText(el.name),
      family: nameText(el.family) ?? nameText(el.supercategory),
      genus: nameText(el.genus),
      genusId: intId(el.genus_id),
      species: text(el.species) ?? text(el.specific_epithet),
    });
  });
  return { kind: 'categories', records, idKey, firstKeys, issues: log.issues() };
}

function readNamed(key: 'institutions' | 'genera', elements: unknown[], firstIndex: number, log: IssueLog): BatchResult {
  const entries: [number, string][] = [];
  elements.forEach((el, k) => {
    const id = isObject(el) ? intId(key === 'genera' ? (el.genus_id ?? el.id) : (el.institution_id ?? el.id)) : null;
    if (!isObject(el) || id === null) {
      log.warn(`${key} without an integer id were skipped`, `${key}[${firstIndex + k}]`);
      return;
    }
    const name =
      key === 'genera'
        ? (text(el.genus) ?? text(el.name))
        : (text(el.collectionCode) ?? text(el.name) ?? text(el.code) ?? `institution ${id}`);
    if (name !== null) entries.push([id, name]);
  });
  return { kind: 'named', key, entries, issues: log.issues() };
}

export const notUnicodeIds =
  'image ids that are not valid Unicode (an unpaired surrogate escape such as "\\ud800"): kept exactly as written, ' +
  'but a UTF-8 export (submission.csv) cannot hold them';
export const nonFiniteNumbers =
  'NaN, Infinity or -Infinity, which JSON does not allow (Python\'s json.dump and pandas write them): ' +
  'read as Python does, NaN as a missing value and Infinity as a number';
export const invalidUtf8 =
  'byte sequences that are not valid UTF-8 (a Latin-1 or Windows-1252 file?): each byte read as Latin-1 (0xE9 as "é"); ' +
  'save the file as UTF-8 to be sure of the names';

/** Says what a batch read that is not plain UTF-8 JSON, with the first file offset. */
function logOddities(oddities: BatchOddities, key: string | null, log: IssueLog): void {
  const where = (o: { byteOffset: number; index: number }) =>
    `byte ${o.byteOffset.toLocaleString('en-US')} (${key === null ? 'the root array' : `"${key}"`}, item ${o.index})`;
  if (oddities.invalidUtf8) log.warnCount(invalidUtf8, oddities.invalidUtf8.count, where(oddities.invalidUtf8));
  if (oddities.nonFinite) log.warnCount(nonFiniteNumbers, oddities.nonFinite.count, where(oddities.nonFinite));
}

/** Parses and reads one batch. Throws JsonReadError (with the element's index) on bad JSON. */
export function readBatch(request: BatchRequest): BatchResult {
  const { key, bytes, byteOffset, firstIndex, fileName } = request;
  if (key !== null && !keptArrays.has(key)) return { kind: 'ignored' };
  let elements: unknown[];
  const oddities: BatchOddities = {};
  try {
    elements = parseBatch(bytes, byteOffset, firstIndex, key, oddities);
  } catch (e) {
    if (e instanceof JsonReadError) return { kind: 'error', message: e.message, location: e.location };
    throw e;
  }
  const log = new IssueLog(fileName);
  logOddities(oddities, key, log);
  switch (key) {
    case null:
      return readImages(elements, firstIndex, 'items', log);
    case 'images':
      return readImages(elements, firstIndex, 'images', log);
    case 'annotations':
      return readAnnotations(elements, firstIndex, log);
    case 'categories':
      return readCategories(elements, firstIndex, log);
    default:
      return readNamed(key as 'institutions' | 'genera', elements, firstIndex, log);
  }
}

/** Buffers in a batch result, for the transfer list. */
export function batchTransferables(result: BatchResult): ArrayBuffer[] {
  const list: ArrayBufferLike[] = [];
  if (result.kind === 'images') list.push(result.ids.bytes.buffer, result.ids.offsets.buffer, result.files.bytes.buffer, result.files.offsets.buffer);
  if (result.kind === 'annotations')
    list.push(result.imageIds.bytes.buffer, result.imageIds.offsets.buffer, result.category.buffer, result.institution.buffer);
  if ((result.kind === 'images' || result.kind === 'annotations') && result.kept) list.push(result.kept.buffer);
  return [...new Set(list)] as ArrayBuffer[];
}
