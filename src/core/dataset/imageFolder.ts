/**
 * The torchvision ImageFolder layout: one subfolder per class, no metadata file.
 * `root/<class>/<image>`, optionally `root/train/<class>/<image>` with `root/test/…` as test
 * images, and deeper trees read as family/genus/species.
 */

import { isImagePath, nfc, normalizePath } from './folderIndex.ts';
import { IssueLog } from './issueLog.ts';
import { StringTable } from './stringTable.ts';
import { indexTaxonomy } from './taxonomy.ts';
import type { DatasetColumns, LoadIssue, TestColumns } from './types.ts';

export interface ImageFolderResult {
  train: DatasetColumns;
  test: TestColumns | null;
  issues: LoadIssue[];
}

/** `paths` are relative to the dropped folder's parent: "<folder>/<class>/<file>". */
export function readImageFolder(folderName: string, paths: Iterable<string>): ImageFolderResult | null {
  const log = new IssueLog(folderName);
  const all = [...paths].map(normalizePath).filter(isImagePath);
  if (all.length === 0) return null;
  // Strip the shared first segment (the dropped folder itself) when every path has one.
  const first = all[0].split('/')[0];
  const rooted = all.every((p) => p.startsWith(first + '/')) && all.some((p) => p.split('/').length > 2);
  const rel = rooted ? all.map((p) => p.slice(first.length + 1)) : all;
  const hasSplit = rel.some((p) => p.startsWith('train/'));

  const trainPaths: string[] = [];
  const testPaths: string[] = [];
  const trainRoot = hasSplit ? 'train/' : '';
  for (let i = 0; i < rel.length; i++) {
    const p = rel[i];
    if (hasSplit && p.startsWith('test/')) testPaths.push(p);
    else if (p.startsWith(trainRoot)) {
      const inside = p.slice(trainRoot.length);
      if (inside.includes('/')) trainPaths.push(p);
      else log.warn('images directly in the top folder (not in a class subfolder) were left out', p);
    }
  }
  if (trainPaths.length === 0) return null;
  trainPaths.sort();
  testPaths.sort();

  const classIndex = new Map<string, number>();
  const classDirs: string[] = [];
  // A class is its folder's name in NFC: macOS writes names decomposed (NFD), typed names are NFC.
  const classDir = (p: string) => nfc(p.slice(trainRoot.length, p.lastIndexOf('/')));
  for (const p of trainPaths) {
    const dir = classDir(p);
    if (!classIndex.has(dir)) {
      classIndex.set(dir, classDirs.length);
      classDirs.push(dir);
    }
  }
  // Deeper trees read as family/genus/species; "Genus species" folder names give the genus.
  const classes = classDirs.map((dir) => {
    const segs = dir.split('/');
    const leaf = segs[segs.length - 1];
    const words = leaf.split(/[\s_]+/);
    return {
      name: leaf,
      species: segs.length >= 2 ? leaf : words.slice(1).join(' '),
      genus: segs.length >= 2 ? segs[segs.length - 2] : words[0],
      family: segs.length >= 3 ? segs[segs.length - 3] : '(no family)',
    };
  });

  const ids = new StringTable(trainPaths.length);
  const imageClass = new Int32Array(trainPaths.length);
  trainPaths.forEach((p, i) => {
    ids.push(p);
    imageClass[i] = classIndex.get(classDir(p))!;
  });
  const idData = ids.toData();
  const testIds = StringTable.from(testPaths).toData();
  return {
    train: {
      format: 'imagefolder',
      source: folderName,
      imageCount: trainPaths.length,
      imageId: idData,
      imageFile: { ...idData, bytes: idData.bytes.slice(), offsets: idData.offsets.slice() },
      imageClass,
      imageInstitution: new Int32Array(trainPaths.length).fill(-1),
      classCategoryId: Int32Array.from(classDirs, (_, c) => c),
      className: classes.map((c) => c.name),
      classSpecies: classes.map((c) => c.species),
      ...indexTaxonomy(classes),
      institutionName: [],
      institutionId: new Int32Array(0),
      skippedKeys: [],
    },
    test: testPaths.length
      ? {
          source: folderName,
          imageCount: testPaths.length,
          imageId: testIds,
          imageFile: { ...testIds, bytes: testIds.bytes.slice(), offsets: testIds.offsets.slice() },
        }
      : null,
    issues: log.issues(),
  };
}
