/**
 * An index of a dropped folder by relative path. Nothing is read while indexing: a user
 * dropping Herbarium 2022's 1 million files gets the index in seconds.
 */

import type { StringTable } from './stringTable.ts';

const imageExtensions = /\.(jpe?g|png|webp|gif|bmp|avif|tiff?)$/i;

export function isImagePath(path: string): boolean {
  return imageExtensions.test(path);
}

/** Normalises separators and drops leading "./" and "/". */
export function normalizePath(path: string): string {
  let p = path.replace(/\\/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  while (p.startsWith('/')) p = p.slice(1);
  return p;
}

export interface MatchReport {
  /** Folder prefix that metadata paths are relative to ("" when they match as they are). */
  prefix: string | null;
  total: number;
  matched: number;
  missing: number;
  /** The first missing paths, as written in the metadata. */
  missingExamples: string[];
  /** Of the matched, those found only once both names were in Unicode NFC (macOS writes NFD). */
  matchedByNormalisation: number;
}

const nonAscii = /[^\x00-\x7f]/;

/** The name in Unicode NFC, where it could differ at all (ASCII cannot). */
export function nfc(path: string): string {
  return nonAscii.test(path) ? path.normalize('NFC') : path;
}

export class FolderIndex<F> {
  private readonly byPath = new Map<string, F>();
  /** Files whose path is not in NFC, by their NFC path: a metadata name in NFC finds them. */
  private readonly byNfcPath = new Map<string, F>();
  private images = 0;

  get size(): number {
    return this.byPath.size;
  }

  /** Number of indexed files that look like images by their extension. */
  get imageCount(): number {
    return this.images;
  }

  add(relativePath: string, file: F): void {
    const path = normalizePath(relativePath);
    if (this.byPath.has(path)) return;
    this.byPath.set(path, file);
    const normal = nfc(path);
    if (normal !== path && !this.byNfcPath.has(normal)) this.byNfcPath.set(normal, file);
    if (isImagePath(path)) this.images++;
  }

  /** The file at `path`: exactly, or else with both names in Unicode NFC. */
  get(path: string): F | undefined {
    return this.byPath.get(path) ?? this.getNormalised(path);
  }

  private getNormalised(path: string): F | undefined {
    if (!nonAscii.test(path)) return undefined;
    const normal = path.normalize('NFC');
    return this.byPath.get(normal) ?? this.byNfcPath.get(normal);
  }

  paths(): IterableIterator<string> {
    return this.byPath.keys();
  }

  /**
   * Finds the folder that metadata paths are relative to: the dropped folder may be the image
   * folder itself, or a parent holding `train_images/` and `test_images/`, under any name, and
   * may hold only some of the images. Candidates come from the folder's side: for a sample of its
   * image paths, every cut at a "/" whose tail is a metadata path; the most frequent one wins.
   */
  findPrefix(names: StringTable, sample = 400): string | null {
    const votes = new Map<string, number>();
    // Spread the sample over the whole folder: train and test images may come in any order.
    const stride = Math.max(1, Math.floor(this.images / sample));
    let seen = 0;
    for (const path of this.byPath.keys()) {
      if (!isImagePath(path) || seen++ % stride !== 0) continue;
      for (let cut = -1; ; ) {
        if (names.indexOf(path.slice(cut + 1)) >= 0) {
          const prefix = path.slice(0, cut + 1);
          votes.set(prefix, (votes.get(prefix) ?? 0) + 1);
        }
        cut = path.indexOf('/', cut + 1);
        if (cut < 0) break;
      }
    }
    if (votes.size === 0) {
      // A few images among many others (20 test images beside 840k train ones): look the
      // metadata's own paths up instead, a full scan for each of up to 8 of them.
      for (let k = 0; k < Math.min(8, names.length); k++) {
        const name = nfc(normalizePath(names.get(Math.floor((k * names.length) / 8))));
        for (const original of this.byPath.keys()) {
          const path = nfc(original);
          if (path === name || path.endsWith('/' + name)) {
            const prefix = path.slice(0, path.length - name.length);
            votes.set(prefix, (votes.get(prefix) ?? 0) + 1);
            break;
          }
        }
      }
    }
    let best: string | null = null;
    let bestVotes = 0;
    for (const [prefix, n] of votes)
      if (n > bestVotes) {
        best = prefix;
        bestVotes = n;
      }
    return best;
  }

  /**
   * Matches every metadata path to a file. Async and sliced so that 840k lookups never hold
   * the main thread for long; `yieldEvery` items per slice.
   */
  async match(
    names: StringTable,
    prefix: string | null,
    options: { yieldEvery?: number; pause?: () => Promise<void>; maxExamples?: number } = {},
  ): Promise<MatchReport> {
    const yieldEvery = options.yieldEvery ?? 50_000;
    const maxExamples = options.maxExamples ?? 20;
    const report: MatchReport = { prefix, total: names.length, matched: 0, missing: 0, missingExamples: [], matchedByNormalisation: 0 };
    for (let i = 0; i < names.length; i++) {
      const name = names.get(i);
      if (prefix !== null && this.byPath.has(prefix + normalizePath(name))) report.matched++;
      else if (prefix !== null && this.getNormalised(prefix + normalizePath(name)) !== undefined) {
        report.matched++;
        report.matchedByNormalisation++;
      } else {
        report.missing++;
        if (report.missingExamples.length < maxExamples) report.missingExamples.push(name);
      }
      if (options.pause && i % yieldEvery === yieldEvery - 1) await options.pause();
    }
    return report;
  }
}
