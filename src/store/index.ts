import { create, type StoreApi } from 'zustand';
import { createAuditSlice, type AuditSlice } from './auditSlice.ts';
import { createClassifySlice, type ClassifySlice } from './classifySlice.ts';
import { createDatasetSlice, type DatasetSlice } from './datasetSlice.ts';
import { createEmbedSlice, type EmbedSlice } from './embedSlice.ts';
import { createFolderSlice, type FolderSlice } from './folderSlice.ts';
import { createLoadSlice, type LoadSlice } from './loadSlice.ts';
import { createMapSlice, type MapSlice } from './mapSlice.ts';
import { createUiSlice, type UiSlice } from './uiSlice.ts';

export type LabState = DatasetSlice & FolderSlice & LoadSlice & UiSlice & EmbedSlice & ClassifySlice & MapSlice & AuditSlice;

/** What the actions read and write: the app's store, or a fresh one in a test. */
export type LabStore = Pick<StoreApi<LabState>, 'getState' | 'setState'>;

/** A store with every slice at its initial state. */
export const createLab = () =>
  create<LabState>()((...a) => ({
  ...createDatasetSlice(...a),
  ...createFolderSlice(...a),
  ...createLoadSlice(...a),
  ...createUiSlice(...a),
  ...createEmbedSlice(...a),
  ...createClassifySlice(...a),
  ...createMapSlice(...a),
  ...createAuditSlice(...a),
  }));

export const useLab = createLab();
