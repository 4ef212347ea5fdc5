/**
 * Reads one metadata file (Herbarium 2022, Herbarium 2021, iNaturalist 2018/2021 or another
 * COCO-style file; train or test) into columns. Joins annotations to images by id and
 * categories by id through maps: never by position, never ids as indices.
 */

import { concatInt32 } from '../arrays.ts';
import { readJsonArrays, JsonReadError, type ByteSource, type JsonStreamSummary, type RawBatch } from '../json/jsonArrayStream.ts';
import type { JsonLocation } from '../json/jsonErrors.ts';
import { IssueLog } from './issueLog.ts';
import { keptArrays, readBatch, type BatchRequest, type BatchResult, type CategoryRecord } from './metadataBatches.ts';
import { StringTable } from './stringTable.ts';
import { indexTaxonomy } from './taxonomy.ts';
import type { DatasetColumns, DatasetFormat, LoadIssue, TestColumns } from './types.ts';

/** A problem that rejects the whole file. */
export class LoadError extends Error {
  constructor(readonly issue: LoadIssue) {
    super(issue.message);
    this.name = 'LoadError';
  }
}

export interface MetadataProgress {
  bytesRead: number;
  totalBytes: number;
  items: number;
}

export interface ReadMetadataOptions {
  chunkBytes?: number;
  batchBytes?: number;
  maxElementBytes?: number;
  onProgress?(progress: MetadataProgress): void;
  afterChunk?(): Promise<void> | void;
  /** Where batches are parsed; in this thread when absent. */
  parseBatch?: BatchParser;
  /** Batches handed to `parseBatch` and not yet back, at most; past that they parse here. */
  maxInFlight?: number;
}

export type MetadataReadResult =
  | { role: 'train'; train: DatasetColumns; issues: LoadIssue[] }
  | { role: 'test'; test: TestColumns; issues: LoadIssue[] };

/**
 * Parses a batch somewhere: in this thread (the default) or in a pool of workers. Whatever runs
 * it must return `readBatch`'s result; results are merged in file order.
 */
export type BatchParser = (request: BatchRequest) => Promise<BatchResult>;

export async function readMetadataFile(
  fileName: string,
  source: ByteSource,
  options: ReadMetadataOptions = {},
): Promise<MetadataReadResult> {
  const log = new IssueLog(fileName);
  const { summary, batches } = await parseBatches(fileName, source, options, log);
  const merged = new MergedBatches();
  for (const r of batches) merged.add(r, log);
  if (summary.rootKind === 'array' || (summary.keys.includes('images') && !summary.keys.includes('annotations')))
    return assembleTest(fileName, summary, merged, log);
  checkTrainShape(fileName, summary);
  return assembleTrain(fileName, summary, merged, log);
}

export const duplicateTopLevelKeys =
  'top-level keys given more than once (two files pasted together?): the last value of each was kept, as JSON.parse and Python\'s json do';

/**
 * Scans the file and parses its kept arrays batch by batch, here or through `options.parseBatch`;
 * returns the document's summary and every batch's result in file order (of a key given twice,
 * the last value's only). Rejects the file on a JSON error, from the scan or from any batch.
 * Says in `log` what was read that is not plain UTF-8 JSON with unique keys.
 */
