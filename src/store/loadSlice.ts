import type { StateCreator } from 'zustand';
import type { LoadIssue } from '../core/dataset/types.ts';
import type { LabState } from './index.ts';

export interface LoadProgress {
  /** What is happening, for people: "Reading train_metadata.json", "Indexing folder". */
  stage: string;
  done: number;
  total: number;
  /** Unit of done/total. */
  unit: 'bytes' | 'files' | 'items';
  items?: number;
}

export interface Message extends LoadIssue {
  id: number;
}

export interface LoadSlice {
  busy: boolean;
  /** Load actions finished so far (scripts wait for it to move: `data-actions-done`). */
  actionsDone: number;
  progress: LoadProgress | null;
  messages: Message[];
  /** Names of the metadata files behind the current dataset, and how each was read. */
  loadedFiles: { name: string; role: string; bytes: number; items: number; ms: number }[];
  demoAttribution: string | null;
  setBusy(busy: boolean): void;
  setProgress(progress: LoadProgress | null): void;
  addMessages(issues: LoadIssue[]): void;
  dismissMessage(id: number): void;
  /** Drops earlier messages about these files (they were read again). */
  clearMessagesFor(files: string[]): void;
}

let nextMessageId = 1;

export const createLoadSlice: StateCreator<LabState, [], [], LoadSlice> = (set) => ({
  busy: false,
  actionsDone: 0,
  progress: null,
  messages: [],
  loadedFiles: [],
  demoAttribution: null,
  setBusy(busy) {
    set({ busy });
  },
  setProgress(progress) {
    set({ progress });
  },
  addMessages(issues) {
    if (issues.length === 0) return;
    set((s) => ({ messages: [...issues.map((i) => ({ ...i, id: nextMessageId++ })), ...s.messages] }));
  },
  dismissMessage(id) {
    set((s) => ({ messages: s.messages.filter((m) => m.id !== id) }));
  },
  clearMessagesFor(files) {
    const names = new Set(files);
    set((s) => ({ messages: s.messages.filter((m) => !names.has(m.file)) }));
  },
});
