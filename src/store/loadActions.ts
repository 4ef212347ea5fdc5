/**
 * What happens when a person drops files, picks a folder or loads the demo. Actions run one at
 * a time (a queue), report progress, and on any failure keep what was loaded before.
 */

import { FolderIndex, type MatchReport } from '../core/dataset/folderIndex.ts';
import type { StringTable } from '../core/dataset/stringTable.ts';
import type { LoadIssue } from '../core/dataset/types.ts';
import { fetchDemo } from '../io/demo.ts';
import { filesFromList, metadataFilesIn, type PathedFile } from '../io/droppedFiles.ts';
import type { DataCommands } from '../workers/protocol.ts';
import type { CommandRunner } from '../workers/workerClient.ts';
import type { LabStore } from './index.ts';

export interface LoadDeps {
  lab: LabStore;
  /** The data worker (ingest, imageFolder). */
  data: CommandRunner<keyof DataCommands>;
  /** Where the demo's manifest and files are served. */
  demoUrl: string;
}

export function createLoadActions({ lab, data, demoUrl }: LoadDeps) {
  const pause = () => new Promise<void>((r) => setTimeout(r, 0));

  /**
   * Load timing for people and benchmarks: `performance.measure('load:readouts')` spans from the
   * drop (or pick) to the first frame that shows the new dataset's readouts.
   */
  function markLoadStart() {
    performance.clearMarks('load:start');
    performance.mark('load:start');
  }

  function markReadoutsShown() {
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (performance.getEntriesByName('load:start').length) performance.measure('load:readouts', 'load:start');
      }),
    );
  }

  let queue: Promise<void> = Promise.resolve();

  /** Runs actions one after another; an action that throws becomes a message, never a blank page. */
  function enqueue(label: string, action: () => Promise<void>): Promise<void> {
    queue = queue.then(async () => {
      lab.getState().setBusy(true);
      try {
        await action();
      } catch (e) {
        lab.getState().addMessages([{ severity: 'error', file: label, message: (e as Error)?.message ?? String(e) }]);
      } finally {
        lab.getState().setProgress(null);
        lab.getState().setBusy(false);
        lab.setState((s) => ({ actionsDone: s.actionsDone + 1 }));
      }
    });
    return queue;
  }

  async function ingest(files: File[]): Promise<void> {
    lab.getState().setProgress({ stage: `Reading ${files[0]?.name ?? ''}`, done: 0, total: files.reduce((s, f) => s + f.size, 0), unit: 'bytes' });
    const result = await data.run(
      'ingest',
      { files },
      {
        onProgress: (p) =>
          lab.getState().setProgress({
            stage: `Reading ${p.file}` + (p.fileCount > 1 ? ` (file ${p.fileIndex + 1} of ${p.fileCount})` : ''),
            done: p.bytesRead,
            total: p.totalBytes,
            unit: 'bytes',
            items: p.items,
          }),
      },
    );
    const state = lab.getState();
    state.clearMessagesFor(files.map((f) => f.name));
    state.addMessages(result.issues);
    if (result.train && result.summary) {
      // A test split loaded before any train file waits for it; otherwise it belongs to the old dataset.
      const test = result.test ?? (state.dataset === null ? (state.test?.columns ?? null) : null);
      if (state.dataset) state.clearMessagesFor([state.dataset.columns.source]);
      state.setDataset(result.train, test, result.summary);
      markReadoutsShown();
      lab.setState({ loadedFiles: result.files.filter((f) => f.role !== 'rejected') });
    } else if (result.test) {
      state.setTest(result.test);
      lab.setState((s) => ({ loadedFiles: [...s.loadedFiles.filter((f) => f.role !== 'test'), ...result.files.filter((f) => f.role === 'test')] }));
      if (!state.dataset)
        state.addMessages([
          { severity: 'warning', file: result.test.source, message: 'test metadata loaded; drop the train metadata to see the dataset' },
        ]);
    }
  }

  async function matchFolder(): Promise<void> {
    const { dataset, test, folder } = lab.getState();
    if (!folder) return;
    lab.getState().setProgress({ stage: 'Matching metadata paths to the folder', done: 0, total: 0, unit: 'items' });
    const matchOne = async (files: StringTable | undefined): Promise<MatchReport | null> =>
      files ? folder.match(files, folder.findPrefix(files), { pause }) : null;
    const trainMatch = await matchOne(dataset?.files);
    const testMatch = await matchOne(test?.files);
    lab.getState().setMatches(trainMatch, testMatch);
  }

  async function indexFolder(files: PathedFile[], name: string): Promise<FolderIndex<File>> {
    const index = new FolderIndex<File>();
    for (let i = 0; i < files.length; i++) {
      index.add(files[i].path, files[i].file);
      if (i % 20_000 === 19_999) {
        lab.getState().setProgress({ stage: `Indexing folder ${name}`, done: i + 1, total: files.length, unit: 'files' });
        await pause();
      }
    }
    return index;
  }

  async function loadFolder(files: PathedFile[], name: string): Promise<void> {
    const index = await indexFolder(files, name);
    lab.getState().setFolder(index, name);
    const metadata = metadataFilesIn(files);
    if (metadata.length) await ingest(metadata.map((m) => m.file));
    else if (!lab.getState().dataset) {
      const built = await data.run('imageFolder', { folderName: name, paths: files.map((f) => f.path) });
      if (built) {
        lab.getState().addMessages(built.issues);
        lab.getState().setDataset(built.train, built.test, built.summary);
        markReadoutsShown();
        lab.setState({ loadedFiles: [] });
      } else {
        lab.getState().addMessages([
          {
            severity: 'error',
            file: name,
            message: 'no metadata JSON and no class subfolders with images: nothing to load',
            where: `${index.size} files, ${index.imageCount} images`,
          },
        ]);
      }
    }
    await matchFolder();
  }

  /** Loose files and/or folders, as dropped or picked. Loose files are read as metadata. */
  function loadPathedFiles(files: PathedFile[]): Promise<void> {
    markLoadStart();
    return enqueue('Dropped files', async () => {
      if (files.length === 0) return;
      const inFolder = files.filter((f) => f.path.includes('/'));
      const loose = files.filter((f) => !f.path.includes('/'));
      if (loose.length) {
        await ingest(loose.map((f) => f.file));
        if (!inFolder.length) await matchFolder();
      }
      if (inFolder.length) await loadFolder(inFolder, inFolder[0].path.split('/')[0]);
    });
  }

  function loadMetadataInput(list: File[]): Promise<void> {
    markLoadStart();
    const files = Array.from(list);
    return enqueue('Metadata', async () => {
      if (files.length === 0) return;
      await ingest(files);
      await matchFolder();
    });
  }

  async function loadFolderInput(list: File[]): Promise<void> {
    const files = await filesFromList(list);
    return loadPathedFiles(files.map((f) => (f.path.includes('/') ? f : { ...f, path: `folder/${f.path}` })));
  }

  function loadDemo(): Promise<void> {
    markLoadStart();
    return enqueue('Demo dataset', async () => {
      const { manifest, files } = await fetchDemo(demoUrl, (done, total) =>
        lab.getState().setProgress({ stage: 'Fetching the demo dataset', done, total, unit: 'files' }),
      );
      await loadFolder(files, 'demo');
      lab.setState({ demoAttribution: manifest.attribution });
    });
  }

  function reportIssues(issues: LoadIssue[]): void {
    lab.getState().addMessages(issues);
  }

  return { loadPathedFiles, loadMetadataInput, loadFolderInput, loadDemo, reportIssues };
}

export type LoadActions = ReturnType<typeof createLoadActions>;
