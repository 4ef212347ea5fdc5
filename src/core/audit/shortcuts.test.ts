import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.mjs';
import { accuracyByInstitution, institutionConcentration, shareHistogram, shortcutClasses } from './shortcuts.ts';

describe('institution shortcuts', () => {
  const random = mulberry32(4);
  const n = 3000;
  const classes = 40;
  const insts = 6;
  const imageClass = Int32Array.from({ length: n }, () => Math.floor(random() * classes));
  // Classes below 10 draw 95% of their images from institution (class mod 6); the rest spread evenly.
  const imageInstitution = Int32Array.from(imageClass, (c) => (random() < 0.1 ? -1 : c < 10 && random() < 0.95 ? c % insts : Math.floor(random() * insts)));
  const concentration = institutionConcentration(imageClass, imageInstitution, classes, insts);

  it('equals a class × institution count table', () => {
    const table = Array.from({ length: classes }, () => new Array(insts).fill(0));
    imageClass.forEach((c, i) => {
      if (imageInstitution[i] >= 0) table[c][imageInstitution[i]]++;
    });
    for (let c = 0; c < classes; c++) {
      const total = table[c].reduce((a, b) => a + b, 0);
      const best = Math.max(...table[c]);
      expect(concentration.images[c]).toBe(total);
      expect(concentration.mainInstitution[c]).toBe(table[c].indexOf(best));
      expect(concentration.share[c]).toBeCloseTo(best / total, 12);
      expect(concentration.institutions[c]).toBe(table[c].filter((v) => v > 0).length);
    }
  });

  it('lists the concentrated classes, most concentrated first', () => {
    const list = shortcutClasses(concentration, 0.8, 5);
    expect([...list].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, c) => c));
    for (let r = 1; r < list.length; r++) expect(concentration.share[list[r]]).toBeLessThanOrEqual(concentration.share[list[r - 1]]);
    expect(shortcutClasses(concentration, 0.8, 10_000).length).toBe(0);
    const hist = shareHistogram(concentration, 10, 5);
    expect(hist.reduce((a, b) => a + b, 0)).toBe(classes);
    expect(hist[9]).toBe(10);
  });

  it('compares accuracy on the main institution with the others, class-balanced', () => {
    // Hand-made: class 0 main institution 0; right on 2 of 2 main images, 1 of 4 others; class 1 has only main images.
    const cls = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 1, 1]);
    const inst = Int32Array.from([0, 0, 0, 1, 2, 1, 2, 3, 3]);
    const right = Int8Array.from([1, 1, -1, 1, 0, 0, 0, 1, 0]);
    const conc = institutionConcentration(cls, inst, 2, 4);
    const acc = accuracyByInstitution(cls, inst, right, conc);
    expect(acc.classes).toBe(1);
    expect(acc.mainAccuracy).toBe(1);
    expect(acc.otherAccuracy).toBe(0.25);
    expect(acc.mainImages).toBe(2);
    expect(acc.otherImages).toBe(4);
  });
});
