/**
 * Reads a set of metadata files dropped together (train and/or test) and decides each one's
 * role. A file that cannot be read is reported and left out; the others still load.
 */

import type { ByteSource } from '../json/jsonArrayStream.ts';
import { LoadError, readMetadataFile, type BatchParser, type MetadataProgress } from './metadataReader.ts';
import type { DatasetColumns, LoadIssue, TestColumns } from './types.ts';

export interface IngestFile {
  name: string;
  blob: ByteSource;
}

export interface IngestProgress extends MetadataProgress {
  file: string;
  fileIndex: number;
  fileCount: number;
}

export interface IngestFileReport {
  name: string;
  role: 'train' | 'test' | 'rejected';
  bytes: number;
  items: number;
  ms: number;
}

export interface IngestResult {
  train: DatasetColumns | null;
  test: TestColumns | null;
  issues: LoadIssue[];
  files: IngestFileReport[];
}

export interface IngestOptions {
  onProgress?(progress: IngestProgress): void;
  afterChunk?(): Promise<void> | void;
  chunkBytes?: number;
  parseBatch?: BatchParser;
  maxInFlight?: number;
}

/** Train files first (by name), so a lone test file can be told apart from a second train file. */
function byLikelyRole(a: IngestFile, b: IngestFile): number {
  const rank = (f: IngestFile) => (/test/i.test(f.name) ? 1 : 0);
  return rank(a) - rank(b) || a.name.localeCompare(b.name);
}

export async function ingestMetadataFiles(files: IngestFile[], options: IngestOptions = {}): Promise<IngestResult> {
  const result: IngestResult = { train: null, test: null, issues: [], files: [] };
  const ordered = [...files].sort(byLikelyRole);
  for (let k = 0; k < ordered.length; k++) {
    const file = ordered[k];
    const started = performance.now();
    let items = 0;
    const report: IngestFileReport = { name: file.name, role: 'rejected', bytes: file.blob.size, items: 0, ms: 0 };
    try {
      const read = await readMetadataFile(file.name, file.blob, {
        chunkBytes: options.chunkBytes,
        afterChunk: options.afterChunk,
        parseBatch: options.parseBatch,
        maxInFlight: options.maxInFlight,
        onProgress: (p) => {
          items = p.items;
          options.onProgress?.({ ...p, file: file.name, fileIndex: k, fileCount: ordered.length });
        },
      });
      result.issues.push(...read.issues);
      const kept = read.role === 'train' ? result.train : result.test;
      if (kept) {
        result.issues.push({
          severity: 'error',
          file: file.name,
          message: `a second ${read.role} metadata file: kept "${kept.source}", left this one out`,
        });
      } else {
        if (read.role === 'train') result.train = read.train;
        else result.test = read.test;
        report.role = read.role;
      }
    } catch (e) {
      if (e instanceof LoadError) result.issues.push(e.issue);
      else
        result.issues.push({
          severity: 'error',
          file: file.name,
          message: `could not be read: ${(e as Error)?.message ?? String(e)}`,
        });
    }
    report.items = items;
    report.ms = performance.now() - started;
    result.files.push(report);
  }
  return result;
}
