import { create } from 'zustand';
import { createClassifySlice, type ClassifySlice } from './classifySlice.ts';
import { createDatasetSlice, type DatasetSlice } from './datasetSlice.ts';
import { createEmbedSlice, type EmbedSlice } from './embedSlice.ts';
import { createFolderSlice, type FolderSlice } from './folderSlice.ts';
import { createLoadSlice, type LoadSlice } from './loadSlice.ts';
import { createUiSlice, type UiSlice } from './uiSlice.ts';

export type LabState = DatasetSlice & FolderSlice & LoadSlice & UiSlice & EmbedSlice & ClassifySlice;

export const useLab = create<LabState>()((...a) => ({
  ...createDatasetSlice(...a),
  ...createFolderSlice(...a),
  ...createLoadSlice(...a),
  ...createUiSlice(...a),
  ...createEmbedSlice(...a),
  ...createClassifySlice(...a),
}));
