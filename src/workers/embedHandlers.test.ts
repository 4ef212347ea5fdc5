/**
 * The embed worker's run commands over a session, with a fake model (its rows are a function
 * of the pixels): a run opens in memory where there is no OPFS, batches are recorded, the state
 * is checkpointed once CHECKPOINT_MS has passed since the last one (and not before), and errors
 * carry their codes.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FeatureModel } from '../compute/featureModel.ts';
import { StringTable } from '../core/dataset/stringTable.ts';
import { CHECKPOINT_MS } from '../core/embed/checkpoints.ts';
import { MODEL_INPUT_SIZE } from '../core/embed/preprocess.ts';
import { RunPlan, RunState, SPLIT_HELDOUT, SPLIT_TRAIN, type RunPlanData } from '../core/embed/runState.ts';
import { readNpz } from '../core/formats/npz.ts';
import { embedHandlers } from './embedHandlers.ts';
import { EmbedSession, runImageId } from './embedSession.ts';
import type { JobContext } from './protocol.ts';

const D = 4;
const N = 12;
const PIXELS = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE * 3;
const ctx: JobContext<never> = { progress: () => {}, checkpoint: async () => {} };

const planData: RunPlanData = {
  key: 'test-run',
  slots: N,
  nTrain: N,
  dim: D,
  numClasses: 3,
  slotClass: Int32Array.from({ length: N }, (_, s) => s % 3),
  slotSplit: Uint8Array.from({ length: N }, (_, s) => (s % 4 === 3 ? SPLIT_HELDOUT : SPLIT_TRAIN)),
};

/** Row k of a batch: (p, 2p, 3p, 4p) for the first pixel byte p of image k. */
function fakeModel(dim = D): FeatureModel {
  return {
    dim,
    origin: 'fake',
    embed: async (pixels: Uint8Array, n: number) => {
      const rows = new Float32Array(n * dim);
      for (let k = 0; k < n; k++) for (let j = 0; j < dim; j++) rows[k * dim + j] = pixels[k * PIXELS] * (j + 1);
      return rows;
    },
    dispose() {},
  } as unknown as FeatureModel;
}

/** Image k holds bytes s+1; its file's CRC-32 is 1000+s and its size 2000+s. */
function batchOf(slots: number[]) {
  const pixels = new Uint8Array(slots.length * PIXELS);
  slots.forEach((s, k) => pixels.fill(s + 1, k * PIXELS, (k + 1) * PIXELS));
  const fileHashes = Uint32Array.from(slots, (s) => 1000 + s);
  const fileBytes = Float64Array.from(slots, (s) => 2000 + s);
  return { slots: Int32Array.from(slots), pixels, fileHashes, fileBytes, skipped: [] as [number, string][] };
}

async function openSession() {
  const session = new EmbedSession();
  const handlers = embedHandlers(session);
  const opened = await handlers.embedOpen(
    {
      plan: planData,
      classCategoryId: Int32Array.from([10, 20, 30]),
      trainIds: StringTable.from(Array.from({ length: N }, (_, i) => `img${i}`)).toData(),
      testIds: null,
      create: true,
    },
    ctx,
  );
  return { session, handlers, opened: opened.result! };
}

// embedBatch reports tf.memory(): a backend must be up (the fake model uses none).
beforeAll(() => tf.setBackend('cpu'));
afterEach(() => vi.restoreAllMocks());

