/**
 * map.csv: `image_id,x,y,projection`, one row per point of the map, in point order, written as
 * string chunks (a Blob's parts) so a million rows never become one string. Coordinates carry 9
 * significant digits at most: read back as float32 they are the map's values exactly.
 */

import { csvField } from '../formats/csv.ts';

export const MAP_CSV_HEADER = 'image_id,x,y,projection';

/** A float32 as a short decimal that reads back to it (6 to 9 significant digits: the fewest that do). */
export function float32Text(v: number): string {
  if (!Number.isFinite(v)) return '';
  for (let digits = 6; digits < 9; digits++) {
    const text = String(Number(v.toPrecision(digits)));
    if (Math.fround(Number(text)) === v) return text;
  }
  return String(Number(v.toPrecision(9)));
}

export function* mapCsvChunks(
  imageId: (point: number) => string,
  x: Float32Array,
  y: Float32Array,
  projection: string,
  rowsPerChunk = 20_000,
): Generator<string> {
  yield MAP_CSV_HEADER + '\r\n';
  const tail = ',' + csvField(projection) + '\r\n';
  for (let first = 0; first < x.length; first += rowsPerChunk) {
    const lines: string[] = [];
    const end = Math.min(x.length, first + rowsPerChunk);
    for (let i = first; i < end; i++) lines.push(csvField(imageId(i)) + ',' + float32Text(x[i]) + ',' + float32Text(y[i]) + tail);
    yield lines.join('');
  }
}
