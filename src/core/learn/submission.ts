/**
 * The Kaggle submission: `Id,Predicted`, one row per test image in test-metadata order, Predicted
 * the category id (not the class index) of the predicted class. Returned as string chunks for
 * `new Blob(chunks, { type: 'text/csv' })`: 210,407 rows are ~4 MB of text, built a chunk at a
 * time rather than by growing one string row after row.
 */

import { exactCsvField } from '../formats/csv.ts';

/** A column of ids: a StringTable, or `{ length, get: (i) => ids[i] }` over an array. */
export interface IdColumn {
  readonly length: number;
  get(i: number): string;
}

export interface SubmissionOptions {
  /** Per test image: 1 = embedded (its prediction counts), 0 = could not be embedded. Default: all embedded. */
  embedded?: Uint8Array;
  /** The class index given to images that were not embedded: the prior's most likely class (mostLikelyClass). */
  fallbackClass: number;
  /** Rows per string chunk (default 16,384: ~300 kB strings, 13 of them for Herbarium's test set). */
  rowsPerChunk?: number;
}

export interface Submission {
  /** The CSV, header first, CRLF line ends (as formats/csv.ts writes). */
  chunks: string[];
  rows: number;
  /** Rows that got the fallback class. */
  fallbackRows: number;
}

/** The class with the most train images (ties: the smaller index): the best guess with no image at all. */
export function mostLikelyClass(counts: ArrayLike<number>): number {
  let best = -1;
  for (let c = 0; c < counts.length; c++) if (best < 0 || counts[c] > counts[best]) best = c;
  if (best < 0) throw new RangeError('no class to fall back on');
  return best;
}

export function submissionCsv(ids: IdColumn, predictedClass: Int32Array, classCategoryId: Int32Array, options: SubmissionOptions): Submission {
  const n = ids.length;
  const { embedded, fallbackClass } = options;
  const c = classCategoryId.length;
  if (predictedClass.length !== n) throw new RangeError(`${predictedClass.length} predictions for ${n} test images`);
  if (embedded && embedded.length !== n) throw new RangeError(`the embedded mask has ${embedded.length} entries for ${n} test images`);
  if (!(fallbackClass >= 0 && fallbackClass < c)) throw new RangeError(`fallback class ${fallbackClass} is outside 0..${c - 1}`);
  const perChunk = Math.max(1, Math.floor(options.rowsPerChunk ?? 16384));
  const chunks: string[] = [];
  let fallbackRows = 0;
  let lines: string[] = ['Id,Predicted\r\n'];
  for (let i = 0; i < n; i++) {
    let k: number;
    if (embedded && !embedded[i]) {
      k = fallbackClass;
      fallbackRows++;
    } else {
      k = predictedClass[i];
      if (!(k >= 0 && k < c)) throw new RangeError(`prediction ${k} of test image ${i} is outside 0..${c - 1}`);
    }
    lines.push(`${exactCsvField(ids.get(i))},${classCategoryId[k]}\r\n`);
    if (lines.length >= perChunk) {
      chunks.push(lines.join(''));
      lines = [];
    }
  }
  if (lines.length > 0) chunks.push(lines.join(''));
  return { chunks, rows: n, fallbackRows };
}
