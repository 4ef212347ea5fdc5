import { describe, expect, it } from 'vitest';
import { autoCandidates, classifierInfo, classifierLabel, CLASSIFIERS } from './classifiers.ts';

describe('the classifier registry', () => {
  it('labels fits as the comparison table and scripts read them', () => {
    expect(classifierLabel('ncm-cosine')).toBe('NCM cosine');
    expect(classifierLabel('ncm-euclidean')).toBe('NCM euclidean');
    expect(classifierLabel('lda')).toBe('shrinkage LDA');
    expect(classifierLabel('probe', { epochs: 20, loss: 'crossEntropy', sampling: 'instance' })).toBe('linear probe');
    expect(classifierLabel('probe', { epochs: 5, loss: 'logitAdjusted', sampling: 'classBalanced' })).toBe('linear probe, logit-adjusted loss, class-balanced');
  });

  it('one entry per kind of the contract, auto first (the default)', () => {
    expect(CLASSIFIERS.map((c) => c.kind)).toEqual(['auto', 'ncm-cosine', 'ncm-euclidean', 'lda', 'hierarchical', 'probe']);
    for (const c of CLASSIFIERS) {
      expect(classifierInfo(c.kind)).toBe(c);
      expect(c.family === 'class-mean').toBe(typeof c.method === 'function');
    }
    expect(() => classifierInfo('svm' as never)).toThrow(/unknown classifier/);
  });

  it('auto tries the back-off only where a genus or family holds two classes with images', () => {
    const counts = [3, 2, 5];
    expect(autoCandidates({ classGenus: Int32Array.from([0, 1, 2]), classFamily: Int32Array.from([0, 1, 2]) }, counts)).toEqual(['ncm-cosine', 'lda', 'probe']);
    expect(autoCandidates({ classGenus: Int32Array.from([0, 1, 2]), classFamily: Int32Array.from([0, 0, 1]) }, counts)).toEqual(['ncm-cosine', 'lda', 'hierarchical', 'probe']);
    expect(autoCandidates(undefined, counts)).toEqual(['ncm-cosine', 'lda', 'probe']);
  });
});
