/**
 * Hostile metadata JSON: files that other readers (JSON.parse, Python's json) take one way and
 * a careless reader another. Top-level keys given twice (a concatenation of two files), image
 * ids that are unpaired-surrogate escapes, Python's NaN / Infinity, UTF-16 without a byte order
 * mark, and a Latin-1 file. Each case is built in memory (`{ name, buffer }`); used by the unit
 * tests, e2e/hostile-json.spec.ts and scripts/make-hostile.mjs.
 */
import fs from 'node:fs';
import path from 'node:path';

const categories = [
  { category_id: 1, scientificName: 'Abies alba Mill.', family: 'Pinaceae', genus: 'Abies', species: 'alba' },
  { category_id: 2, scientificName: 'Acer rubrum L.', family: 'Sapindaceae', genus: 'Acer', species: 'rubrum' },
];

const members = (obj) => Object.entries(obj).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);

function images(prefix, n) {
  return Array.from({ length: n }, (_, i) => ({ image_id: `${prefix}${i}`, file_name: `${prefix}/${prefix}${i}.jpg` }));
}

function annotationsFor(list) {
  return list.map((im, i) => ({ image_id: im.image_id, category_id: 1 + (i % 2) }));
}

/**
 * Two train files pasted into one object: every key twice. JSON.parse and Python keep the last
 * value of each key, so this is the second file: 5 images, ids b0…b4.
 */
export function duplicateKeys() {
  const first = images('a', 5);
  const second = images('b', 5);
  const text =
    '{' +
    [
      ...members({ annotations: annotationsFor(first), categories, images: first }),
      ...members({ annotations: annotationsFor(second), categories, images: second }),
    ].join(',\n') +
    '}\n';
  return { name: 'duplicate-keys.json', buffer: Buffer.from(text) };
}

/** The ids of `surrogateIds`, as JS strings: two unpaired surrogates, distinct. */
export const SURROGATE_IDS = ['plain', '\ud800', '\udbff'];

/** Image ids that are unpaired surrogates (JSON escapes, as Python's json.dump writes them). */
export function surrogateIds() {
  const list = SURROGATE_IDS.map((id, i) => ({ image_id: id, file_name: `s/${i}.jpg` }));
  // JSON.stringify escapes unpaired surrogates (\ud800): the bytes are pure ASCII.
  const text = JSON.stringify({ annotations: annotationsFor(list), categories, images: list });
  return { name: 'surrogate-ids.json', buffer: Buffer.from(text) };
}

/**
 * iNaturalist 2021 style (COCO, numeric ids) with Python's NaN for missing coordinates, an
 * Infinity and a -Infinity, and the same words inside strings (which are text, not tokens).
 */
export function nanValues() {
  const text = `{"info": {"description": "NaN and Infinity in strings are text"},
"images": [
  {"id": 1, "file_name": "train/1.jpg", "latitude": NaN, "longitude": NaN, "location_uncertainty": 12},
  {"id": 2, "file_name": "train/NaN Infinity.jpg", "latitude": 40.5, "longitude": -Infinity},
  {"id": 3, "file_name": "train/3.jpg", "latitude": Infinity, "longitude": 2.25, "note": "-Infinity"},
  {"id": 4, "file_name": "train/4.jpg", "latitude": 1.5, "longitude": 2.5}
],
"categories": [
  {"id": 0, "name": "Abies alba", "kingdom": "Plantae", "family": "Pinaceae", "genus": "Abies", "specific_epithet": "alba"},
  {"id": 1, "name": "Acer rubrum", "kingdom": "Plantae", "family": "Sapindaceae", "genus": "Acer", "specific_epithet": "rubrum"}
],
"annotations": [
  {"id": 1, "image_id": 1, "category_id": 0},
  {"id": 2, "image_id": 2, "category_id": 1},
  {"id": 3, "image_id": 3, "category_id": 0},
  {"id": 4, "image_id": 4, "category_id": 1}
]}
`;
  return { name: 'nan-values.json', buffer: Buffer.from(text) };
}

const unicodeTrain = {
  annotations: [
    { image_id: 'u0', category_id: 1 },
    { image_id: 'u1', category_id: 2 },
    { image_id: 'u2', category_id: 1 },
  ],
  categories: [
    { category_id: 1, scientificName: 'Crépis biennis 🌿', family: 'Asteraceae', genus: 'Crépis', species: 'biennis' },
    { category_id: 2, scientificName: 'Acer rubrum L.', family: 'Sapindaceae', genus: 'Acer', species: 'rubrum' },
  ],
  images: [
    { image_id: 'u0', file_name: 'u/é0.jpg' },
    { image_id: 'u1', file_name: 'u/1.jpg' },
    { image_id: 'u2', file_name: 'u/2.jpg' },
  ],
};

/** A small train file (3 images, non-ASCII names) as UTF-16 without a byte order mark. */
export function utf16NoBom(order = 'le') {
  const le = Buffer.from(JSON.stringify(unicodeTrain, null, 1), 'utf16le');
  if (order === 'be') le.swap16();
  return { name: `utf16${order}-nobom.json`, buffer: le };
}

/**
 * A Latin-1 file (a spreadsheet export): é, ü and ç as single bytes, which are not UTF-8. Two
 * ids differ only in such a byte ("caf\xe9", "caf\xe8"): read as U+FFFD they would be one id.
 */
export function latin1Names() {
  const doc = {
    annotations: [
      { image_id: 'café', category_id: 1 },
      { image_id: 'cafè', category_id: 2 },
      { image_id: 'plain', category_id: 1 },
    ],
    categories: [
      { category_id: 1, scientificName: 'Crépis biennis Müller', family: 'Asteraceae', genus: 'Crépis', species: 'biennis' },
      { category_id: 2, scientificName: 'Acer rubrum L.', family: 'Sapindaceae', genus: 'Acer', species: 'rubrum' },
    ],
    images: [
      { image_id: 'café', file_name: 'l/façade.jpg' },
      { image_id: 'cafè', file_name: 'l/2.jpg' },
      { image_id: 'plain', file_name: 'l/3.jpg' },
    ],
  };
  return { name: 'latin1-names.json', buffer: Buffer.from(JSON.stringify(doc), 'latin1') };
}

/** Every case, in a fixed order. */
export function cases() {
  return [duplicateKeys(), surrogateIds(), nanValues(), utf16NoBom('le'), utf16NoBom('be'), latin1Names()];
}

/** Writes every case into `dir`; returns their file names. */
export function writeCases(dir) {
  fs.mkdirSync(dir, { recursive: true });
  return cases().map(({ name, buffer }) => {
    fs.writeFileSync(path.join(dir, name), buffer);
    return name;
  });
}
