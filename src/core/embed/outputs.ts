/** The run's downloads, in CONTRACT.md's layouts: prototypes.npz and embeddings.npz. */

import { unicodeArray, type NpyArray } from '../formats/npy.ts';
import { writeNpz } from '../formats/npz.ts';
import { splitNames, type RunState } from './runState.ts';
import type { RunStore } from './runStore.ts';

/** `prototypes` float32 [C, D] (means of the train split), `category_id` int64 [C] ascending, `count` int64 [C]. */
export function prototypesNpz(state: RunState, classCategoryId: Int32Array): Blob {
  const { prototypes, counts } = state.sums.means();
  return writeNpz({
    prototypes: { dtype: '<f4', shape: [state.plan.numClasses, state.plan.dim], data: prototypes },
    category_id: { dtype: '<i8', shape: [classCategoryId.length], data: BigInt64Array.from(classCategoryId, (v) => BigInt(v)) },
    count: { dtype: '<i8', shape: [counts.length], data: BigInt64Array.from(counts, (v) => BigInt(v)) },
  });
}

/**
 * `embeddings` [N, D] of every image embedded (skipped ones are not rows), float32 or float16 as
 * stored; `image_id` unicode [N]; `category_id` int64 [N] (−1 for test images); `split` unicode [N].
 * Rows are in slot order: train images in metadata order, then test images.
 */
export function embeddingsNpz(state: RunState, store: RunStore, imageIdOf: (slot: number) => string, classCategoryId: Int32Array): Blob {
  const slots = Array.from(state.doneSlots('all'));
  const raw = store.readRaw(slots);
  const embeddings: NpyArray =
    raw instanceof Float32Array
      ? { dtype: '<f4', shape: [slots.length, state.plan.dim], data: raw }
      : { dtype: '<f2', shape: [slots.length, state.plan.dim], data: raw };
  const { slotClass, slotSplit } = state.plan;
  return writeNpz({
    embeddings,
    image_id: unicodeArray(slots.map(imageIdOf)),
    category_id: { dtype: '<i8', shape: [slots.length], data: BigInt64Array.from(slots, (s) => BigInt(slotClass[s] < 0 ? -1 : classCategoryId[slotClass[s]])) },
    split: unicodeArray(slots.map((s) => splitNames[slotSplit[s]])),
  });
}
