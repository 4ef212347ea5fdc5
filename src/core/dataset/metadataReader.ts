/**
 * Reads one metadata file (Herbarium 2022, Herbarium 2021, iNaturalist 2018/2021 or another
 * COCO-style file; train or test) into columns. Joins annotations to images by id and
 * categories by id through maps: never by position, never ids as indices.
 */

import { readJsonArrays, JsonReadError, type ByteSource, type JsonStreamSummary } from '../json/jsonArrayStream.ts';
import { GrowableInt32 } from './growableInt32.ts';
import { IssueLog } from './issueLog.ts';
import { StringTable } from './stringTable.ts';
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
}

export type MetadataReadResult =
  | { role: 'train'; train: DatasetColumns; issues: LoadIssue[] }
  | { role: 'test'; test: TestColumns; issues: LoadIssue[] };

/** Top-level arrays this reader keeps; everything else is scanned past (distances: 3.3M pairs). */
const keptArrays = new Set(['images', 'annotations', 'categories', 'genera', 'institutions']);

interface CategoryRecord {
  id: number;
  name: string;
  family: string;
  genus: string;
  species: string;
}

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
function intId(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? v : null;
}

function text(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return null;
}

function typeName(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

const unknownFamily = '(no family)';

export async function readMetadataFile(
  fileName: string,
  source: ByteSource,
  options: ReadMetadataOptions = {},
): Promise<MetadataReadResult> {
  const log = new IssueLog(fileName);
  const imageIds = new StringTable(4096);
  const imageFiles = new StringTable(4096);
  const annImageIds = new StringTable(4096);
  const annCategory = new GrowableInt32(4096);
  const annInstitution = new GrowableInt32(4096);
  const categories: CategoryRecord[] = [];
  const institutions = new Map<number, string>();
  const generaById = new Map<number, string>();
  let imageIdKey: 'image_id' | 'id' | null = null;
  let categoryIdKey: 'category_id' | 'id' | null = null;
  let firstCategory: Json | null = null;
  let items = 0;
  let total = source.size;

  const onImage = (el: unknown, i: number, arrayName: string) => {
    if (!isObject(el)) {
      log.warn(`${arrayName} entries that are not objects were skipped`, `${arrayName}[${i}] is ${typeName(el)}`);
      return;
    }
    if (imageIdKey === null) imageIdKey = 'image_id' in el ? 'image_id' : 'id';
    const id = idString(el[imageIdKey]);
    if (id === null) {
      log.warn(
        `images without a valid "${imageIdKey}" (a string or an integer) were skipped`,
        `${arrayName}[${i}].${imageIdKey} is ${typeName(el[imageIdKey])}`,
      );
      return;
    }
    const file = el.file_name;
    if (typeof file !== 'string' || file.length === 0) {
      log.warn('images without a valid "file_name" (a string) were skipped', `${arrayName}[${i}].file_name is ${typeName(file)}`);
      return;
    }
    imageIds.push(id);
    imageFiles.push(file);
  };

  const onAnnotation = (el: unknown, i: number) => {
    if (!isObject(el)) {
      log.warn('annotations that are not objects were skipped', `annotations[${i}] is ${typeName(el)}`);
      return;
    }
    const imageId = idString(el.image_id);
    if (imageId === null) {
      log.warn('annotations without a valid "image_id" were skipped', `annotations[${i}].image_id is ${typeName(el.image_id)}`);
      return;
    }
    const category = intId(el.category_id);
    if (category === null) {
      log.warn(
        'annotations without an integer "category_id" were skipped',
        `annotations[${i}].category_id is ${JSON.stringify(el.category_id) ?? 'missing'}`,
      );
      return;
    }
    let institution = -1;
    if (el.institution_id !== undefined) {
      const inst = intId(el.institution_id);
      if (inst === null) log.warn('annotations with a non-integer "institution_id" kept without institution', `annotations[${i}]`);
      else institution = inst;
    }
    annImageIds.push(imageId);
    annCategory.push(category);
    annInstitution.push(institution);
  };

  const onCategory = (el: unknown, i: number) => {
    if (!isObject(el)) {
      log.warn('categories that are not objects were skipped', `categories[${i}] is ${typeName(el)}`);
      return;
    }
    if (categoryIdKey === null) {
      categoryIdKey = 'category_id' in el ? 'category_id' : 'id';
      firstCategory = el;
    }
    const id = intId(el[categoryIdKey]);
    if (id === null) {
      log.warn(
        `categories without an integer "${categoryIdKey}" were skipped`,
        `categories[${i}].${categoryIdKey} is ${JSON.stringify(el[categoryIdKey]) ?? 'missing'}`,
      );
      return;
    }
    categories.push(taxonomyOf(el, id, generaById));
  };

  const onInstitution = (el: unknown, i: number) => {
    const id = isObject(el) ? intId(el.institution_id ?? el.id) : null;
    if (!isObject(el) || id === null) {
      log.warn('institutions without an integer id were skipped', `institutions[${i}]`);
      return;
    }
    institutions.set(id, text(el.collectionCode) ?? text(el.name) ?? text(el.code) ?? `institution ${id}`);
  };

  const onGenus = (el: unknown) => {
    if (!isObject(el)) return;
    const id = intId(el.genus_id ?? el.id);
    const name = text(el.genus ?? el.name);
    if (id !== null && name !== null) generaById.set(id, name);
  };

  let summary: JsonStreamSummary;
  try {
    summary = await readJsonArrays(
      source,
      {
        wantArray: (key) => key === null || keptArrays.has(key),
        wantValue(key, kind, byteOffset) {
          if (keptArrays.has(key))
            throw new JsonReadError(`"${key}" should be an array but is ${kind}`, { byteOffset, key });
          return false;
        },
        onElements(key, elements, firstIndex) {
          items += elements.length;
          for (let k = 0; k < elements.length; k++) {
            const el = elements[k];
            const i = firstIndex + k;
            switch (key) {
              case null:
                onImage(el, i, 'items');
                break;
              case 'images':
                onImage(el, i, 'images');
                break;
              case 'annotations':
                onAnnotation(el, i);
                break;
              case 'categories':
                onCategory(el, i);
                break;
              case 'institutions':
                onInstitution(el, i);
                break;
              case 'genera':
                onGenus(el);
                break;
            }
          }
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
        afterChunk: options.afterChunk,
      },
    );
  } catch (e) {
    if (e instanceof JsonReadError) {
      const at = e.location;
      const where =
        `byte ${at.byteOffset.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}` +
        (at.key !== undefined && at.key !== null ? `, key "${at.key}"` : '') +
        (at.index !== undefined ? `, item ${at.index}` : '');
      const problem = e.message.includes('should be an array') ? e.message : `not valid JSON: ${e.message}`;
      throw new LoadError({ severity: 'error', file: fileName, message: problem, where });
    }
    throw e;
  }

  const keys = new Set(summary.keys);
  const shapeError = (message: string): never => {
    throw new LoadError({ severity: 'error', file: fileName, message, where: 'top level' });
  };

  if (summary.rootKind === 'array' || (keys.has('images') && !keys.has('annotations'))) {
    if (summary.rootKind === 'object' && !keys.has('images')) shapeError('no "images" array');
    const source = summary.rootKind === 'array' ? 'items' : 'images';
    if (imageIds.length === 0) {
      const n = summary.arrayLengths.get(summary.rootKind === 'array' ? '' : 'images') ?? 0;
      shapeError(
        n === 0
          ? 'the test image list is empty'
          : `none of the ${n} ${source} is a valid image ({"image_id" or "id", "file_name"})`,
      );
    }
    const ids = dropDuplicateIds(imageIds, imageFiles, log, source);
    return {
      role: 'test',
      test: {
        source: fileName,
        imageCount: ids.ids.length,
        imageId: ids.ids.toData(),
        imageFile: ids.files.toData(),
      },
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
  const train = joinTrain(fileName, trainImages.ids, trainImages.files, annImageIds, annCategory, annInstitution, categories, institutions, log);
  train.format = detectFormat(imageIdKey, categoryIdKey, firstCategory);
  for (const [k, n] of summary.arrayLengths) if (!keptArrays.has(k) && k !== '') train.skippedArrays[k] = n;
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

function detectFormat(imageIdKey: string | null, categoryIdKey: string | null, firstCategory: Json | null): DatasetFormat {
  if (imageIdKey === 'image_id' || categoryIdKey === 'category_id') return 'herbarium2022';
  if (firstCategory) {
    if ('kingdom' in firstCategory)
      return 'specific_epithet' in firstCategory || 'image_dir_name' in firstCategory ? 'inat2021' : 'inat2018';
    if ('order' in firstCategory && 'family' in firstCategory) return 'herbarium2021';
  }
  return 'coco';
}

/** Family, genus and species names of a category, from whichever fields its format has. */
function taxonomyOf(el: Json, id: number, generaById: Map<number, string>): CategoryRecord {
  const name = text(el.scientificName) ?? text(el.name) ?? `category ${id}`;
  const words = name.trim().split(/\s+/);
  const genusFromId = intId(el.genus_id);
  const genus =
    text(el.genus) ?? (genusFromId !== null ? generaById.get(genusFromId) : undefined) ?? (words[0] || name);
  const species = text(el.species) ?? text(el.specific_epithet) ?? (words.length > 1 ? words[1] : '');
  const family = text(el.family) ?? text(el.supercategory) ?? unknownFamily;
  return { id, name, family, genus, species };
}

/** Keeps the first image of each id; later duplicates are reported and left out. */
function dropDuplicateIds(ids: StringTable, files: StringTable, log: IssueLog, arrayName: string) {
  let duplicates = 0;
  const keep = new Uint8Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const first = ids.indexOfEntry(ids, i);
    if (first === i) keep[i] = 1;
    else {
      duplicates++;
      log.warn(`duplicate image ids: only the first image of each id was kept`, `${arrayName}: "${ids.get(i)}"`);
    }
  }
  if (duplicates === 0) return { ids, files };
  const keptIds = new StringTable(ids.length - duplicates);
  const keptFiles = new StringTable(ids.length - duplicates);
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
  annCategory: GrowableInt32,
  annInstitution: GrowableInt32,
  categoryList: CategoryRecord[],
  institutionNames: Map<number, string>,
  log: IssueLog,
): DatasetColumns {
  // Classes in ascending category id; ids are looked up, never used as indices.
  const sorted = [...categoryList].sort((a, b) => a.id - b.id);
  const classOf = new Map<number, number>();
  const classes: CategoryRecord[] = [];
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
    const img = imageIds.indexOfEntry(annImageIds, a);
    if (img < 0) {
      log.warn('annotations naming an image id not in "images" were skipped', `annotations[${a}].image_id "${annImageIds.get(a)}"`);
      continue;
    }
    const category = annCategory.get(a);
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
    const inst = annInstitution.get(a);
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

  // Taxonomy: families by name; a genus is a (family, genus) pair, so that a genus name found
  // under two families (inconsistent metadata) never merges two branches of the tree.
  const familyIndex = new Map<string, number>();
  const genusIndex = new Map<string, number>();
  const familyName: string[] = [];
  const genusName: string[] = [];
  const genusFamily: number[] = [];
  const classGenus = new Int32Array(classes.length);
  const classFamily = new Int32Array(classes.length);
  classes.forEach((c, k) => {
    let f = familyIndex.get(c.family);
    if (f === undefined) {
      f = familyName.length;
      familyIndex.set(c.family, f);
      familyName.push(c.family);
    }
    const genusKey = c.family + '\u0000' + c.genus;
    let g = genusIndex.get(genusKey);
    if (g === undefined) {
      g = genusName.length;
      genusIndex.set(genusKey, g);
      genusName.push(c.genus);
      genusFamily.push(f);
    }
    classGenus[k] = g;
    classFamily[k] = f;
  });

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
    classGenus,
    classFamily,
    genusName,
    genusFamily: Int32Array.from(genusFamily),
    familyName,
    institutionName,
    skippedArrays: {},
  };
}
