/** What a projection reads and returns (projections.ts lists the projections). */

import type { GramKernel } from '../learn/lda.ts';
import type { ProjectionId } from './projectionNames.ts';

export interface RowSource {
  /** Points, and their row size. */
  count: number;
  dim: number;
  /** Per point: its class, −1 where it has none (test images). */
  classOf: Int32Array;
  /** Unit-length rows of `points` (indices into 0..count−1), [points.length × dim]. */
  readPoints(points: ArrayLike<number>): Float32Array;
}

export interface ProjectionContext {
  seed: number;
  /** The covariance pass's Gram product (default: plain JavaScript). */
  gram?: GramKernel;
  progress(stage: string): void;
  /** Awaited between blocks: lets a cancel in (throws when cancelled). */
  checkpoint(): Promise<void>;
}

export interface Projected {
  x: Float32Array;
  y: Float32Array;
  /** Points fitted on; the others were placed. */
  fitted: number;
  note: string;
  /** Places other rows ([count × dim], unit length) in the same map. */
  place(rows: Float32Array, count: number): { x: Float32Array; y: Float32Array };
}

export interface ProjectionInfo {
  id: ProjectionId;
  label: string;
  project(source: RowSource, ctx: ProjectionContext): Promise<Projected>;
}

/** Blocks of points for a pass over a source: [first, end). */
export const PASS_BLOCK = 4096;

export function* pointBlocks(count: number, block = PASS_BLOCK): Generator<{ first: number; points: Int32Array }> {
  for (let first = 0; first < count; first += block) {
    const end = Math.min(count, first + block);
    const points = new Int32Array(end - first);
    for (let i = 0; i < points.length; i++) points[i] = first + i;
    yield { first, points };
  }
}
