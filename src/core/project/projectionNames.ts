/**
 * The projections by id and name, without their code: the page's controls read this, so the
 * page's bundle does not carry umap-js (which only the embed worker runs).
 */
export const PROJECTION_NAMES = { pca: 'PCA', umap: 'UMAP' } as const;
export type ProjectionId = keyof typeof PROJECTION_NAMES;
export const PROJECTION_IDS = Object.keys(PROJECTION_NAMES) as ProjectionId[];
