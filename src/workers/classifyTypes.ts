/** Requests and results of the classifier commands (ClassifyCommands in protocol.ts). */

import type { BackendChoice } from '../core/embed/backendChoice.ts';
import type { ClassifierKind, ProbeSettings } from '../core/learn/classifiers.ts';
import type { ConfusedPair, MetricSummary } from '../core/learn/metrics.ts';
import type { TauPoint } from '../core/learn/tauSweep.ts';
import type { BandLimits } from '../core/stats/classStats.ts';

export interface ClassifyFitRequest {
  kind: ClassifierKind;
  /** For the probe. */
  probe?: ProbeSettings;
  /** The Embeddings section's backend choice; while a model is loaded for embedding, its backend is used. */
  backend: BackendChoice;
}

export interface ClassifyFitProgress {
  epoch: number;
  epochs: number;
  loss: number;
}

export interface ClassifyFitResult {
  /** Names this fit (kind and options), for the comparison table. */
  label: string;
  kind: ClassifierKind;
  /** NCM's fitted temperature s (null for the probe). */
  scale: number | null;
  /** The temperature fit hit an end of its search interval. */
  scaleAtBound: boolean;
  trainRows: number;
  /** The train images the probe learned from (a uniform sample when all would not fit in memory); null for NCM. */
  probeRows: number | null;
  heldoutRows: number;
  /** Classes with at least one embedded train image (the others are never predicted). */
  classesWithTrain: number;
  numClasses: number;
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
  heldoutRows: number;
  ms: number;
}

export interface ClassifyEvaluateRequest {
  tau: number;
  limits: BandLimits;
  /** Confused pairs to return (default 20). */
  pairs?: number;
}

export interface ClassifyEvaluateResult {
  label: string;
  at: MetricSummary;
  /** The same classifier with τ = 0 (no adjustment). */
  baseline: MetricSummary;
  /** Per class at τ: recall (NaN when the class has no held-out image) and train images (transferred). */
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
