import type { StateCreator } from 'zustand';
import type { CountRecallPoint } from '../core/learn/evaluate.ts';
import { DEFAULT_PROBE, type ClassifierKind, type ProbeSettings } from '../core/learn/classifiers.ts';
import type { ConfusedPair, MetricSummary } from '../core/learn/metrics.ts';
import type { TauPoint } from '../core/learn/tauSweep.ts';
import type { ClassifyFitResult, SubmissionPreviewRow } from '../workers/classifyTypes.ts';
import type { LabState } from './index.ts';

export type ClassifyBusy = 'fitting' | 'sweeping' | 'evaluating' | 'exporting' | null;

/** One classifier evaluated at a τ, for the comparison table. */
export interface ComparedClassifier {
  label: string;
  tau: number;
  at: MetricSummary;
  baseline: MetricSummary;
}

/**
 * What the page keeps of the classifiers: settings and small results only (metrics, the τ sweep,
 * per-train-count aggregates, a few confused pairs): never embeddings or an N×C / C×C matrix.
 */
export interface ClassifyView {
  kind: ClassifierKind;
  probe: ProbeSettings;
  tau: number;
  busy: ClassifyBusy;
  /** Probe epochs done while fitting. */
  epoch: { epoch: number; epochs: number } | null;
  error: string | null;
  fit: ClassifyFitResult | null;
  /** Probe loss per epoch (live while fitting). */
  losses: number[];
  sweep: { points: TauPoint[]; bestTau: number; heldoutRows: number } | null;
  evaluation: { label: string; at: MetricSummary; baseline: MetricSummary; byCount: CountRecallPoint[]; pairs: ConfusedPair[] } | null;
  compared: ComparedClassifier[];
  submission: { label: string; tau: number; rows: number; notEmbedded: number; fallbackCategoryId: number; preview: SubmissionPreviewRow[] } | null;
}

export interface ClassifySlice {
  classify: ClassifyView;
  patchClassify(update: Partial<ClassifyView>): void;
  resetClassify(): void;
}

export const initialClassify: ClassifyView = {
  kind: 'ncm-cosine',
  probe: { ...DEFAULT_PROBE },
  tau: 1,
  busy: null,
  epoch: null,
  error: null,
  fit: null,
  losses: [],
  sweep: null,
  evaluation: null,
  compared: [],
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
