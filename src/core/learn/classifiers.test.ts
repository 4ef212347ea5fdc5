import { describe, expect, it } from 'vitest';
import { classifierInfo, classifierLabel, CLASSIFIERS } from './classifiers.ts';

describe('the classifier registry', () => {
  it('labels fits as the comparison table and scripts read them', () => {
    expect(classifierLabel('ncm-cosine')).toBe('NCM cosine');
    expect(classifierLabel('ncm-euclidean')).toBe('NCM euclidean');
    expect(classifierLabel('probe', { epochs: 20, loss: 'crossEntropy', sampling: 'instance' })).toBe('linear probe, 20 epochs');
    expect(classifierLabel('probe', { epochs: 5, loss: 'logitAdjusted', sampling: 'classBalanced' })).toBe('linear probe, 5 epochs, logit-adjusted loss, class-balanced');
  });

  it('one entry per kind, each with a title and a short name', () => {
    expect(CLASSIFIERS.map((c) => c.kind)).toEqual(['ncm-cosine', 'ncm-euclidean', 'probe']);
    for (const c of CLASSIFIERS) expect(classifierInfo(c.kind)).toBe(c);
    expect(() => classifierInfo('lda' as never)).toThrow(/unknown classifier/);
  });
});
