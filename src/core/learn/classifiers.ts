/**
 * The classifiers the page offers, named in one place: the Classify section's select, the fit's
 * label in the comparison table and the Export section all read these.
 */

export type ClassifierKind = 'ncm-cosine' | 'ncm-euclidean' | 'probe';

export interface ProbeSettings {
  epochs: number;
  loss: 'crossEntropy' | 'logitAdjusted';
  sampling: 'instance' | 'classBalanced';
}

export interface ClassifierInfo {
  kind: ClassifierKind;
  /** What the select shows. */
  title: string;
  /** The short name a fit is labelled with. */
  short: string;
}

export const CLASSIFIERS: readonly ClassifierInfo[] = [
  { kind: 'ncm-cosine', title: 'Nearest class mean, cosine', short: 'NCM cosine' },
  { kind: 'ncm-euclidean', title: 'Nearest class mean, euclidean', short: 'NCM euclidean' },
  { kind: 'probe', title: 'Linear probe (softmax regression)', short: 'linear probe' },
];

export const DEFAULT_PROBE: ProbeSettings = { epochs: 20, loss: 'crossEntropy', sampling: 'instance' };

export function classifierInfo(kind: ClassifierKind): ClassifierInfo {
  const info = CLASSIFIERS.find((c) => c.kind === kind);
  if (!info) throw new RangeError(`unknown classifier ${kind}`);
  return info;
}

/** Names a fit (kind and, for the probe, its options) for the comparison table. */
export function classifierLabel(kind: ClassifierKind, probe: ProbeSettings = DEFAULT_PROBE): string {
  const { short } = classifierInfo(kind);
  if (kind !== 'probe') return short;
  return `${short}, ${probe.epochs} epochs${probe.loss === 'logitAdjusted' ? ', logit-adjusted loss' : ''}${probe.sampling === 'classBalanced' ? ', class-balanced' : ''}`;
}
