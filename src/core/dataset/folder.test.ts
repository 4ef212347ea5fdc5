import { describe, expect, it } from 'vitest';
import { FolderIndex, normalizePath } from './folderIndex.ts';
import { readImageFolder } from './imageFolder.ts';
import { StringTable } from './stringTable.ts';
import { ingestMetadataFiles } from './ingest.ts';

describe('FolderIndex', () => {
  const index = new FolderIndex<string>();
  for (const p of [
    'herb/train_images/000/00/00000__001.jpg',
    'herb/train_images/000/00/00000__002.jpg',
    'herb/train_images/000/07/00007__001.jpg',
    'herb/test_images/000/test-0.jpg',
    'herb/train_metadata.json',
  ])
    index.add(p, p);

  it('counts image files by extension', () => {
    expect(index.size).toBe(5);
    expect(index.imageCount).toBe(4);
  });

  it('finds the folder that metadata paths are relative to, whatever the dropped folder is called', () => {
    const train = StringTable.from(['000/00/00000__001.jpg', '000/07/00007__001.jpg']);
    expect(index.findPrefix(train)).toBe('herb/train_images/');
    expect(index.findPrefix(StringTable.from(['000/test-0.jpg']))).toBe('herb/test_images/');
    expect(index.findPrefix(StringTable.from(['nowhere.jpg']))).toBeNull();
  });

  it('finds the prefix when the folder holds only a later part of the images', () => {
    const partial = new FolderIndex<string>();
    for (let c = 500; c < 520; c++) partial.add(`imgs/000/${c}/x.jpg`, '');
    const names = StringTable.from(Array.from({ length: 1000 }, (_, c) => `000/${c}/x.jpg`));
    expect(partial.findPrefix(names)).toBe('imgs/');
  });

  it('finds the test prefix when hundreds of train images come first in the folder', () => {
    const folder = new FolderIndex<string>();
    for (let i = 0; i < 900; i++) folder.add(`herb/train_images/000/${i}.jpg`, '');
    for (let i = 0; i < 20; i++) folder.add(`herb/test_images/000/test-${i}.jpg`, '');
    const test = StringTable.from(Array.from({ length: 20 }, (_, i) => `000/test-${i}.jpg`));
    expect(folder.findPrefix(test)).toBe('herb/test_images/');
  });

  it('finds a prefix for a handful of images among thousands of others', () => {
    const folder = new FolderIndex<string>();
    for (let i = 0; i < 5000; i++) folder.add(`d/train_images/${i}.jpg`, '');
    folder.add('d/test_images/t0.jpg', '');
    expect(folder.findPrefix(StringTable.from(['t0.jpg']))).toBe('d/test_images/');
  });

  it('matches every path and lists the first missing ones', async () => {
    const names = StringTable.from(['000/00/00000__001.jpg', '000/00/gone.jpg', '000/07/00007__001.jpg', 'x/also-gone.png']);
    const report = await index.match(names, index.findPrefix(names), { yieldEvery: 1, pause: async () => {} });
    expect(report).toEqual({
      prefix: 'herb/train_images/',
      total: 4,
      matched: 2,
      missing: 2,
      missingExamples: ['000/00/gone.jpg', 'x/also-gone.png'],
      matchedByNormalisation: 0,
    });
  });

  it('matches names that differ only in Unicode normalisation (macOS writes NFD), and counts them', async () => {
    const nfc = ['train_images/Acer_pseudoplatanus/Bäume_1.jpg', 'train_images/Crépis/Crépis_2.jpg', 'train_images/plain/3.jpg'];
    // The folder as macOS gives it: decomposed (NFD); one name is pure ASCII either way.
    const folder = new FolderIndex<string>();
    for (const p of nfc) folder.add(`Herbarium/${p.normalize('NFD')}`, p);
    expect(nfc[0].normalize('NFD')).not.toBe(nfc[0]);
    const names = StringTable.from(nfc);
    const prefix = folder.findPrefix(names);
    expect(prefix).toBe('Herbarium/');
    const report = await folder.match(names, prefix);
    expect(report).toMatchObject({ matched: 3, missing: 0, matchedByNormalisation: 2 });
    expect(folder.get(`Herbarium/${nfc[1]}`)).toBe(nfc[1]);
    // And the other way round: NFD metadata, NFC files.
    const nfcFolder = new FolderIndex<string>();
    for (const p of nfc) nfcFolder.add(p, p);
    const nfdNames = StringTable.from(nfc.map((p) => p.normalize('NFD')));
    expect(await nfcFolder.match(nfdNames, nfcFolder.findPrefix(nfdNames))).toMatchObject({ prefix: '', matched: 3, matchedByNormalisation: 2 });
  });

  it('normalises separators', () => {
    expect(normalizePath('.\\a\\b.jpg')).toBe('a/b.jpg');
    expect(normalizePath('/a/b.jpg')).toBe('a/b.jpg');
  });
});