async function parseBatches(
  fileName: string,
  source: ByteSource,
  options: ReadMetadataOptions,
  log: IssueLog,
): Promise<{ summary: JsonStreamSummary; batches: BatchResult[] }> {
  const dispatcher = new BatchDispatcher(fileName, options.parseBatch, options.maxInFlight ?? 4);
  /** File offsets of each top-level key, in order: a key given twice has two. */
  const keyOffsets = new Map<string, number[]>();
  let total = source.size;
  const reject = (message: string, at: JsonLocation): never => rejectFile(fileName, total, message, at);
  let summary: JsonStreamSummary;
  try {
    summary = await readJsonArrays(
      source,
      {
        wantArray: (key) => key === null || keptArrays.has(key),
        wantValue(key, kind, byteOffset) {
          if (keptArrays.has(key)) throw new JsonReadError(`"${key}" should be an array but is ${kind}`, { byteOffset, key });
          return false;
        },
        onBatch: (raw) => dispatcher.dispatch(raw, raw.key === null ? 0 : keyOffsets.get(raw.key)!.length - 1),
        onKey(key, byteOffset) {
          const offsets = keyOffsets.get(key);
          if (offsets) offsets.push(byteOffset);
          else keyOffsets.set(key, [byteOffset]);
        },
      },
      {
        chunkBytes: options.chunkBytes,
        batchBytes: options.batchBytes,
        maxElementBytes: options.maxElementBytes,
        onProgress: (bytesRead, totalBytes) => {
          total = totalBytes;
          options.onProgress?.({ bytesRead, totalBytes, items: dispatcher.items });
        },
        afterChunk: async () => {
          const failed = dispatcher.failed;
          // Thrown as a JSON error, so that the scan adds the file's encoding to its location.
          if (failed?.kind === 'error') throw new JsonReadError(failed.message, { ...failed.location });
          await options.afterChunk?.();
        },
      },
    );
  } catch (e) {
    if (e instanceof JsonReadError) reject(e.message, e.location);
    throw e;
  }
  const results = await dispatcher.results();
  const firstError = results.find((r) => r.result.kind === 'error')?.result;
  if (firstError?.kind === 'error')
    reject(firstError.message, summary.encoding === 'utf-8' ? firstError.location : { ...firstError.location, textEncoding: summary.encoding });
  if (summary.encoding !== 'utf-8') {
    const name = summary.encoding.toUpperCase();
    log.warn(
      `the file is ${name} text${summary.byteOrderMark ? '' : ' with no byte order mark'}: read as ${name}; byte offsets in messages count its text as UTF-8`,
      `byte 0: ${summary.byteOrderMark ? 'byte order mark' : `every other byte is 0 (${summary.encoding === 'utf-16le' ? 'odd' : 'even'} bytes)`}`,
    );
  }
  for (const [key, offsets] of keyOffsets)
    if (offsets.length > 1) log.warn(duplicateTopLevelKeys, `"${key}" at bytes ${offsets.map((o) => o.toLocaleString('en-US')).join(' and ')}`);
  // Of a key given twice, JSON.parse keeps the last value: drop the batches of the others.
  const batches = results.filter((r) => r.key === null || r.occurrence === keyOffsets.get(r.key)!.length - 1).map((r) => r.result);
  return { summary, batches };
}

/** Rejects the whole file for a JSON problem at `at`, in a file of `totalBytes`. */
function rejectFile(fileName: string, totalBytes: number, message: string, at: JsonLocation): never {
  const problem = message.includes('should be an array') ? message : `not valid JSON: ${message}`;
  const where =
    `byte ${at.byteOffset.toLocaleString('en-US')} ` +
    (at.textEncoding
      ? `counting the text as UTF-8 (the file is ${at.textEncoding.toUpperCase()}, ${totalBytes.toLocaleString('en-US')} bytes)`
      : `of ${totalBytes.toLocaleString('en-US')}`) +
    (at.key !== undefined && at.key !== null ? `, key "${at.key}"` : '') +
    (at.index !== undefined ? `, item ${at.index}` : '');
  throw new LoadError({ severity: 'error', file: fileName, message: problem, where });
}

/**
 * Sends each raw batch to the parser, or parses it in this thread when there is no parser or
 * every parser is busy: the work spreads over all cores and memory stays bounded by
 * `maxInFlight` batches. Keeps the results in file order.
 */
class BatchDispatcher {
  /** Elements handed out so far. */
  items = 0;
  /** The first failed batch seen so far (results still in flight may hold an earlier one). */
  failed: BatchResult | null = null;
  private readonly pending: { key: string | null; occurrence: number; result: BatchResult | Promise<BatchResult> }[] = [];
  private inFlight = 0;

  constructor(
    private readonly fileName: string,
    private readonly parser: BatchParser | undefined,
    private readonly maxInFlight: number,
  ) {}

