/**
 * Reads one metadata file (Herbarium 2022, Herbarium 2021, iNaturalist 2018/2021 or another
 * COCO-style file; train or test) into columns. Joins annotations to images by id and
 * categories by id through maps: never by position, never ids as indices.
 */

import { readJsonArrays, JsonReadError, type ByteSource, type JsonStreamSummary } from '../json/jsonArrayStream.ts';
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
  const parser = options.parseBatch;
  const maxInFlight = options.maxInFlight ?? 4;
  const results: (BatchResult | Promise<BatchResult>)[] = [];
  let inFlight = 0;
  let failed: BatchResult | null = null;
  let items = 0;
  let total = source.size;

  const where = (at: JsonLocation) =>
    `byte ${at.byteOffset.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}` +
    (at.key !== undefined && at.key !== null ? `, key "${at.key}"` : '') +
    (at.index !== undefined ? `, item ${at.index}` : '');
  const rejectFile = (message: string, at: JsonLocation): never => {
    const problem = message.includes('should be an array') ? message : `not valid JSON: ${message}`;
    throw new LoadError({ severity: 'error', file: fileName, message: problem, where: where(at) });
  };
  const throwIfFailed = () => {
    if (failed?.kind === 'error') rejectFile(failed.message, failed.location);
  };

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
        onBatch(raw) {
          items += raw.count;
          // With no parser, or every parser busy, this thread parses the batch itself: the
          // work spreads over all cores and memory stays bounded by maxInFlight batches.
          if (!parser || inFlight >= maxInFlight) {
            const result = readBatch({ fileName, key: raw.key, bytes: raw.bytes, byteOffset: raw.byteOffset, firstIndex: raw.firstIndex });
            if (result.kind === 'error') failed ??= result;
            results.push(result);
            return;
          }
          // The bytes are a view into the reader's buffer: copy them for the worker.
          inFlight++;
          const pending = parser({ fileName, key: raw.key, bytes: raw.bytes.slice(), byteOffset: raw.byteOffset, firstIndex: raw.firstIndex });
          results.push(pending);
          pending.then(
            (r) => {
              if (r.kind === 'error' && !failed) failed = r;
            },
            () => {},
          ).finally(() => inFlight--);
        },
      },
      {
        chunkBytes: options.chunkBytes,
        batchBytes: options.batchBytes,
        maxElementBytes: options.maxElementBytes,
        onProgress: (bytesRead, totalBytes) => {
          total = totalBytes;
          options.onProgress?.({ bytesRead, totalBytes, items });
        },
        afterChunk: async () => {
          throwIfFailed();
          await options.afterChunk?.();
        },
      },
    );
  } catch (e) {
    if (e instanceof JsonReadError) rejectFile(e.message, e.location);
    throw e;
  }
  const batches = await Promise.all(results);
  const firstError = batches.find((r) => r.kind === 'error');
  if (firstError?.kind === 'error') rejectFile(firstError.message, firstError.location);

  // Merge the batches in file order.
  const log = new IssueLog(fileName);
  const imageIds = new StringTable(4096);
  const imageFiles = new StringTable(4096);
  const annImageIds = new StringTable(4096);
  const imageRows = new ArrayPositions();
  const annotationRows = new ArrayPositions();
  const annCategory: Int32Array[] = [];
  const annInstitution: Int32Array[] = [];
  const categories: CategoryRecord[] = [];
  const institutions = new Map<number, string>();
  const generaById = new Map<number, string>();
  let imageIdKey: 'image_id' | 'id' | null = null;
  let categoryIdKey: 'category_id' | 'id' | null = null;
  let firstCategoryKeys: string[] | null = null;
  for (const r of batches) {
    if (r.kind === 'images') {
      imageIdKey ??= r.idKey;
      imageRows.add(imageIds.length, r.ids.count, r.firstIndex, r.kept);
      imageIds.appendData(r.ids);
      imageFiles.appendData(r.files);
    } else if (r.kind === 'annotations') {
      annotationRows.add(annImageIds.length, r.imageIds.count, r.firstIndex, r.kept);
      annImageIds.appendData(r.imageIds);
      annCategory.push(r.category);
      annInstitution.push(r.institution);
    } else if (r.kind === 'categories') {
      categoryIdKey ??= r.idKey;
      firstCategoryKeys ??= r.idKey ? r.firstKeys : null;
      for (const c of r.records) categories.push(c);
    } else if (r.kind === 'named') {
      for (const [id, name] of r.entries) (r.key === 'genera' ? generaById : institutions).set(id, name);
    }
    if ('issues' in r) log.merge(r.issues);
  }

  const keys = new Set(summary.keys);
  const shapeError = (message: string): never => {
    throw new LoadError({ severity: 'error', file: fileName, message, where: 'top level' });
  };
  const foundKeys = summary.keys.length ? summary.keys.map((k) => `"${k}"`).join(', ') : 'none';

  if (summary.rootKind === 'array' || (keys.has('images') && !keys.has('annotations'))) {
    if (summary.rootKind === 'object' && !keys.has('images')) shapeError('no "images" array');
    const arrayName = summary.rootKind === 'array' ? 'items' : 'images';
    if (imageIds.length === 0) {
      const n = summary.arrayLengths.get(summary.rootKind === 'array' ? '' : 'images') ?? 0;
      shapeError(
        n === 0 ? 'the test image list is empty' : `none of the ${n} ${arrayName} is a valid image ({"image_id" or "id", "file_name"})`,
      );
    }
    const ids = dropDuplicateIds(imageIds, imageFiles, log, imageNamer(arrayName, imageIdKey, imageRows));
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
        where: `top level, keys found: ${foundKeys}`,
      });
    }
    return {
      role: 'test',
      test: { source: fileName, imageCount: ids.ids.length, imageId: ids.ids.toData(), imageFile: ids.files.toData() },
      issues,
    };
  }

  if (!keys.has('annotations')) {
    shapeError(
      `unknown metadata shape: expected a train file with "images", "annotations" and "categories" ` +
        `(Herbarium 2022, Herbarium 2021, iNaturalist) or a test image list; top-level keys found: ${foundKeys}`,
    );
  }
  for (const needed of ['images', 'categories']) if (!keys.has(needed)) shapeError(`the "${needed}" array is missing`);

  const imageAt = imageNamer('images', imageIdKey, imageRows);
  const trainImages = dropDuplicateIds(imageIds, imageFiles, log, imageAt);
  const idKey = categoryIdKey ?? 'id';
  const train = joinTrain(
    fileName,
    trainImages.ids,
    trainImages.files,
    (row, withKey) => imageAt(trainImages.rowBefore(row), withKey),
    annImageIds,
    (row) => annotationRows.indexOf(row),
    concatInt32(annCategory),
    concatInt32(annInstitution),
    categories.map((c) => taxonomyOf(c, generaById, log, idKey)),
    idKey,
    institutions,
    log,
  );
  train.format = detectFormat(imageIdKey, categoryIdKey, firstCategoryKeys);
  train.skippedKeys = summary.keys.filter((k) => !keptArrays.has(k));
  if (train.imageCount === 0) {
    throw new LoadError({
      severity: 'error',
      file: fileName,
      message:
        `no usable train images: ${summary.arrayLengths.get('images') ?? 0} images, ` +
        `${summary.arrayLengths.get('annotations') ?? 0} annotations, ${categories.length} categories, and none of the ` +
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

function concatInt32(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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

function joinTrain(
  fileName: string,
  imageIds: StringTable,
  imageFiles: StringTable,
  imageAt: ImageNamer,
  annImageIds: StringTable,
  annotationIndex: (row: number) => number,
  annCategory: Int32Array,
  annInstitution: Int32Array,
  categoryList: Taxon[],
  categoryIdKey: string,
  institutionNames: Map<number, string>,
  log: IssueLog,
): DatasetColumns {
  // Classes in ascending category id; ids are looked up, never used as indices. Equal ids keep
  // file order, so the first category of an id is the one kept.
  const sorted = [...categoryList].sort((a, b) => a.id - b.id || a.index - b.index);
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

  const institutionIndex = new Map<number, number>();
  const institutionName: string[] = [];
  for (const id of [...institutionNames.keys()].sort((a, b) => a - b)) {
    institutionIndex.set(id, institutionName.length);
    institutionName.push(institutionNames.get(id)!);
  }
  // Ids missing from "institutions" get indexes from here on.
  const knownInstitutions = institutionName.length;
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
      }
      if (idx >= knownInstitutions)
        log.warnLazily(
          'annotations naming an institution id not in "institutions" (kept, named by id)',
          () => `${annotationAt(a)}.institution_id ${inst}`,
        );
      imageInstitution[img] = idx;
    }
  }

  // Only labelled images belong to the train table.
  let labelled = 0;
  for (let i = 0; i < n; i++) if (imageClass[i] >= 0) labelled++;
  if (labelled < n) {
    for (let i = 0; i < n; i++)
      if (imageClass[i] < 0)
        log.warnLazily('images without an annotation were left out of the train set', () => `${imageAt(i)} "${imageIds.get(i)}"`);
  }
  const ids = labelled === n ? imageIds : new StringTable(labelled);
  const files = labelled === n ? imageFiles : new StringTable(labelled);
  const cls = labelled === n ? imageClass : new Int32Array(labelled);
  const inst = labelled === n ? imageInstitution : new Int32Array(labelled);
  if (labelled < n) {
    for (let i = 0, j = 0; i < n; i++) {
      if (imageClass[i] < 0) continue;
      ids.push(imageIds.get(i));
      files.push(imageFiles.get(i));
      cls[j] = imageClass[i];
      inst[j] = imageInstitution[i];
      j++;
    }
  }

  return {
    format: 'coco',
    source: fileName,
    imageCount: labelled,
    imageId: ids.toData(),
    imageFile: files.toData(),
    imageClass: cls,
    imageInstitution: inst,
    classCategoryId: Int32Array.from(classes, (c) => c.id),
    className: classes.map((c) => c.name),
    classSpecies: classes.map((c) => c.species),
    ...indexTaxonomy(classes),
    institutionName,
    skippedKeys: [],
  };
}
