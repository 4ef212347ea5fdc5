/**
 * The map's projections: each is one module here (pcaMap.ts, umapMap.ts) and one entry below.
 * A projection reads the run's rows through a RowSource (blocks of unit-length rows, in point
 * order) and returns one (x, y) per point, plus a way to place other rows (the class means) in
 * the same map.
 */

import { pcaMap } from './pcaMap.ts';
import type { ProjectionInfo } from './source.ts';
import { umapMap } from './umapMap.ts';

export type { Projected, ProjectionContext, ProjectionInfo, RowSource } from './source.ts';

export const PROJECTIONS: readonly ProjectionInfo[] = [pcaMap, umapMap];

export function projectionInfo(id: string): ProjectionInfo {
  const info = PROJECTIONS.find((p) => p.id === id);
  if (!info) throw new RangeError(`no projection "${id}"`);
  return info;
}