describe('ImageFolder layout', () => {
  it('one subfolder per class; test/ beside train/ gives test images', () => {
    const r = readImageFolder('flowers', [
      'flowers/train/Rosa canina/1.jpg',
      'flowers/train/Rosa canina/2.jpg',
      'flowers/train/Bellis perennis/a.png',
      'flowers/train/loose.jpg',
      'flowers/test/t1.jpg',
      'flowers/notes.txt',
    ])!;
    expect(r.train.className).toEqual(['Bellis perennis', 'Rosa canina']);
    expect(r.train.genusName).toEqual(['Bellis', 'Rosa']);
    expect(r.train.classSpecies).toEqual(['perennis', 'canina']);
    expect([...r.train.imageClass]).toEqual([0, 1, 1]);
    expect(StringTable.fromData(r.train.imageFile).get(0)).toBe('train/Bellis perennis/a.png');
    expect(r.test!.imageCount).toBe(1);
    expect(r.issues[0]).toMatchObject({ count: 1, examples: ['train/loose.jpg'] });
  });

  it('family/genus/species folders give the three taxonomy levels', () => {
    const r = readImageFolder('root', ['root/Rosaceae/Rosa/canina/1.jpg', 'root/Rosaceae/Rosa/gallica/1.jpg'])!;
    expect(r.train.familyName).toEqual(['Rosaceae']);
    expect(r.train.genusName).toEqual(['Rosa']);
    expect(r.train.className).toEqual(['canina', 'gallica']);
  });

  it('no images, no dataset', () => {
    expect(readImageFolder('x', ['x/readme.md'])).toBeNull();
  });

  it('class folders named in NFD (macOS) give NFC class names, one class per name in either form', () => {
    const nfd = 'Crépis biennis'.normalize('NFD');
    const r = readImageFolder('root', [`root/${nfd}/1.jpg`, 'root/Crépis biennis/2.jpg', `root/Bellis perennis/1.jpg`])!;
    expect(r.train.className).toEqual(['Bellis perennis', 'Crépis biennis']);
    expect(r.train.genusName).toEqual(['Bellis', 'Crépis']);
    expect([...r.train.imageClass]).toEqual([0, 1, 1]);
    // The files keep their names exactly as on disk: they are what the folder is read by.
    const files = StringTable.fromData(r.train.imageFile);
    expect([0, 1, 2].map((i) => files.get(i))).toContain(`${nfd}/1.jpg`);
  });
});

describe('ingestMetadataFiles', () => {
  const train = JSON.stringify({
    annotations: [{ image_id: 'a', category_id: 1 }],
    categories: [{ category_id: 1, scientificName: 'A b', family: 'F', genus: 'A', species: 'b' }],
    images: [{ image_id: 'a', file_name: 'a.jpg' }],
  });
  const test = JSON.stringify([{ image_id: 't', file_name: 't.jpg' }]);

  it('tells train from test by content and keeps a good file when another is bad', async () => {
    const r = await ingestMetadataFiles([
      { name: 'test_metadata.json', blob: new Blob([test]) },
      { name: 'broken.json', blob: new Blob(['{"images": [']) },
      { name: 'train_metadata.json', blob: new Blob([train]) },
    ]);
    expect(r.train?.imageCount).toBe(1);
    expect(r.test?.imageCount).toBe(1);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ severity: 'error', file: 'broken.json' });
    expect(r.files.map((f) => [f.name, f.role])).toEqual([
      ['broken.json', 'rejected'],
      ['train_metadata.json', 'train'],
      ['test_metadata.json', 'test'],
    ]);
  });

  it('a second train file is refused, the first kept', async () => {
    const r = await ingestMetadataFiles([
      { name: 'a.json', blob: new Blob([train]) },
      { name: 'b.json', blob: new Blob([train]) },
    ]);
    expect(r.train?.source).toBe('a.json');
    expect(r.issues[0].message).toMatch(/second train metadata file/);
  });
});
