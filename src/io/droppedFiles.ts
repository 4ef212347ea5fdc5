/**
 * Turns what the browser hands over (a FileList from an input, a DataTransfer from a drop) into
 * files with their paths relative to the drop. Folders are walked without reading any file.
 */

export interface PathedFile {
  /** "folder/sub/file.jpg" for files inside a dropped folder, "file.json" for loose files. */
  path: string;
  file: File;
}

const pause = () => new Promise<void>((r) => setTimeout(r, 0));

/** From `<input type=file>` (with or without webkitdirectory). Sliced: a FileList can hold 1M files. */
export async function filesFromList(list: FileList | File[]): Promise<PathedFile[]> {
  const out: PathedFile[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const file = list[i];
    out[i] = { path: file.webkitRelativePath || file.name, file };
    if (i % 20_000 === 19_999) await pause();
  }
  return out;
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries returns at most ~100 entries per call: call until it returns none.
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** From a drop: files and whole folders (walked breadth-first). */
export async function filesFromDrop(transfer: DataTransfer, onCount?: (n: number) => void): Promise<PathedFile[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(transfer.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  const out: PathedFile[] = loose.map((file) => ({ path: file.name, file }));
  const queue: FileSystemEntry[] = [...entries];
  while (queue.length) {
    const entry = queue.shift()!;
    if (entry.isFile) {
      out.push({ path: entry.fullPath.replace(/^\//, ''), file: await fileOf(entry as FileSystemFileEntry) });
      if (out.length % 5000 === 0) onCount?.(out.length);
    } else if (entry.isDirectory) {
      queue.push(...(await readAllEntries((entry as FileSystemDirectoryEntry).createReader())));
    }
  }
  return out;
}

/** Metadata JSON files inside a dropped folder: at most two levels down, not inside image trees. */
export function metadataFilesIn(files: PathedFile[]): PathedFile[] {
  return files.filter((f) => {
    if (!/\.json$/i.test(f.path)) return false;
    const depth = f.path.split('/').length;
    return depth <= 3 && !/(^|\/)(train_images|test_images|images)\//i.test(f.path);
  });
}
