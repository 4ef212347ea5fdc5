/**
 * The classifiers the page offers, named in one place: the Classify section's select, the labels
 * of the comparison table, the candidates `auto` tries and, for the class-mean ones, how each is
 * built from class sums. A new class-mean classifier is one module (its ClassMeanMethod) and one
 * entry here.
 */

import type { ClassMeanData, ClassMeanMethod } from './classMeans.ts';
import { hierarchicalMethod, taxonomyHelps, type Taxonomy } from './hierarchical.ts';
import { identity, ldaMethod, type QuadraticForms } from './lda.ts';
import { ncmCosineMethod } from './ncm.ts';

export type ClassifierKind = 'auto' | 'ncm-cosine' | 'ncm-euclidean' | 'lda' | 'hierarchical' | 'probe';
/** What a fit ends up as (`auto` picks one of these). */
export type FittedKind = Exclude<ClassifierKind, 'auto'>;

/** What the test set's class mix is assumed to be; validation weighs its images to match. */
export type TestPrior = 'train' | 'balanced';
/** `cross`: leave-one-out / k-fold over every labelled image, then refit on all; `heldout`: the run's held-out split, fit on the train split. */
export type ValidationMode = 'cross' | 'heldout';

export interface ProbeSettings {
  /** L-BFGS iterations (or Adam epochs) at most. */
  epochs: number;
  loss: 'crossEntropy' | 'logitAdjusted';
  sampling: 'instance' | 'classBalanced';
}

/** What a class-mean method may need beyond the class sums. */
export interface ClassMeanInputs {
  data: ClassMeanData;
  /** Σ⁻¹ of the shrunk pooled covariance (lda.ts), computed only for methods that ask for it. */
  precision?: Float64Array;
  /** [C×D] the class means times Σ⁻¹, when the caller computed them (a matmul at high D). */
  projected?: Float32Array;
  /** xᵀΣ⁻¹x of a block of images on the caller's backend (LDA's leave-one-out at high D). */
  quadraticForms?: QuadraticForms;
  taxonomy?: Taxonomy;
}

export interface ClassifierInfo {
  kind: ClassifierKind;
  /** What the select shows. */
  title: string;
  /** The short name a fit is labelled with. */
  short: string;
  /** How it is validated: exact leave-one-out (class means) or stratified k-fold (the probe). */
  family: 'auto' | 'class-mean' | 'probe';
  /** Tried by `auto`. */
  candidate: boolean;
  needs?: 'covariance' | 'taxonomy';
  /** Class-mean classifiers: the method, from class sums (and what `needs` names). */
  method?: (inputs: ClassMeanInputs) => ClassMeanMethod;
}

export const CLASSIFIERS: readonly ClassifierInfo[] = [
  { kind: 'auto', title: 'Auto: the best by cross-validated macro-F1', short: 'auto', family: 'auto', candidate: false },
  { kind: 'ncm-cosine', title: 'Nearest class mean, cosine', short: 'NCM cosine', family: 'class-mean', candidate: true, method: ({ data }) => ncmCosineMethod(data) },
  {
    kind: 'ncm-euclidean',
    title: 'Nearest class mean, euclidean',
    short: 'NCM euclidean',
    family: 'class-mean',
    candidate: false,
    method: ({ data }) => ldaMethod(data, identity(data.dim), 'euclidean'),
  },
  {
    kind: 'lda',
    title: 'Shrinkage LDA (shared covariance, Ledoit–Wolf)',
    short: 'shrinkage LDA',
    family: 'class-mean',
    candidate: true,
    needs: 'covariance',
    method: ({ data, precision, projected, quadraticForms }) => {
      if (!precision) throw new Error('LDA needs the covariance');
      return ldaMethod(data, precision, undefined, projected, quadraticForms);
    },
  },
  {
    kind: 'hierarchical',
    title: 'Taxonomy back-off (species ← genus ← family)',
    short: 'taxonomy back-off',
    family: 'class-mean',
    candidate: true,
    needs: 'taxonomy',
    method: ({ data, taxonomy }) => {
      if (!taxonomy) throw new Error('the back-off needs the taxonomy');
      return hierarchicalMethod(data, taxonomy);
    },
  },
  { kind: 'probe', title: 'Linear probe (softmax regression)', short: 'linear probe', family: 'probe', candidate: true },
];

export const DEFAULT_PROBE: ProbeSettings = { epochs: 200, loss: 'crossEntropy', sampling: 'instance' };

export function classifierInfo(kind: ClassifierKind): ClassifierInfo {
  const info = CLASSIFIERS.find((c) => c.kind === kind);
  if (!info) throw new RangeError(`unknown classifier ${kind}`);
  return info;
}

/** The kinds `auto` fits: every candidate, the back-off only where the taxonomy can help. */
export function autoCandidates(taxonomy: Taxonomy | undefined, counts: ArrayLike<number>): FittedKind[] {
  return CLASSIFIERS.filter((c) => c.candidate && (c.needs !== 'taxonomy' || (taxonomy && taxonomyHelps(taxonomy, counts)))).map((c) => c.kind as FittedKind);
}

/** Names a fit (kind and, for the probe, its options) for the comparison table. */
export function classifierLabel(kind: ClassifierKind, probe: ProbeSettings = DEFAULT_PROBE): string {
  const { short } = classifierInfo(kind);
  if (kind !== 'probe') return short;
  return `${short}${probe.loss === 'logitAdjusted' ? ', logit-adjusted loss' : ''}${probe.sampling === 'classBalanced' ? ', class-balanced' : ''}`;
}
