/**
 * UMAP on a seeded, class-stratified sample of at most UMAP_FIT_LIMIT points (umap-js), the
 * other points placed at the similarity-weighted mean of their nearest fitted neighbours (an IVF
 * search over the fitted rows): one point per image is drawn, though not every one was fitted.
 */

import { NeighbourPlacer } from './place.ts';
import { PROJECTION_NAMES } from './projectionNames.ts';
import { pointBlocks, type ProjectionContext, type ProjectionInfo, type RowSource } from './source.ts';
import { fitUmap, stratifiedSample, UMAP_FIT_LIMIT } from './umap.ts';

export const umapMap: ProjectionInfo = {
  id: 'umap',
  label: PROJECTION_NAMES.umap,
  async project(source: RowSource, ctx: ProjectionContext) {
    const { count, dim } = source;
    const sample = stratifiedSample(source.classOf, UMAP_FIT_LIMIT, ctx.seed);
    const fittedRows = source.readPoints(sample);
    const t0 = performance.now();
    const fit = await fitUmap(fittedRows, sample.length, dim, {
      seed: ctx.seed,
      onEpoch: async (epoch, epochs) => {
        if (epoch % 10 === 0) ctx.progress(`UMAP: fitting ${sample.length.toLocaleString('en-US')} images, epoch ${epoch} of ${epochs}`);
        await ctx.checkpoint();
      },
    });
    const fitSeconds = (performance.now() - t0) / 1000;
    const x = new Float32Array(count);
    const y = new Float32Array(count);
    const placer = count > sample.length ? new NeighbourPlacer(fittedRows, sample.length, dim, fit.x, fit.y, { seed: ctx.seed }) : null;
    if (placer) {
      for (const { first, points } of pointBlocks(count)) {
        placer.place(source.readPoints(points), points.length, x, y, first);
        ctx.progress(`UMAP: placing ${Math.min(count, first + points.length).toLocaleString('en-US')} of ${count.toLocaleString('en-US')} images by their nearest fitted neighbours`);
        await ctx.checkpoint();
      }
    }
    // The fitted points keep their own coordinates.
    for (let k = 0; k < sample.length; k++) {
      x[sample[k]] = fit.x[k];
      y[sample[k]] = fit.y[k];
    }
    const placed = count - sample.length;
    return {
      x,
      y,
      fitted: sample.length,
      note:
        `UMAP fitted on ${sample.length.toLocaleString('en-US')} images (seeded, class-stratified) in ${fitSeconds.toFixed(1)} s` +
        (placed > 0 ? `; the other ${placed.toLocaleString('en-US')} placed by their 5 nearest fitted neighbours` : ''),
      place(rows: Float32Array, n: number) {
        const px = new Float32Array(n);
        const py = new Float32Array(n);
        if (placer) placer.place(rows, n, px, py, 0);
        else new NeighbourPlacer(fittedRows, sample.length, dim, fit.x, fit.y, { seed: ctx.seed }).place(rows, n, px, py, 0);
        return { x: px, y: py };
      },
    };
  },
};
