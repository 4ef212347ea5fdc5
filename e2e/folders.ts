import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_FIXTURE_DIR, FIXTURE_MISSING } from '../scripts/make-fixture.mjs';

/** Four images of the fixture as a tiny ImageFolder: one batch of 4. */
export function makeTinyFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltl-tiny-'));
  const meta = JSON.parse(fs.readFileSync(path.join(DEFAULT_FIXTURE_DIR, 'train_metadata.json'), 'utf8')) as { images: { file_name: string }[] };
  const files = meta.images.filter((im) => !FIXTURE_MISSING.some((m) => im.file_name.endsWith(m)));
  const picks = [files[0], files[1], files.find((f) => f.file_name.endsWith('.png'))!, files.at(-1)!];
  picks.forEach((im, k) => {
    const sub = path.join(dir, 'train', k < 2 ? 'first class' : 'second class');
    fs.mkdirSync(sub, { recursive: true });
    fs.copyFileSync(path.join(DEFAULT_FIXTURE_DIR, 'train_images', im.file_name), path.join(sub, `${k}${path.extname(im.file_name)}`));
  });
  return dir;
}


/**
 * The fixture with two planted faults: a test image that is a byte copy of a train image (a leak)
 * and a train image of the largest class relabelled to another class (a flip).
 */
export function makeAuditFixture(): { dir: string; leak: { trainId: string; testId: string }; flip: { imageId: string; given: number; truth: number } } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltl-audit-'));
  fs.cpSync(DEFAULT_FIXTURE_DIR, dir, { recursive: true });
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'train_metadata.json'), 'utf8')) as {
    images: { image_id: string; file_name: string }[];
    annotations: { image_id: string; category_id: number }[];
  };
  const test = JSON.parse(fs.readFileSync(path.join(dir, 'test_metadata.json'), 'utf8')) as { image_id: string; file_name: string }[];
  // The leak: test image 3 becomes a copy of a class-5 train image (a JPEG, as the test files are).
  const source = meta.images.find((im) => im.image_id === '00005__003')!;
  fs.copyFileSync(path.join(dir, 'train_images', source.file_name), path.join(dir, 'test_images', test[3].file_name));
  // The flip: an image of class 1 (Abies alba, 130 images) labelled as class 9 (Acer rubrum).
  const flipped = meta.annotations.find((a) => a.image_id === '00001__017')!;
  flipped.category_id = 9;
  fs.writeFileSync(path.join(dir, 'train_metadata.json'), JSON.stringify(meta));
  return { dir, leak: { trainId: source.image_id, testId: test[3].image_id }, flip: { imageId: flipped.image_id, given: 9, truth: 1 } };
}
