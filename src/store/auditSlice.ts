import type { StateCreator } from 'zustand';
import { SHORTCUT_MIN_SHARE } from '../core/audit/shortcuts.ts';
import type { AuditProgress, AuditResult } from '../workers/auditTypes.ts';

export type { AuditResult };
import type { LabState } from './index.ts';

export type AuditList = 'duplicates' | 'leaks' | 'labels' | 'novel' | 'shortcuts';

/** A classifier's validated macro-F1 and the images it was validated on (before and after dropping). */
export interface ValidatedScore {
  label: string;
  macroF1: number;
  validated: number;
  fitted: number;
}

/**
 * The audit (section 8): the worker's result (typed arrays, one entry per pair, candidate or test
 * image) and the page's settings over it. The threshold and the share only filter what is there.
 */
export interface AuditView {
  status: 'idle' | 'running' | 'done' | 'error';
  progress: AuditProgress | null;
  error: string | null;
  result: AuditResult | null;
  /** The run and its done count the audit ran on. */
  ranOn: { key: string; done: number } | null;
  threshold: number;
  shortcutShare: number;
  list: AuditList;
  /** The slots "drop these from train" left out, and the validated scores before and after. */
  cleaned: { dropped: Int32Array; before: ValidatedScore | null; after: ValidatedScore | null; busy: boolean; error: string | null } | null;
}

export interface AuditSlice {
  audit: AuditView;
  patchAudit(update: Partial<AuditView>): void;
}

export const initialAudit: AuditView = {
  status: 'idle',
  progress: null,
  error: null,
  result: null,
  ranOn: null,
  threshold: 0.95,
  shortcutShare: SHORTCUT_MIN_SHARE,
  list: 'duplicates',
  cleaned: null,
};

export const createAuditSlice: StateCreator<LabState, [], [], AuditSlice> = (set) => ({
  audit: initialAudit,
  patchAudit(update) {
    set((s) => ({ audit: { ...s.audit, ...update } }));
  },
});
