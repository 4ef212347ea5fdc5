import type { StringTableData } from './stringTable.ts';

export type DatasetFormat = 'herbarium2022' | 'herbarium2021' | 'inat2021' | 'inat2018' | 'coco' | 'imagefolder';

export const formatLabels: Record<DatasetFormat, string> = {
  herbarium2022: 'Herbarium 2022 (FGVC9)',
  herbarium2021: 'Herbarium 2021 (FGVC8, COCO style)',
  inat2021: 'iNaturalist 2021 (COCO style)',
  inat2018: 'iNaturalist 2018 (COCO style)',
  coco: 'COCO-style classification metadata',
  imagefolder: 'Image folder (one subfolder per class)',
};

/** A problem found in the input. Errors reject a file; warnings load the rest and say what was left out. */
export interface LoadIssue {
  severity: 'error' | 'warning';
  /** The file (or folder) the problem is in. */
  file: string;
  message: string;
  /** Where: "byte 1234", "images[17].file_name", … */
  where?: string;
  /** How many items share this problem (warnings). */
  count?: number;
  /** The first few offenders, for the person to look up. */
  examples?: string[];
}

/**
 * The train side of a dataset, columnar: one entry per labelled train image, in metadata order.
 * Everything is typed arrays or small per-class string arrays, so it transfers between threads.
 */
export interface DatasetColumns {
  format: DatasetFormat;
  /** The metadata file (or folder) it came from. */
  source: string;
  imageCount: number;
  imageId: StringTableData;
  /** Path relative to the train image folder, as in the metadata. */
  imageFile: StringTableData;
  /** Dense class index per image (classes are sorted by ascending category id). */
  imageClass: Int32Array;
  /** Institution index per image, -1 when the format has none. */
  imageInstitution: Int32Array;

  /** Per class, ascending. */
  classCategoryId: Int32Array;
  className: string[];
  classSpecies: string[];
  classGenus: Int32Array;
  classFamily: Int32Array;
  genusName: string[];
  /** Family of each genus (a genus is a family + genus name pair). */
  genusFamily: Int32Array;
  familyName: string[];
  institutionName: string[];
  /** The metadata's institution_id of each institution (as shortcuts.csv names them). */
  institutionId: Int32Array;
  /** Top-level keys of the metadata that were read past, not kept (e.g. distances, license). */
  skippedKeys: string[];
}

/** Test images: ids and paths, no labels, in test-metadata order (the submission's order). */
export interface TestColumns {
  source: string;
  imageCount: number;
  imageId: StringTableData;
  imageFile: StringTableData;
}

/** Buffers of a DatasetColumns/TestColumns, for postMessage's transfer list. */
export function transferablesOf(columns: DatasetColumns | TestColumns | null | undefined): ArrayBuffer[] {
  if (!columns) return [];
  const list: ArrayBufferLike[] = [
    columns.imageId.bytes.buffer,
    columns.imageId.offsets.buffer,
    columns.imageFile.bytes.buffer,
    columns.imageFile.offsets.buffer,
  ];
  if ('imageClass' in columns) {
    list.push(
      columns.imageClass.buffer,
      columns.imageInstitution.buffer,
      columns.classCategoryId.buffer,
      columns.classGenus.buffer,
      columns.classFamily.buffer,
      columns.genusFamily.buffer,
      columns.institutionId.buffer,
    );
  }
  return [...new Set(list)] as ArrayBuffer[];
}