  /** `occurrence`: which value of its key the batch is in (0: the first), for keys given twice. */
  dispatch(raw: RawBatch, occurrence: number): void {
    this.items += raw.count;
    const { fileName } = this;
    if (!this.parser || this.inFlight >= this.maxInFlight) {
      const result = readBatch({ fileName, key: raw.key, bytes: raw.bytes, byteOffset: raw.byteOffset, firstIndex: raw.firstIndex });
      if (result.kind === 'error') this.failed ??= result;
      this.pending.push({ key: raw.key, occurrence, result });
      return;
    }
    // The bytes are a view into the reader's buffer: copy them for the worker.
    this.inFlight++;
    const pending = this.parser({ fileName, key: raw.key, bytes: raw.bytes.slice(), byteOffset: raw.byteOffset, firstIndex: raw.firstIndex });
    this.pending.push({ key: raw.key, occurrence, result: pending });
    pending.then(
      (r) => {
        if (r.kind === 'error' && !this.failed) this.failed = r;
      },
      () => {},
    ).finally(() => this.inFlight--);
  }

  /** Every batch's result, in file order, with its key and occurrence. */
  async results(): Promise<{ key: string | null; occurrence: number; result: BatchResult }[]> {
    const results = await Promise.all(this.pending.map((p) => p.result));
    return this.pending.map((p, i) => ({ key: p.key, occurrence: p.occurrence, result: results[i] }));
  }
}

/** The batches' results merged in file order: image and annotation columns, categories, names. */
class MergedBatches {
  readonly imageIds = new StringTable(4096);
  readonly imageFiles = new StringTable(4096);
  readonly imageRows = new ArrayPositions();
  readonly annImageIds = new StringTable(4096);
  readonly annotationRows = new ArrayPositions();
  readonly annCategory: Int32Array[] = [];
  readonly annInstitution: Int32Array[] = [];
  readonly categories: CategoryRecord[] = [];
  readonly institutions = new Map<number, string>();
  readonly generaById = new Map<number, string>();
  imageIdKey: 'image_id' | 'id' | null = null;
  categoryIdKey: 'category_id' | 'id' | null = null;
  firstCategoryKeys: string[] | null = null;

  /** Appends the next batch's result (in file order) and merges its issues into `log`. */
  add(r: BatchResult, log: IssueLog): void {
    if (r.kind === 'images') this.addImages(r);
    else if (r.kind === 'annotations') this.addAnnotations(r);
    else if (r.kind === 'categories') this.addCategories(r);
    else if (r.kind === 'named') this.addNamed(r);
    if ('issues' in r) log.merge(r.issues);
  }

  private addImages(r: Extract<BatchResult, { kind: 'images' }>): void {
    this.imageIdKey ??= r.idKey;
    this.imageRows.add(this.imageIds.length, r.ids.count, r.firstIndex, r.kept);
    this.imageIds.appendData(r.ids);
    this.imageFiles.appendData(r.files);
  }

  private addAnnotations(r: Extract<BatchResult, { kind: 'annotations' }>): void {
    this.annotationRows.add(this.annImageIds.length, r.imageIds.count, r.firstIndex, r.kept);
    this.annImageIds.appendData(r.imageIds);
    this.annCategory.push(r.category);
    this.annInstitution.push(r.institution);
  }

  private addCategories(r: Extract<BatchResult, { kind: 'categories' }>): void {
    this.categoryIdKey ??= r.idKey;
    this.firstCategoryKeys ??= r.idKey ? r.firstKeys : null;
    for (const c of r.records) this.categories.push(c);
  }

  private addNamed(r: Extract<BatchResult, { kind: 'named' }>): void {
    const names = r.key === 'genera' ? this.generaById : this.institutions;
    for (const [id, name] of r.entries) names.set(id, name);
  }
}

/** Rejects the file for its top-level shape. */
function shapeError(fileName: string, message: string): never {
  throw new LoadError({ severity: 'error', file: fileName, message, where: 'top level' });
}

/** The top-level keys, quoted, for messages. */
function foundKeys(summary: JsonStreamSummary): string {
  return summary.keys.length ? [...new Set(summary.keys)].map((k) => `"${k}"`).join(', ') : 'none';
}

/**
 * A test file: a bare array (Herbarium 2022's test format) or an object with "images" and no
 * "annotations" (a COCO test file, or a train file that lost its labels).
 */
