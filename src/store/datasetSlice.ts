import type { StateCreator } from 'zustand';
import { StringTable } from '../core/dataset/stringTable.ts';
import type { DatasetColumns, TestColumns } from '../core/dataset/types.ts';
import { classSizes, overviewStats, type OverviewStats } from '../core/stats/classStats.ts';
import { imagesByClass, type ImagesByClass } from '../core/stats/distribution.ts';
import type { LabState } from './index.ts';

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
  /** Replaces the dataset; its test split goes with it unless a new one comes along. */
  setDataset(train: DatasetColumns, test: TestColumns | null): void;
  setTest(test: TestColumns | null): void;
}

export function wrapTest(test: TestColumns | null): LoadedTest | null {
  return test ? { columns: test, files: StringTable.fromData(test.imageFile) } : null;
}

export const createDatasetSlice: StateCreator<LabState, [], [], DatasetSlice> = (set) => ({
  dataset: null,
  test: null,
  setDataset(train, test) {
    const sizes = classSizes(train.imageClass, train.classCategoryId.length);
    set({
      dataset: {
        columns: train,
        byClass: imagesByClass(train.imageClass, sizes.length),
        ids: StringTable.fromData(train.imageId),
        files: StringTable.fromData(train.imageFile),
        sizes,
        overview: overviewStats(train, sizes),
      },
      test: wrapTest(test),
      // Filters name classes of the previous dataset.
      chips: [],
    });
  },
  setTest(test) {
    set({ test: wrapTest(test) });
  },
});