describe('embedHandlers over a session', () => {
  it('opens in memory where the browser has no OPFS, says so, and has every slot to do', async () => {
    const { session, handlers, opened } = await openSession();
    expect(opened.storage).toBe('memory');
    expect(opened.storageNote).toMatch(/reload loses it/);
    expect([...opened.todo]).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(session.run?.state.plan).toBeInstanceOf(RunPlan);
    // Nothing stored to reopen without `create`.
    const again = await handlers.embedOpen({ plan: planData, classCategoryId: new Int32Array(3), trainIds: StringTable.from([]).toData(), testIds: null, create: false }, ctx);
    expect(again.result).toBeNull();
  });

  it('errors carry their codes: no run, no model, a model of another size', async () => {
    const empty = embedHandlers(new EmbedSession());
    await expect(empty.embedBatch(batchOf([0]), ctx)).rejects.toMatchObject({ code: 'no-run' });
    const { session, handlers } = await openSession();
    await expect(handlers.embedBatch(batchOf([0]), ctx)).rejects.toMatchObject({ code: 'no-model' });
    session.model = { model: fakeModel(D + 1), key: 'k', reason: 'test' };
    await expect(handlers.embedBatch(batchOf([0]), ctx)).rejects.toMatchObject({ code: 'bad-input' });
    // File columns not aligned with the slots: refused before anything is recorded.
    session.model = { model: fakeModel(), key: 'k', reason: 'test' };
    await expect(handlers.embedBatch({ ...batchOf([0, 1]), fileHashes: new Uint32Array(1), skipped: [[5, 'x']] }, ctx)).rejects.toMatchObject({ code: 'bad-input' });
    expect(session.requireRun().state.processed).toBe(0);
  });

  it('checkpoints once CHECKPOINT_MS has passed since the last one, not before; the checkpoint restores the run', async () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const { session, handlers } = await openSession();
    session.model = { model: fakeModel(), key: 'k', reason: 'test' };
    const first = await handlers.embedBatch(batchOf([0, 1, 2]), ctx);
    expect(first.result).toMatchObject({ done: 3, checkpointedAt: null });
    now += CHECKPOINT_MS - 1;
    expect((await handlers.embedBatch(batchOf([3, 4]), ctx)).result.checkpointedAt).toBeNull();
    now += 1;
    expect((await handlers.embedBatch(batchOf([5]), ctx)).result.checkpointedAt).toBe(now);
    // Done since: not in the checkpoint yet.
    now += 1;
    expect((await handlers.embedBatch(batchOf([6, 7]), ctx)).result).toMatchObject({ done: 8, checkpointedAt: null });

    const { store } = session.requireRun();
    const restored = RunState.newest(new RunPlan(planData), store.loadStates()).state!;
    expect(restored.done).toBe(6);
    expect([...restored.doneSlots('all')]).toEqual([0, 1, 2, 3, 4, 5]);
    // Each done slot's file hash and size are in the checkpoint; slots done since are not.
    expect([...restored.fileHash.subarray(0, 8)]).toEqual([1000, 1001, 1002, 1003, 1004, 1005, 0, 0]);
    expect([...restored.fileBytes.subarray(0, 8)]).toEqual([2000, 2001, 2002, 2003, 2004, 2005, 0, 0]);
  });

  it('embeddings.npz holds the rows the model gave, by slot, with their image ids', async () => {
    const { session, handlers } = await openSession();
    session.model = { model: fakeModel(), key: 'k', reason: 'test' };
    await handlers.embedBatch({ ...batchOf([4, 9]), skipped: [[2, 'could not be decoded']] }, ctx);
    const blob = (await handlers.embedExport({ what: 'embeddings' }, ctx)).result;
    const arrays = await readNpz(new Uint8Array(await blob.arrayBuffer()));
    expect(arrays.embeddings.shape).toEqual([2, D]);
    expect([...(arrays.embeddings.data as Float32Array)]).toEqual([5, 10, 15, 20, 10, 20, 30, 40]);
    expect(runImageId(session.requireRun(), 9)).toBe('img9');
    await handlers.embedClose({ discard: false }, ctx);
    expect(session.run).toBeNull();
  });

  it('a batch replayed for slots already done leaves their stored rows and sums as counted', async () => {
    const { session, handlers } = await openSession();
    session.model = { model: fakeModel(), key: 'k', reason: 'test' };
    await handlers.embedBatch(batchOf([0, 1]), ctx);
    // The same slots again, with other pixels (another backend rounds differently), plus a new one.
    const replay = batchOf([0, 1, 2]);
    replay.pixels.fill(200, 0, 2 * PIXELS);
    replay.fileHashes[0] = 7;
    const result = (await handlers.embedBatch(replay, ctx)).result;
    expect(result.done).toBe(3);
    const r = session.requireRun();
    // Row of slot s is (s+1)·(1, 2, 3, 4): the first embedding, not the replay's 200·(1, 2, 3, 4).
    expect([...r.store.readRows([0, 1, 2])]).toEqual([1, 2, 3, 4, 2, 4, 6, 8, 3, 6, 9, 12]);
    expect([...r.state.sums.sums.subarray(0, D)]).toEqual([1, 2, 3, 4]);
    expect([...r.state.fileHash.subarray(0, 3)]).toEqual([1000, 1001, 1002]);
  });
});
