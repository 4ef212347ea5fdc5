import type { StateCreator } from 'zustand';
import type { FolderIndex, MatchReport } from '../core/dataset/folderIndex.ts';
import type { LabState } from './index.ts';

export interface FolderSlice {
  folder: FolderIndex<File> | null;
  folderName: string | null;
  trainMatch: MatchReport | null;
  testMatch: MatchReport | null;
  setFolder(folder: FolderIndex<File>, name: string): void;
  setMatches(train: MatchReport | null, test: MatchReport | null): void;
}

export const createFolderSlice: StateCreator<LabState, [], [], FolderSlice> = (set) => ({
  folder: null,
  folderName: null,
  trainMatch: null,
  testMatch: null,
  setFolder(folder, folderName) {
    set({ folder, folderName, trainMatch: null, testMatch: null });
  },
  setMatches(trainMatch, testMatch) {
    set({ trainMatch, testMatch });
  },
});
