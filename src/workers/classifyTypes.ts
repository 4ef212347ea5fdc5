/** Requests and results of the classifier commands (ClassifyCommands in protocol.ts). */

import type { BackendChoice } from '../core/embed/backendChoice.ts';
import type { ClassifierKind, FittedKind, ProbeSettings, TestPrior, ValidationMode } from '../core/learn/classifiers.ts';
import type { ConfusedPair, MetricSummary } from '../core/learn/metrics.ts';
import type { TauPoint } from '../core/learn/tauSweep.ts';
import type { BandLimits } from '../core/stats/classStats.ts';

export type { TestPrior, ValidationMode };

export interface ClassifyFitRequest {
  kind: ClassifierKind;
  /** For the probe. */
  probe?: ProbeSettings;
  /** The Embeddings section's backend choice; while a model is loaded for embedding, its backend is used. */
  backend: BackendChoice;
  testPrior: TestPrior;
  validation: ValidationMode;
  limits: BandLimits;
  /** Per class: genus and family index (the dataset's taxonomy), for the back-off and the genus/family metrics. */
  taxonomy?: { classGenus: Int32Array; classFamily: Int32Array };
  /** Slots left out of the fit and of the validation (the audit's "drop these from train"). */
  dropped?: Int32Array;
}

export interface ClassifyFitProgress {
  /** What is being done, for the status line. */
  stage: string;
  epoch?: number;
  epochs?: number;
  loss?: number;
}

/** One candidate's validated estimate at its chosen settings and τ. */
export interface ComparedCandidate {
  kind: FittedKind;
  label: string;
  /** The hyperparameter setting chosen (κ, weight decay, …), in words. */
  setting: string;
  tau: number;
  macroF1: number;
  ciLow: number;
  ciHigh: number;
  top1: number;
  balancedAccuracy: number;
  /** Its interval overlaps the winner's: the difference is not resolved (false for the winner itself). */
  unresolved: boolean;
  ms: number;
}

export interface ValidationSummary {
  /** `leave-one-out` (class means), `k-fold` (the probe), `held-out split`. */
  method: string;
  /** Images validated (each scored by a model fitted without it), and their classes. */
  images: number;
  classes: number;
  /** Images of one-image classes: fitted on, never validated (leaving them out leaves nothing to learn the class from). */
  singletonImages: number;
  /** Validated images were a uniform sample of this many (the pass would not fit its budget). */
  sampledFrom: number | null;
  /** The probe's folds (k) when the probe was validated. */
  folds: number | null;
  testPrior: TestPrior;
}

export interface ClassifyFitResult {
  /** Images the audit dropped from this fit (0: none). */
  dropped: number;
  /** Names this fit (kind and options), for the comparison table. */
  label: string;
  /** What was asked for (`auto` or a kind). */
  requested: ClassifierKind;
  /** What was fitted: for `auto`, the winner. */
  kind: FittedKind;
  /** Why the winner, in one sentence (auto). */
  reason: string;
  /** `all-labelled` (train + held-out images) or `train-split`. */
  refit: 'all-labelled' | 'train-split';
  /** The chosen setting and τ. */
  setting: string;
  tau: number;
  /** The temperature s (class-mean classifiers; null for the probe). */
  scale: number | null;
  scaleAtBound: boolean;
  /** Images the final model was fitted on. */
  trainRows: number;
  /** The probe learned from a uniform sample when all images would not fit in memory; null when not the probe. */
  probeRows: number | null;
  classesWithTrain: number;
  numClasses: number;
  validation: ValidationSummary;
  compared: ComparedCandidate[];
  /** The winner's τ curve at its chosen setting (validated). */
  sweep: TauPoint[];
  /** LDA's Ledoit–Wolf shrinkage, when LDA was fitted. */
  shrinkage: number | null;
  losses: number[];
  /** The tfjs backend the probe trained on and every score is computed on, and why. */
  backend: string;
  backendReason: string;
  ms: number;
}

export interface ClassifySweepRequest {
  limits: BandLimits;
}

export interface ClassifySweepResult {
  points: TauPoint[];
  bestTau: number;
  /** Images validated. */
  heldoutRows: number;
  ms: number;
}

export interface ClassifyEvaluateRequest {
  tau: number;
  limits: BandLimits;
  /** Confused pairs to return (default 20). */
  pairs?: number;
}

/** Where the wrong answers land in the taxonomy (weighted as the metrics). */
export interface TaxonomyAccuracy {
  genus: number;
  family: number;
  /** Of the wrong answers, the share that is at least the right genus. */
  wrongButRightGenus: number;
}

export interface ClassifyEvaluateResult {
  label: string;
  at: MetricSummary;
  /** The same classifier with τ = 0 (no adjustment). */
  baseline: MetricSummary;
  /** 95% stratified bootstrap interval of macro-F1 at τ. */
  macroF1Interval: { low: number; high: number };
  taxonomy: TaxonomyAccuracy | null;
  /** Per class at τ: recall (NaN when the class has no validated image) and fitting images (transferred). */
  recall: Float32Array;
  trainCount: Int32Array;
  pairs: ConfusedPair[];
  ms: number;
}

export interface ClassifySubmissionRequest {
  tau: number;
  /** Rows of the preview (top-5 of the first test images, default 5). */
  preview?: number;
}

export interface SubmissionPreviewRow {
  id: string;
  /** Category ids, best first, with their adjusted logits; empty when the image was not embedded. */
  top: { categoryId: number; score: number }[];
  embedded: boolean;
}

export interface ClassifySubmissionResult {
  label: string;
  tau: number;
  blob: Blob;
  rows: number;
  /** Test images without an embedding (skipped or not done yet): they got the most frequent train class. */
  notEmbedded: number;
  fallbackCategoryId: number;
  preview: SubmissionPreviewRow[];
  ms: number;
}