function assembleTest(fileName: string, summary: JsonStreamSummary, merged: MergedBatches, log: IssueLog): MetadataReadResult {
  const keys = new Set(summary.keys);
  if (summary.rootKind === 'object' && !keys.has('images')) shapeError(fileName, 'no "images" array');
  const arrayName = summary.rootKind === 'array' ? 'items' : 'images';
  if (merged.imageIds.length === 0) {
    const n = summary.arrayLengths.get(summary.rootKind === 'array' ? '' : 'images') ?? 0;
    shapeError(
      fileName,
      n === 0 ? 'the test image list is empty' : `none of the ${n} ${arrayName} is a valid image ({"image_id" or "id", "file_name"})`,
    );
  }
  const imageAt = imageNamer(arrayName, merged.imageIdKey, merged.imageRows);
  const ids = dropDuplicateIds(merged.imageIds, merged.imageFiles, log, imageAt);
  const issues = log.issues();
  // A bare array is the Herbarium 2022 test format: nothing to say. An object with "images" and
  // no "annotations" is a COCO test file (iNaturalist's test2018.json) or a train file that lost
  // its labels: say which reading was taken, and why.
  if (summary.rootKind === 'object') {
    const n = ids.ids.length;
    issues.unshift({
      severity: 'warning',
      file: fileName,
      message:
        `no "annotations" array: read as the test split (${n.toLocaleString('en-US')} image${n === 1 ? '' : 's'}, unlabelled); ` +
        `to see the dataset, load the train metadata, the file with "annotations"`,
      where: `top level, keys found: ${foundKeys(summary)}`,
    });
  }
  return {
    role: 'test',
    test: { source: fileName, imageCount: ids.ids.length, imageId: ids.ids.toData(), imageFile: ids.files.toData() },
    issues,
  };
}

/** A train file needs "images", "annotations" and "categories". */
function checkTrainShape(fileName: string, summary: JsonStreamSummary): void {
  const keys = new Set(summary.keys);
  if (!keys.has('annotations')) {
    shapeError(
      fileName,
      `unknown metadata shape: expected a train file with "images", "annotations" and "categories" ` +
        `(Herbarium 2022, Herbarium 2021, iNaturalist) or a test image list; top-level keys found: ${foundKeys(summary)}`,
    );
  }
  for (const needed of ['images', 'categories']) if (!keys.has(needed)) shapeError(fileName, `the "${needed}" array is missing`);
}

/** Joins the train file's annotations to its images and categories into the train columns. */
function assembleTrain(fileName: string, summary: JsonStreamSummary, merged: MergedBatches, log: IssueLog): MetadataReadResult {
  const imageAt = imageNamer('images', merged.imageIdKey, merged.imageRows);
  const trainImages = dropDuplicateIds(merged.imageIds, merged.imageFiles, log, imageAt);
  const idKey = merged.categoryIdKey ?? 'id';
  const train = joinTrain({
    fileName,
    imageIds: trainImages.ids,
    imageFiles: trainImages.files,
    imageAt: (row, withKey) => imageAt(trainImages.rowBefore(row), withKey),
    annImageIds: merged.annImageIds,
    annotationIndex: (row) => merged.annotationRows.indexOf(row),
    annCategory: concatInt32(merged.annCategory),
    annInstitution: concatInt32(merged.annInstitution),
    categories: merged.categories.map((c) => taxonomyOf(c, merged.generaById, log, idKey)),
    categoryIdKey: idKey,
    institutionNames: merged.institutions,
    log,
  });
  train.format = detectFormat(merged.imageIdKey, merged.categoryIdKey, merged.firstCategoryKeys);
  train.skippedKeys = [...new Set(summary.keys)].filter((k) => !keptArrays.has(k));
  if (train.imageCount === 0) {
    throw new LoadError({
      severity: 'error',
      file: fileName,
      message:
        `no usable train images: ${summary.arrayLengths.get('images') ?? 0} images, ` +
        `${summary.arrayLengths.get('annotations') ?? 0} annotations, ${merged.categories.length} categories, and none of the ` +
        `annotations joins an image to a category`,
      where: 'annotations',
    });
  }
  return { role: 'train', train, issues: log.issues() };
}

/**
 * Maps a row of a column back to its element's index in the JSON array, for messages: a few
 * numbers per batch (plus the kept indexes of the rare batch that skipped elements), never one
 * object per image.
 */
