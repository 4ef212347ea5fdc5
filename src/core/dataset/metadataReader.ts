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
      imageIds.appendData(r.ids);
      imageFiles.appendData(r.files);
    } else if (r.kind === 'annotations') {
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

  if (summary.rootKind === 'array' || (keys.has('images') && !keys.has('annotations'))) {
    if (summary.rootKind === 'object' && !keys.has('images')) shapeError('no "images" array');
    const arrayName = summary.rootKind === 'array' ? 'items' : 'images';
    if (imageIds.length === 0) {
      const n = summary.arrayLengths.get(summary.rootKind === 'array' ? '' : 'images') ?? 0;
      shapeError(
        n === 0 ? 'the test image list is empty' : `none of the ${n} ${arrayName} is a valid image ({"image_id" or "id", "file_name"})`,
      );
    }
    const ids = dropDuplicateIds(imageIds, imageFiles, log, arrayName);
    return {
      role: 'test',
      test: { source: fileName, imageCount: ids.ids.length, imageId: ids.ids.toData(), imageFile: ids.files.toData() },
      issues: log.issues(),
    };
  }

  if (!keys.has('annotations')) {
    const found = summary.keys.length ? summary.keys.map((k) => `"${k}"`).join(', ') : 'none';
    shapeError(
      `unknown metadata shape: expected a train file with "images", "annotations" and "categories" ` +
        `(Herbarium 2022, Herbarium 2021, iNaturalist) or a test image list; top-level keys found: ${found}`,
    );
  }
  for (const needed of ['images', 'categories']) if (!keys.has(needed)) shapeError(`the "${needed}" array is missing`);

  const trainImages = dropDuplicateIds(imageIds, imageFiles, log, 'images');
  const train = joinTrain(
    fileName,
    trainImages.ids,
    trainImages.files,
    annImageIds,
    concatInt32(annCategory),
    concatInt32(annInstitution),
    categories.map((c) => taxonomyOf(c, generaById)),
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

interface Taxon {
  id: number;
  name: string;
  family: string;
  genus: string;
  species: string;
}

/** Family, genus and species names of a category, from whichever fields its format has. */
function taxonomyOf(c: CategoryRecord, generaById: Map<number, string>): Taxon {
  const words = c.name.trim().split(/\s+/);
  const genus = c.genus ?? (c.genusId !== null ? generaById.get(c.genusId) : undefined) ?? (words[0] || c.name);
  const species = c.species ?? (words.length > 1 ? words[1] : '');
  return { id: c.id, name: c.name, family: c.family ?? unknownFamily, genus, species };
}

/** Keeps the first image of each id; later duplicates are reported and left out. */
function dropDuplicateIds(ids: StringTable, files: StringTable, log: IssueLog, arrayName: string) {
  const duplicates = ids.duplicateIndexes();
  if (duplicates.length === 0) return { ids, files };
  const keep = new Uint8Array(ids.length).fill(1);
  for (const i of duplicates) {
    keep[i] = 0;
    log.warn('duplicate image ids: only the first image of each id was kept', `${arrayName}: "${ids.get(i)}"`);
  }
  const keptIds = new StringTable(ids.length - duplicates.length);
  const keptFiles = new StringTable(ids.length - duplicates.length);
  for (let i = 0; i < ids.length; i++) {
    if (!keep[i]) continue;
    keptIds.push(ids.get(i));
    keptFiles.push(files.get(i));
  }
  return { ids: keptIds, files: keptFiles };
}

function joinTrain(
  fileName: string,
  imageIds: StringTable,
  imageFiles: StringTable,
  annImageIds: StringTable,
  annCategory: Int32Array,
  annInstitution: Int32Array,
  categoryList: Taxon[],
  institutionNames: Map<number, string>,
  log: IssueLog,
): DatasetColumns {
  // Classes in ascending category id; ids are looked up, never used as indices.
  const sorted = [...categoryList].sort((a, b) => a.id - b.id);
  const classOf = new Map<number, number>();
  const classes: Taxon[] = [];
  for (const c of sorted) {
    if (classOf.has(c.id)) {
      log.warn('duplicate category ids: the first category of each id was kept', `category ${c.id}`);
      continue;
    }
    classOf.set(c.id, classes.length);
    classes.push(c);
  }

  const institutionIndex = new Map<number, number>();
  const institutionName: string[] = [];
  for (const id of [...institutionNames.keys()].sort((a, b) => a - b)) {
    institutionIndex.set(id, institutionName.length);
    institutionName.push(institutionNames.get(id)!);
  }

  const n = imageIds.length;
  const imageClass = new Int32Array(n).fill(-1);
  const imageInstitution = new Int32Array(n).fill(-1);
  for (let a = 0; a < annImageIds.length; a++) {
    // Herbarium lists annotations in image order: check that position first, then look the id up.
    const img = a < n && imageIds.sameAs(a, annImageIds, a) ? a : imageIds.indexOfEntry(annImageIds, a);
    if (img < 0) {
      log.warn('annotations naming an image id not in "images" were skipped', `annotations[${a}].image_id "${annImageIds.get(a)}"`);
      continue;
    }
    const category = annCategory[a];
    const cls = classOf.get(category);
    if (cls === undefined) {
      log.warn('annotations naming a category id not in "categories" were skipped', `annotations[${a}].category_id ${category}`);
      continue;
    }
    if (imageClass[img] >= 0) {
      const same = imageClass[img] === cls;
      log.warn(
        same
          ? 'images annotated twice with the same category: counted once'
          : 'images annotated with two different categories: the first annotation was kept',
        `annotations[${a}] for image "${annImageIds.get(a)}"`,
      );
      continue;
    }
    imageClass[img] = cls;
    const inst = annInstitution[a];
    if (inst >= 0) {
      let idx = institutionIndex.get(inst);
      if (idx === undefined) {
        log.warn('annotations naming an institution id not in "institutions" (kept, named by id)', `institution_id ${inst}`);
        idx = institutionName.length;
        institutionIndex.set(inst, idx);
        institutionName.push(`institution ${inst}`);
      }
      imageInstitution[img] = idx;
    }
  }

  // Only labelled images belong to the train table.
  let labelled = 0;
  for (let i = 0; i < n; i++) if (imageClass[i] >= 0) labelled++;
  if (labelled < n) {
    for (let i = 0, shown = 0; i < n && shown < 5; i++)
      if (imageClass[i] < 0) {
        log.warn('images without an annotation were left out of the train set', `"${imageIds.get(i)}"`);
        shown++;
      }
    // The log counted only the shown examples; make the count exact.
    const issue = log.issues().find((x) => x.message.startsWith('images without an annotation'));
    if (issue) issue.count = n - labelled;
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
