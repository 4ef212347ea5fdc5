/**
 * Hostile names: a dataset folder whose metadata has a 100 kB class name, names that a
 * spreadsheet would run as formulas, names with quotes, ampersands and angle brackets, and image
 * files whose names are written decomposed (NFD, as macOS does) while the metadata has them
 * composed (NFC). Used by e2e/hostile-names.spec.ts and scripts/make-hostile.mjs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { encodePng } from '../make-fixture.mjs';

export const LONG_NAME = `Long${'o'.repeat(100_000)}um giganteum`;
export const FORMULA_NAME = '=HYPERLINK("http://example.invalid","click")';
export const FORMULA_FAMILY = '+SUM(1,1)';
export const FORMULA_GENUS = '@cmd';
export const QUOTED_INSTITUTION = `O'Hara "H" & <i>`;
/** The NFC file names of the metadata; on disk they are NFD. */
export const NFD_FILES = ['Crépis/Crépis_1.png', 'Crépis/Crépis_2.png'];

const classes = [
  { category_id: 1, family: 'Fagaceae', genus: 'Longus', species: 'giganteum', scientificName: LONG_NAME, files: ['a/1.png', 'a/2.png', 'a/3.png'] },
  { category_id: 2, family: FORMULA_FAMILY, genus: FORMULA_GENUS, species: 'formula', scientificName: FORMULA_NAME, files: ['b/1.png', 'b/2.png'] },
  { category_id: 3, family: 'Asteraceae', genus: 'Crépis', species: 'biennis', scientificName: 'Crépis biennis "the quoted" & <b>bold</b>', files: NFD_FILES },
];

/** Writes the dataset folder (train_metadata.json + train_images/) into `dir`; returns the image count. */
export function writeNamesDataset(dir) {
  const images = [];
  const annotations = [];
  classes.forEach((c, k) =>
    c.files.forEach((file, i) => {
      const id = `${c.category_id}_${i}`;
      images.push({ image_id: id, file_name: file });
      annotations.push({ image_id: id, category_id: c.category_id, institution_id: i % 2 });
      const onDisk = path.join(dir, 'train_images', file.normalize('NFD'));
      fs.mkdirSync(path.dirname(onDisk), { recursive: true });
      const rgb = new Uint8Array(32 * 32 * 3).fill(40 + 60 * k + 10 * i);
      fs.writeFileSync(onDisk, encodePng(32, 32, rgb));
    }),
  );
  const metadata = {
    annotations,
    images,
    categories: classes.map(({ files, ...c }) => c),
    institutions: [
      { institution_id: 0, collectionCode: QUOTED_INSTITUTION },
      { institution_id: 1, collectionCode: `Inst${'i'.repeat(100_000)}` },
    ],
  };
  fs.writeFileSync(path.join(dir, 'train_metadata.json'), JSON.stringify(metadata));
  return images.length;
}

export function writeCases(dir) {
  writeNamesDataset(path.join(dir, 'names-dataset'));
  return ['names-dataset'];
}