class ArrayPositions {
  private rowStart: number[] = [];
  private firstIndex: number[] = [];
  private kept: (Int32Array | null)[] = [];

  /** Rows rowStart … rowStart + rows - 1 came from a batch starting at element firstIndex. */
  add(rowStart: number, rows: number, firstIndex: number, kept: Int32Array | null): void {
    if (rows === 0) return;
    this.rowStart.push(rowStart);
    this.firstIndex.push(firstIndex);
    this.kept.push(kept);
  }

  indexOf(row: number): number {
    let lo = 0;
    let hi = this.rowStart.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.rowStart[mid] <= row) lo = mid;
      else hi = mid - 1;
    }
    const offset = row - this.rowStart[lo];
    const kept = this.kept[lo];
    return kept ? kept[offset] : this.firstIndex[lo] + offset;
  }
}

/** Where an image row is: `images[12].image_id`, or `images[12]` without the key. */
type ImageNamer = (row: number, withKey?: boolean) => string;

function imageNamer(arrayName: string, idKey: string | null, rows: ArrayPositions): ImageNamer {
  return (row, withKey = true) => `${arrayName}[${rows.indexOf(row)}]` + (withKey ? `.${idKey ?? 'id'}` : '');
}

function detectFormat(imageIdKey: string | null, categoryIdKey: string | null, firstCategoryKeys: string[] | null): DatasetFormat {
  if (imageIdKey === 'image_id' || categoryIdKey === 'category_id') return 'herbarium2022';
  const keys = new Set(firstCategoryKeys ?? []);
  if (keys.has('kingdom')) return keys.has('specific_epithet') || keys.has('image_dir_name') ? 'inat2021' : 'inat2018';
  if (keys.has('order') && keys.has('family')) return 'herbarium2021';
  return 'coco';
}

const unknownFamily = '(no family)';
const unknownGenus = '(no genus)';

export const missingCategoryName = 'categories without a name ("scientificName" or "name") were named "category <id>"';
export const missingCategoryFamily = `categories without a family ("family" or "supercategory") were put under "${unknownFamily}"`;
export const missingCategoryGenus =
  `categories without a genus ("genus", a "genus_id" listed in "genera", or a name to take it from) ` +
  `were put under "${unknownGenus}"`;

interface Taxon {
  id: number;
  /** Position in the "categories" array. */
  index: number;
  name: string;
  family: string;
  genus: string;
  species: string;
}

/**
 * Family, genus and species names of a category, from whichever fields its format has. Genus and
 * species may come from the words of a real name (Herbarium 2021 has no genus field), never from
 * a placeholder; missing fields are reported.
 */
function taxonomyOf(c: CategoryRecord, generaById: Map<number, string>, log: IssueLog, idKey: string): Taxon {
  const at = () => `categories[${c.index}] (${idKey} ${c.id})`;
  if (c.name === null) log.warnLazily(missingCategoryName, at);
  if (c.family === null) log.warnLazily(missingCategoryFamily, at);
  const words = c.name === null ? [] : c.name.trim().split(/\s+/);
  const listed = c.genusId !== null ? generaById.get(c.genusId) : undefined;
  const genus = c.genus ?? (listed?.trim() ? listed : undefined) ?? words[0] ?? null;
  if (genus === null) log.warnLazily(missingCategoryGenus, at);
  return {
    id: c.id,
    index: c.index,
    name: c.name ?? `category ${c.id}`,
    family: c.family ?? unknownFamily,
    genus: genus ?? unknownGenus,
    species: c.species ?? (words.length > 1 ? words[1] : ''),
  };
}

/**
 * Keeps the first image of each id; later duplicates are reported and left out. `rowBefore` maps
 * a kept row back to its row before the drop (for messages).
 */
