/**
 * The readouts a Herbarium-2022-format dataset should produce, computed here independently of
 * the app (plain objects and Maps, a join by image id) so that e2e checks compare two methods.
 */
import fs from 'node:fs';
import path from 'node:path';

interface Herbarium2022 {
  annotations: { image_id: string; category_id: number; institution_id?: number }[];
  images: { image_id: string; file_name: string }[];
  categories: { category_id: number; family: string; genus: string; species: string; scientificName: string }[];
  institutions?: { institution_id: number; collectionCode: string }[];
}

/** Per-class, per-family and per-institution image counts of a Herbarium-format folder. */
export function expectedCounts(dir: string) {
  const train = JSON.parse(fs.readFileSync(path.join(dir, 'train_metadata.json'), 'utf8')) as Herbarium2022;
  const images = new Set(train.images.map((im) => im.image_id));
  const categories = new Map(train.categories.map((c) => [c.category_id, c]));
  const institutions = new Map((train.institutions ?? []).map((i) => [i.institution_id, i.collectionCode]));
  const byCategory = new Map<number, number>();
  const byFamily = new Map<string, number>();
  const byInstitution = new Map<string, number>();
  for (const a of train.annotations) {
    const c = categories.get(a.category_id);
    if (!images.has(a.image_id) || !c) continue;
    byCategory.set(a.category_id, (byCategory.get(a.category_id) ?? 0) + 1);
    byFamily.set(c.family, (byFamily.get(c.family) ?? 0) + 1);
    if (a.institution_id !== undefined) {
      const name = institutions.get(a.institution_id)!;
      byInstitution.set(name, (byInstitution.get(name) ?? 0) + 1);
    }
  }
  return { byCategory, byFamily, byInstitution, categories, train };
}

export interface ExpectedReadouts {
  images: number;
  classes: number;
  genera: number;
  families: number;
  institutions: number;
  maxClass: number;
  minClass: number;
  imbalanceRatio: number;
  many: number;
  medium: number;
  few: number;
  testImages: number;
  missingFiles: number;
}

export function expectedReadouts(dir: string, bands = { manyAbove: 100, fewBelow: 20 }): ExpectedReadouts {
  const train = JSON.parse(fs.readFileSync(path.join(dir, 'train_metadata.json'), 'utf8')) as Herbarium2022;
  const testPath = path.join(dir, 'test_metadata.json');
  const test = fs.existsSync(testPath) ? (JSON.parse(fs.readFileSync(testPath, 'utf8')) as { file_name: string }[]) : [];
  const imageById = new Map(train.images.map((im) => [im.image_id, im]));
  const categoryById = new Map(train.categories.map((c) => [c.category_id, c]));
  const perClass = new Map<number, number>();
  const institutions = new Set<number>();
  for (const a of train.annotations) {
    if (!imageById.has(a.image_id) || !categoryById.has(a.category_id)) continue;
    perClass.set(a.category_id, (perClass.get(a.category_id) ?? 0) + 1);
    if (a.institution_id !== undefined) institutions.add(a.institution_id);
  }
  const sizes = [...perClass.values()];
  const used = [...perClass.keys()].map((id) => categoryById.get(id)!);
  const max = Math.max(...sizes);
  const min = Math.min(...sizes);
  const exists = (sub: string, f: string) => fs.existsSync(path.join(dir, sub, f));
  return {
    images: sizes.reduce((s, n) => s + n, 0),
    classes: sizes.length,
    genera: new Set(used.map((c) => `${c.family}/${c.genus}`)).size,
    families: new Set(used.map((c) => c.family)).size,
    institutions: institutions.size,
    maxClass: max,
    minClass: min,
    imbalanceRatio: max / min,
    many: sizes.filter((n) => n > bands.manyAbove).length,
    medium: sizes.filter((n) => n >= bands.fewBelow && n <= bands.manyAbove).length,
    few: sizes.filter((n) => n < bands.fewBelow).length,
    testImages: test.length,
    missingFiles:
      train.images.filter((im) => !exists('train_images', im.file_name)).length +
      test.filter((im) => !exists('test_images', im.file_name)).length,
  };
}
