import type { DatasetColumns } from '../dataset/types.ts';
import { toCsv } from '../formats/csv.ts';
import { bandOf, type BandLimits } from './classStats.ts';

/** The class table as CSV: one row per class with images, ascending category id. */
export function classTableCsv(train: DatasetColumns, sizes: Int32Array, limits: BandLimits): string {
  const rows: (string | number)[][] = [];
  for (let c = 0; c < sizes.length; c++) {
    if (sizes[c] === 0) continue;
    rows.push([
      train.classCategoryId[c],
      train.className[c],
      train.familyName[train.classFamily[c]],
      train.genusName[train.classGenus[c]],
      train.classSpecies[c],
      sizes[c],
      bandOf(sizes[c], limits),
    ]);
  }
  return toCsv(['category_id', 'name', 'family', 'genus', 'species', 'count', 'band'], rows);
}
