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

/** From a drop: files and whole folders. */
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
  // Directories are read one at a time; the files of each are resolved together (a Herbarium
  // folder has ~1,000 files per directory, and one await per file would take minutes).
  const directories: FileSystemDirectoryEntry[] = [];
  const files: FileSystemFileEntry[] = [];
  for (const e of entries) (e.isDirectory ? directories : files).push(e as never);
  const addFiles = async (batch: FileSystemFileEntry[]) => {
    const resolved = await Promise.all(batch.map(fileOf));
    batch.forEach((entry, k) => out.push({ path: entry.fullPath.replace(/^\//, ''), file: resolved[k] }));
    onCount?.(out.length);
  };
  await addFiles(files);
  while (directories.length) {
    const children = await readAllEntries(directories.pop()!.createReader());
    const childFiles: FileSystemFileEntry[] = [];
    for (const c of children) {
      if (c.isDirectory) directories.push(c as FileSystemDirectoryEntry);
      else if (c.isFile) childFiles.push(c as FileSystemFileEntry);
    }
    await addFiles(childFiles);
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
