import type { StateCreator } from 'zustand';
import { StringTable } from '../core/dataset/stringTable.ts';
import type { DatasetColumns, TestColumns } from '../core/dataset/types.ts';
import type { OverviewStats } from '../core/stats/classStats.ts';
import type { DatasetSummary, ImagesByClass } from '../core/stats/distribution.ts';
import type { LabState } from './index.ts';
import { initialAudit } from './auditSlice.ts';
import { initialMap } from './mapSlice.ts';

export interface LoadedDataset {
  columns: DatasetColumns;
  /** Image indices grouped by class, for samples. */
  byClass: ImagesByClass;
  /** Train image ids and paths, wrapped for lookups. */
  ids: StringTable;
  files: StringTable;
  sizes: Int32Array;
  overview: OverviewStats;
}

export interface LoadedTest {
  columns: TestColumns;
  files: StringTable;
}

export interface DatasetSlice {
  dataset: LoadedDataset | null;
  test: LoadedTest | null;
  /**
   * Replaces the dataset; its test split goes with it unless a new one comes along. The summary
   * comes from the worker that read the dataset (`summarizeDataset`).
   */
  setDataset(train: DatasetColumns, test: TestColumns | null, summary: DatasetSummary): void;
  setTest(test: TestColumns | null): void;
}

export function wrapTest(test: TestColumns | null): LoadedTest | null {
  return test ? { columns: test, files: StringTable.fromData(test.imageFile) } : null;
}

export const createDatasetSlice: StateCreator<LabState, [], [], DatasetSlice> = (set, get) => ({
  dataset: null,
  test: null,
  setDataset(train, test, summary) {
    set({
      dataset: {
        columns: train,
        byClass: summary.byClass,
        ids: StringTable.fromData(train.imageId),
        files: StringTable.fromData(train.imageFile),
        sizes: summary.sizes,
        overview: summary.overview,
      },
      test: wrapTest(test),
      // Filters name classes of the previous dataset; the map and the viewer show its images.
      chips: [],
      map: { ...initialMap, projection: get().map.projection, color: get().map.color },
      viewer: null,
      audit: { ...initialAudit, threshold: get().audit.threshold, shortcutShare: get().audit.shortcutShare },
      // Images the audit dropped are images of the previous dataset.
      classify: { ...get().classify, dropped: null },
      // The demo's credit belongs to the demo: loadDemo sets it again after its dataset is in.
      demoAttribution: null,
    });
  },
  setTest(test) {
    set({ test: wrapTest(test), map: { ...get().map, result: null, drawnFrom: null, status: 'idle' }, viewer: null, audit: { ...get().audit, result: null, ranOn: null, status: 'idle' } });
  },
});
