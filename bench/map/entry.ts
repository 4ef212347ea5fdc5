// What bench/map/run.mjs bundles: the map's projections and the neighbour scan, as the worker runs them.
export { pcaMap } from '../../src/core/project/pcaMap.ts';
export { umapMap } from '../../src/core/project/umapMap.ts';
export { UMAP_FIT_LIMIT } from '../../src/core/project/umap.ts';
export { nearestByCosine, normalizeRows } from '../../src/core/project/knn.ts';
export { mulberry32 } from '../../src/core/random.mjs';
