/**
 * PCA of the unit-length rows (the cosine geometry the neighbours and UMAP use): one pass for
 * the mean and covariance, an eigen-decomposition of the D×D covariance, one pass to project.
 */

import { CovarianceAccumulator, pcaBasis, projectRows } from './pca.ts';
import { PROJECTION_NAMES } from './projectionNames.ts';
import { pointBlocks, type ProjectionContext, type ProjectionInfo, type RowSource } from './source.ts';

export const pcaMap: ProjectionInfo = {
  id: 'pca',
  label: PROJECTION_NAMES.pca,
  async project(source: RowSource, ctx: ProjectionContext) {
    const { count, dim } = source;
    const acc = new CovarianceAccumulator(dim, ctx.gram);
    for (const { first, points } of pointBlocks(count)) {
      await acc.add(source.readPoints(points), points.length);
      ctx.progress(`PCA: covariance of ${Math.min(count, first + points.length).toLocaleString('en-US')} of ${count.toLocaleString('en-US')} images`);
      await ctx.checkpoint();
    }
    const basis = pcaBasis(acc, 2);
    const x = new Float32Array(count);
    const y = new Float32Array(count);
    for (const { first, points } of pointBlocks(count)) {
      projectRows(basis, source.readPoints(points), points.length, x, y, first);
      ctx.progress(`PCA: projecting ${Math.min(count, first + points.length).toLocaleString('en-US')} of ${count.toLocaleString('en-US')} images`);
      await ctx.checkpoint();
    }
    const share = (k: number) => (basis.totalVariance > 0 ? (100 * basis.variance[k]) / basis.totalVariance : 0);
    return {
      x,
      y,
      fitted: count,
      note: `PCA of ${count.toLocaleString('en-US')} unit-length embeddings: the two axes explain ${share(0).toFixed(1)}% and ${share(1).toFixed(1)}% of the variance`,
      place(rows: Float32Array, n: number) {
        const px = new Float32Array(n);
        const py = new Float32Array(n);
        projectRows(basis, rows, n, px, py, 0);
        return { x: px, y: py };
      },
    };
  },
};