function dropDuplicateIds(ids: StringTable, files: StringTable, log: IssueLog, imageAt: ImageNamer) {
  const duplicates = ids.duplicateIndexes();
  if (duplicates.length === 0) return { ids, files, rowBefore: (row: number) => row };
  const keep = new Uint8Array(ids.length).fill(1);
  for (const i of duplicates) {
    keep[i] = 0;
    log.warnLazily('duplicate image ids: only the first image of each id was kept', () => {
      const id = ids.get(i);
      return `${imageAt(i)} "${id}" (first: ${imageAt(ids.indexOf(id), false)})`;
    });
  }
  const keptIds = new StringTable(ids.length - duplicates.length);
  const keptFiles = new StringTable(ids.length - duplicates.length);
  for (let i = 0; i < ids.length; i++) {
    if (!keep[i]) continue;
    keptIds.push(ids.get(i));
    keptFiles.push(files.get(i));
  }
  // Duplicates are in ascending order: each one at or before the row shifts it by one.
  const rowBefore = (row: number) => {
    let r = row;
    for (const d of duplicates) {
      if (d > r) break;
      r++;
    }
    return r;
  };
  return { ids: keptIds, files: keptFiles, rowBefore };
}

/** What `joinTrain` joins: the kept images, the annotations' columns, the categories and institutions. */
interface JoinTrainInput {
  fileName: string;
  /** Image ids and file names, duplicates already dropped. */
  imageIds: StringTable;
  imageFiles: StringTable;
  /** Names an image row for messages. */
  imageAt: ImageNamer;
  /** Per annotation, in file order: its image id, category id and institution id (-1: none). */
  annImageIds: StringTable;
  annCategory: Int32Array;
  annInstitution: Int32Array;
  /** Maps an annotation row to its index in the "annotations" array, for messages. */
  annotationIndex: (row: number) => number;
  categories: Taxon[];
  /** The categories' id key ("category_id" or "id"), for messages. */
  categoryIdKey: string;
  /** Institution names by id, from "institutions". */
  institutionNames: Map<number, string>;
  log: IssueLog;
}

function joinTrain(input: JoinTrainInput): DatasetColumns {
  const { classes, classOf } = indexClasses(input.categories, input.categoryIdKey, input.log);
  const institutions = indexInstitutions(input.institutionNames);
  const { imageClass, imageInstitution } = labelImages(input, classOf, institutions);
  const kept = keepLabelledImages(input, imageClass, imageInstitution);
  return {
    format: 'coco',
    source: input.fileName,
    imageCount: kept.count,
    imageId: kept.ids.toData(),
    imageFile: kept.files.toData(),
    imageClass: kept.imageClass,
    imageInstitution: kept.imageInstitution,
    classCategoryId: Int32Array.from(classes, (c) => c.id),
    className: classes.map((c) => c.name),
    classSpecies: classes.map((c) => c.species),
    ...indexTaxonomy(classes),
    institutionName: institutions.names,
    institutionId: Int32Array.from(institutions.ids),
    skippedKeys: [],
  };
}

/**
 * Classes in ascending category id; ids are looked up, never used as indices. Equal ids keep
 * file order, so the first category of an id is the one kept; the others are reported.
 */
function indexClasses(categories: Taxon[], categoryIdKey: string, log: IssueLog): { classes: Taxon[]; classOf: Map<number, number> } {
  const sorted = [...categories].sort((a, b) => a.id - b.id || a.index - b.index);
  const classOf = new Map<number, number>();
  const classes: Taxon[] = [];
  const duplicateCategories: { dropped: Taxon; kept: Taxon }[] = [];
  for (const c of sorted) {
    const first = classOf.get(c.id);
    if (first !== undefined) {
      duplicateCategories.push({ dropped: c, kept: classes[first] });
      continue;
    }
    classOf.set(c.id, classes.length);
    classes.push(c);
  }
  duplicateCategories.sort((a, b) => a.dropped.index - b.dropped.index);
  for (const { dropped, kept } of duplicateCategories)
    log.warn(
      'duplicate category ids: the first category of each id was kept',
      `categories[${dropped.index}].${categoryIdKey} ${dropped.id} (first: categories[${kept.index}])`,
    );
  return { classes, classOf };
}

/** Institution indexes by id. The listed ones come first, in ascending id; ids missing from the list are added after them. */
interface InstitutionIndex {
  indexOf: Map<number, number>;
  names: string[];
  /** The metadata's institution_id of each. */
  ids: number[];
  /** How many of `names` were listed in "institutions". */
  known: number;
}

