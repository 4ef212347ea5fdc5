// The data of the views benchmark: the synthetic Herbarium 2022 metadata (the ingest benchmark's,
// cached) and, unless --no-folder, a folder of small JPEGs for the first classes.

import { buildModel, ensureData } from '../ingest/gen-herbarium.mjs';
import { IMAGE_CLASSES, USE_FOLDER, log } from './config.mjs';
import { ensureImages } from './gen-images.mjs';

/** { data (the generator's record), expected (its train figures), model (its classes), images (the folder's record, or null) }. */
export async function prepareData() {
  const data = await ensureData(undefined, { log });
  const expected = data.train;
  const model = buildModel();
  let images = null;
  if (USE_FOLDER) {
    const { paths, ...rest } = await ensureImages(undefined, { classes: IMAGE_CLASSES, log, model });
    images = rest;
  }
  return { data, expected, model, images };
}
