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

