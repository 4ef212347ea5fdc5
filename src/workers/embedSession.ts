/**
 * What the embed worker holds between commands: the open run (its state, store and ids), the
 * loaded model, and the fitted classifier. One session per worker (or per in-page fallback);
 * the embed and classify handlers are made from it, so neither reaches into the other's module.
 */

import type { FeatureModel, ModelFiles } from '../compute/featureModel.ts';
import type { StringTable } from '../core/dataset/stringTable.ts';
import type { RunState } from '../core/embed/runState.ts';
import type { RunStore } from '../core/embed/runStore.ts';
import { auditHandlers } from './auditHandlers.ts';
import { classifyHandlers, type FittedClassifier } from './classifyHandlers.ts';
import { embedHandlers } from './embedHandlers.ts';
import { mapHandlers } from './mapHandlers.ts';
import { JobError, type EmbedWorkerCommands, type HandlersFor } from './protocol.ts';

export interface OpenRun {
  state: RunState;
  store: RunStore;
  storage: 'opfs' | 'memory';
  classCategoryId: Int32Array;
  trainIds: StringTable;
  testIds: StringTable | null;
  lastCheckpoint: number;
}

export interface LoadedModel {
  model: FeatureModel;
  /** Source, batch size and backend choice: the same key reuses the model. */
  key: string;
  reason: string;
}

export class EmbedSession {
  run: OpenRun | null = null;
  model: LoadedModel | null = null;
  /** The bundled model's files, fetched once per URL. */
  modelFiles: { url: string; files: ModelFiles } | null = null;
  /** One fitted classifier at a time; fitting again replaces it. */
  fitted: FittedClassifier | null = null;
  /**
   * The map's unit-length rows of the open run's done slots, kept for the neighbour queries when
   * they fit in UNIT_ROW_CACHE_BYTES (mapHandlers.ts); rebuilt when the run or its done count changes.
   */
  unitRows: { state: RunState; done: number; slots: Int32Array; rows: Float32Array } | null = null;
  /** The Web Lock that makes this tab the owner of the open run (src/workers/runLock.ts). */
  runLock: { key: string; release: () => void } | null = null;

  private turn: Promise<unknown> = Promise.resolve();

  /**
   * Runs `job` after every earlier one has settled. Opening and closing a run take the run's lock
   * across awaits: two of them at once (the page looking for a stored run while Start opens it)
   * would otherwise both ask for the lock, and the second would find it held by this very tab.
   */
  inTurn<T>(job: () => Promise<T>): Promise<T> {
    const result = this.turn.then(job, job);
    this.turn = result.catch(() => {});
    return result;
  }

  releaseRunLock(): void {
    this.runLock?.release();
    this.runLock = null;
  }

  requireRun(): OpenRun {
    if (!this.run) throw new JobError('no-run', 'no embedding run is open');
    return this.run;
  }
}

/** The image id in `slot` of `run` (train ids, then test ids). */
export function runImageId(run: OpenRun, slot: number): string {
  const image = run.state.plan.imageOf(slot);
  return image.test ? (run.testIds?.get(image.index) ?? '') : run.trainIds.get(image.index);
}

/** Everything the embed worker serves, over one session. */
export function embedWorkerHandlers(session = new EmbedSession()): HandlersFor<EmbedWorkerCommands> {
  return { ...embedHandlers(session), ...classifyHandlers(session), ...mapHandlers(session), ...auditHandlers(session) };
}
