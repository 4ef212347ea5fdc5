/** The family → genus → species tree of a dataset's classes, as index columns. */

export interface TaxonomyColumns {
  familyName: string[];
  genusName: string[];
  genusFamily: Int32Array;
  classGenus: Int32Array;
  classFamily: Int32Array;
}

/**
 * Indexes families by name and genera by (family, genus) pair, in order of first appearance, so
 * that a genus name found under two families (inconsistent metadata) never merges two branches.
 */
export function indexTaxonomy(classes: readonly { family: string; genus: string }[]): TaxonomyColumns {
  const familyIndex = new Map<string, number>();
  const genusIndex = new Map<string, number>();
  const familyName: string[] = [];
  const genusName: string[] = [];
  const genusFamily: number[] = [];
  const classGenus = new Int32Array(classes.length);
  const classFamily = new Int32Array(classes.length);
  classes.forEach((c, k) => {
    let f = familyIndex.get(c.family);
    if (f === undefined) {
      f = familyName.length;
      familyIndex.set(c.family, f);
      familyName.push(c.family);
    }
    const genusKey = c.family + '\u0000' + c.genus;
    let g = genusIndex.get(genusKey);
    if (g === undefined) {
      g = genusName.length;
      genusIndex.set(genusKey, g);
      genusName.push(c.genus);
      genusFamily.push(f);
    }
    classGenus[k] = g;
    classFamily[k] = f;
  });
  return { familyName, genusName, genusFamily: Int32Array.from(genusFamily), classGenus, classFamily };
}
