/**
 * The map and the neighbours over the embed worker's open run: projections read the run's done
 * slots as unit-length rows, a block at a time (src/core/project); the neighbours are an exact
 * cosine scan, over unit rows kept in memory when they fit, else read from the store per query.
 */

import * as tf from '@tensorflow/tfjs';
import { SLOT_DONE, SPLIT_TEST, type RunState } from '../core/embed/runState.ts';
import type { RunStore } from '../core/embed/runStore.ts';
import { tfGram } from '../compute/tfGram.ts';
import { NearestCollector, normalizeRows } from '../core/project/knn.ts';
import { projectionInfo } from '../core/project/projections.ts';
import { PASS_BLOCK, type RowSource } from '../core/project/source.ts';
import type { EmbedSession } from './embedSession.ts';
import { JobError, type MapHandlers } from './protocol.ts';

/** Unit rows kept for the neighbour queries up to this size (1,050,179 × 96 float32 is 403 MB). */
export const UNIT_ROW_CACHE_BYTES = 512 * 1024 ** 2;

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The run's done slots as a RowSource (rows read from the store, made unit length). */
function runSource(state: RunState, store: RunStore, slots: Int32Array): RowSource {
  const { plan } = state;
  const classOf = new Int32Array(slots.length);
  for (let i = 0; i < slots.length; i++) classOf[i] = plan.slotSplit[slots[i]] === SPLIT_TEST ? -1 : plan.slotClass[slots[i]];
  return {
    count: slots.length,
    dim: plan.dim,
    classOf,
    readPoints(points) {
      const wanted = new Int32Array(points.length);
      for (let i = 0; i < points.length; i++) wanted[i] = slots[points[i]];
      return normalizeRows(store.readRows(wanted), wanted.length, plan.dim);
    },
  };
}

/** Unit rows of every done slot, kept on the session while they fit and the run is unchanged. */
function cachedUnitRows(session: EmbedSession, limitBytes: number): EmbedSession['unitRows'] {
  const { state, store } = session.requireRun();
  const cached = session.unitRows;
  if (cached && cached.state === state && cached.done === state.done) return cached;
  session.unitRows = null;
  if (state.done * state.plan.dim * 4 > limitBytes) return null;
  const slots = state.doneSlots('all');
  const rows = new Float32Array(slots.length * state.plan.dim);
  for (let i = 0; i < slots.length; i += PASS_BLOCK) {
    const part = slots.subarray(i, i + PASS_BLOCK);
    rows.set(normalizeRows(store.readRows(part), part.length, state.plan.dim), i * state.plan.dim);
  }
  session.unitRows = { state, done: state.done, slots, rows };
  return session.unitRows;
}

function requireEmbedded(state: RunState): void {
  if (state.done === 0) throw new JobError('no-data', 'no image of this run is embedded yet: embed some first');
}

/** `unitRowCacheBytes`: the most the neighbour scan keeps in memory (tests set 0 to scan the store). */
export function mapHandlers(session: EmbedSession, { unitRowCacheBytes = UNIT_ROW_CACHE_BYTES } = {}): MapHandlers {
  return {
    async mapProject(request, ctx) {
      const t0 = performance.now();
      const { state, store } = session.requireRun();
      requireEmbedded(state);
      const { plan } = state;
      const slots = state.doneSlots('all');
      const source = runSource(state, store, slots);
      const projected = await projectionInfo(request.projection).project(source, {
        seed: request.seed,
        // The covariance's Gram product on tfjs's backend where it has a fast one (WASM, a GPU).
        gram: tf.getBackend() && tf.getBackend() !== 'cpu' ? tfGram : undefined,
        progress: (stage) => ctx.progress(stage),
        checkpoint: async () => {
          await macrotask();
          await ctx.checkpoint();
        },
      });
      // The class means (train images) in the same map.
      const { sums, counts } = state.sums;
      const classes: number[] = [];
      for (let c = 0; c < plan.numClasses; c++) if (counts[c] > 0) classes.push(c);
      const means = new Float32Array(classes.length * plan.dim);
      classes.forEach((c, k) => {
        for (let j = 0; j < plan.dim; j++) means[k * plan.dim + j] = sums[c * plan.dim + j] / counts[c];
      });
      normalizeRows(means, classes.length, plan.dim);
      const placed = projected.place(means, classes.length);
      const split = new Uint8Array(slots.length);
      for (let i = 0; i < slots.length; i++) split[i] = plan.slotSplit[slots[i]];
      const prototypes = { classIndex: Int32Array.from(classes), count: Int32Array.from(classes, (c) => counts[c]), x: placed.x, y: placed.y };
      return {
        result: {
          projection: request.projection,
          slots,
          split,
          classOf: source.classOf,
          x: projected.x,
          y: projected.y,
          prototypes,
          fitted: projected.fitted,
          note: projected.note,
          ms: performance.now() - t0,
        },
        transfer: [slots.buffer, split.buffer, source.classOf.buffer, projected.x.buffer, projected.y.buffer, prototypes.classIndex.buffer, prototypes.count.buffer, placed.x.buffer, placed.y.buffer],
      };
    },

    async mapNeighbours(request, ctx) {
      const t0 = performance.now();
      const { state, store } = session.requireRun();
      requireEmbedded(state);
      const { plan } = state;
      const { slot, scope } = request;
      if (!(slot >= 0 && slot < plan.slots) || state.status[slot] !== SLOT_DONE) throw new JobError('bad-input', 'this image is not embedded in the run');
      const dim = plan.dim;
      const query = normalizeRows(store.readRows([slot]), 1, dim);
      const own = plan.slotSplit[slot] === SPLIT_TEST ? -1 : plan.slotClass[slot];
      const classOfSlot = (s: number) => (plan.slotSplit[s] === SPLIT_TEST ? -1 : plan.slotClass[s]);
      const wanted = (s: number) => s !== slot && (scope === 'all' || own < 0 || (scope === 'same' ? classOfSlot(s) === own : classOfSlot(s) !== own));
      const collector = new NearestCollector(Math.max(1, Math.min(100, Math.floor(request.k))));
      const cached = cachedUnitRows(session, unitRowCacheBytes);
      let scanned = 0;
      const answer = (pointSlots: Int32Array) => {
        const order = collector.result();
        const found = Int32Array.from(order.indexes, (i) => pointSlots[i]);
        const splits = Uint8Array.from(found, (s) => plan.slotSplit[s]);
        return { result: { slot, split: plan.slotSplit[slot], slots: found, splits, cosines: order.cosines, scanned, ms: performance.now() - t0 }, transfer: [] };
      };
      if (cached) {
        const { slots, rows } = cached;
        collector.scan(rows, slots.length, dim, query, 0, (i) => wanted(slots[i]));
        scanned = slots.length;
        return answer(slots);
      }
      // Too large to keep: the rows come from the store, a block at a time.
      const slots = state.doneSlots('all');
      for (let i = 0; i < slots.length; i += PASS_BLOCK) {
        const part = slots.subarray(i, i + PASS_BLOCK);
        collector.scan(normalizeRows(store.readRows(part), part.length, dim), part.length, dim, query, i, (p) => wanted(slots[p]));
        scanned += part.length;
        if ((i / PASS_BLOCK) % 16 === 15) {
          ctx.progress(`scanned ${scanned.toLocaleString('en-US')} of ${slots.length.toLocaleString('en-US')} images`);
          await macrotask();
          await ctx.checkpoint();
        }
      }
      return answer(slots);
    },
  };
}


