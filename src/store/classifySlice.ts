import type { StateCreator } from 'zustand';
import type { CountRecallPoint } from '../core/learn/evaluate.ts';
import { DEFAULT_PROBE, type ClassifierKind, type ProbeSettings } from '../core/learn/classifiers.ts';
import type { ConfusedPair, MetricSummary } from '../core/learn/metrics.ts';
import type { TauPoint } from '../core/learn/tauSweep.ts';
import type { ClassifyFitResult, SubmissionPreviewRow, TaxonomyAccuracy, TestPrior, ValidationMode } from '../workers/classifyTypes.ts';
import type { LabState } from './index.ts';

export type ClassifyBusy = 'fitting' | 'sweeping' | 'evaluating' | 'exporting' | null;

/**
 * What the page keeps of the classifiers: settings and small results only (metrics, the τ sweep,
 * per-train-count aggregates, a few confused pairs): never embeddings or an N×C / C×C matrix.
 */
export interface ClassifyView {
  kind: ClassifierKind;
  probe: ProbeSettings;
  /** What the test set's class mix is assumed to be (validation and τ target it). */
  testPrior: TestPrior;
  /** Cross-validation over every labelled image (then a refit on all), or the run's held-out split. */
  validation: ValidationMode;
  tau: number;
  busy: ClassifyBusy;
  /** What the fit is doing, and the probe's epochs/iterations done. */
  stage: string | null;
  epoch: { epoch: number; epochs: number } | null;
  error: string | null;
  fit: ClassifyFitResult | null;
  /** Probe loss per epoch (live while fitting). */
  losses: number[];
  sweep: { points: TauPoint[]; bestTau: number; heldoutRows: number } | null;
  evaluation: {
    label: string;
    at: MetricSummary;
    baseline: MetricSummary;
    macroF1Interval: { low: number; high: number };
    taxonomy: TaxonomyAccuracy | null;
    byCount: CountRecallPoint[];
    pairs: ConfusedPair[];
  } | null;
  /** Slots the audit's "drop these from train" leaves out of the next fits (null: none). */
  dropped: Int32Array | null;
  submission: { label: string; tau: number; rows: number; notEmbedded: number; fallbackCategoryId: number; preview: SubmissionPreviewRow[] } | null;
}

export interface ClassifySlice {
  classify: ClassifyView;
  patchClassify(update: Partial<ClassifyView>): void;
  resetClassify(): void;
}

export const initialClassify: ClassifyView = {
  kind: 'auto',
  probe: { ...DEFAULT_PROBE },
  testPrior: 'train',
  validation: 'cross',
  tau: 1,
  busy: null,
  stage: null,
  epoch: null,
  error: null,
  fit: null,
  losses: [],
  sweep: null,
  evaluation: null,
  dropped: null,
  submission: null,
};

export const createClassifySlice: StateCreator<LabState, [], [], ClassifySlice> = (set) => ({
  classify: initialClassify,
  patchClassify(update) {
    set((s) => ({ classify: { ...s.classify, ...update } }));
  },
  resetClassify() {
    set({ classify: initialClassify });
  },
});
