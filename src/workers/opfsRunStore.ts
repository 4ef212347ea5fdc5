/**
 * A run's files in the Origin Private File System, through synchronous access handles (dedicated
 * workers only): random-access writes of embedding slots and checkpoints without copying the
 * whole file, and flush() to make them durable. `runs/<key>/` per run.
 */

import type { ByteFile, RunFiles } from '../core/embed/runStore.ts';

interface SyncHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
type FileHandleWithSync = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncHandle> };

function wrap(handle: SyncHandle): ByteFile {
  return {
    read: (into, at) => handle.read(into, { at }),
    write: (bytes, at) => {
      handle.write(bytes, { at });
    },
    truncate: (size) => handle.truncate(size),
    size: () => handle.getSize(),
    flush: () => handle.flush(),
    close: () => handle.close(),
  };
}

async function runsDirectory(): Promise<FileSystemDirectoryHandle | null> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return null;
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle('runs', { create: true });
}

/** Whether OPFS with sync handles is here (a worker in a browser that has it). */
export function opfsAvailable(): boolean {
  return (
    typeof navigator !== 'undefined' &&
    typeof navigator.storage?.getDirectory === 'function' &&
    typeof (globalThis as { FileSystemSyncAccessHandle?: unknown }).FileSystemSyncAccessHandle !== 'undefined'
  );
}

/** Opens run `key`'s files; null when it is not stored and `create` is false. */
export async function openOpfsRunFiles(key: string, create: boolean): Promise<RunFiles | null> {
  const runs = await runsDirectory();
  if (!runs) return null;
  let dir: FileSystemDirectoryHandle;
  try {
    dir = await runs.getDirectoryHandle(key, { create });
  } catch (e) {
    if ((e as DOMException).name === 'NotFoundError') return null;
    throw e;
  }
  const open = async (name: string) => {
    const file = (await dir.getFileHandle(name, { create: true })) as FileHandleWithSync;
    // A page that was just reloaded may still hold the handle for a moment: retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        return wrap(await file.createSyncAccessHandle());
      } catch (e) {
        if ((e as DOMException).name !== 'NoModificationAllowedError' || attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
  return { embeddings: await open('embeddings.bin'), stateA: await open('state-a.bin'), stateB: await open('state-b.bin'), audit: await open('audit.bin') };
}

export async function removeOpfsRun(key: string): Promise<void> {
  const runs = await runsDirectory();
  await runs?.removeEntry(key, { recursive: true }).catch(() => {});
}