function indexInstitutions(institutionNames: Map<number, string>): InstitutionIndex {
  const indexOf = new Map<number, number>();
  const names: string[] = [];
  const ids: number[] = [];
  for (const id of [...institutionNames.keys()].sort((a, b) => a - b)) {
    indexOf.set(id, names.length);
    names.push(institutionNames.get(id)!);
    ids.push(id);
  }
  return { indexOf, names, ids, known: names.length };
}

/**
 * Gives each image the class (and institution) of its first usable annotation; -1 where none.
 * Annotations naming an unknown image or category are skipped and reported; institution ids
 * missing from "institutions" are added to `institutions`, named by id.
 */
function labelImages(
  input: JoinTrainInput,
  classOf: Map<number, number>,
  institutions: InstitutionIndex,
): { imageClass: Int32Array; imageInstitution: Int32Array } {
  const { imageIds, annImageIds, annCategory, annInstitution, annotationIndex, log } = input;
  const institutionIndex = institutions.indexOf;
  const institutionName = institutions.names;
  const knownInstitutions = institutions.known;
  const annotationAt = (a: number) => `annotations[${annotationIndex(a)}]`;

  const n = imageIds.length;
  const imageClass = new Int32Array(n).fill(-1);
  const imageInstitution = new Int32Array(n).fill(-1);
  for (let a = 0; a < annImageIds.length; a++) {
    // Herbarium lists annotations in image order: check that position first, then look the id up.
    const img = a < n && imageIds.sameAs(a, annImageIds, a) ? a : imageIds.indexOfEntry(annImageIds, a);
    if (img < 0) {
      log.warnLazily(
        'annotations naming an image id not in "images" were skipped',
        () => `${annotationAt(a)}.image_id "${annImageIds.get(a)}"`,
      );
      continue;
    }
    const category = annCategory[a];
    const cls = classOf.get(category);
    if (cls === undefined) {
      log.warnLazily(
        'annotations naming a category id not in "categories" were skipped',
        () => `${annotationAt(a)}.category_id ${category}`,
      );
      continue;
    }
    if (imageClass[img] >= 0) {
      const same = imageClass[img] === cls;
      log.warnLazily(
        same
          ? 'images annotated twice with the same category: counted once'
          : 'images annotated with two different categories: the first annotation was kept',
        () => `${annotationAt(a)} for image "${annImageIds.get(a)}"`,
      );
      continue;
    }
    imageClass[img] = cls;
    const inst = annInstitution[a];
    if (inst >= 0) {
      let idx = institutionIndex.get(inst);
      if (idx === undefined) {
        idx = institutionName.length;
        institutionIndex.set(inst, idx);
        institutionName.push(`institution ${inst}`);
        institutions.ids.push(inst);
      }
      if (idx >= knownInstitutions)
        log.warnLazily(
          'annotations naming an institution id not in "institutions" (kept, named by id)',
          () => `${annotationAt(a)}.institution_id ${inst}`,
        );
      imageInstitution[img] = idx;
    }
  }
  return { imageClass, imageInstitution };
}

/** Only labelled images belong to the train table: the others are reported and left out. */
function keepLabelledImages(
  input: JoinTrainInput,
  imageClass: Int32Array,
  imageInstitution: Int32Array,
): { count: number; ids: StringTable; files: StringTable; imageClass: Int32Array; imageInstitution: Int32Array } {
  const { imageIds, imageFiles, imageAt, log } = input;
  const n = imageIds.length;
  let labelled = 0;
  for (let i = 0; i < n; i++) if (imageClass[i] >= 0) labelled++;
  if (labelled === n) return { count: n, ids: imageIds, files: imageFiles, imageClass, imageInstitution };

  for (let i = 0; i < n; i++)
    if (imageClass[i] < 0)
      log.warnLazily('images without an annotation were left out of the train set', () => `${imageAt(i)} "${imageIds.get(i)}"`);
  const ids = new StringTable(labelled);
  const files = new StringTable(labelled);
  const cls = new Int32Array(labelled);
  const inst = new Int32Array(labelled);
  for (let i = 0, j = 0; i < n; i++) {
    if (imageClass[i] < 0) continue;
    ids.push(imageIds.get(i));
    files.push(imageFiles.get(i));
    cls[j] = imageClass[i];
    inst[j] = imageInstitution[i];
    j++;
  }
  return { count: labelled, ids, files, imageClass: cls, imageInstitution: inst };
}
