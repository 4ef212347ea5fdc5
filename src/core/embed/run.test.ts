import { describe, expect, it } from 'vitest';
import { readNpz } from '../formats/npz.ts';
import { fromFloat16Bits } from '../formats/float16.ts';
import { mulberry32 } from '../random.mjs';
import { embeddingsNpz, prototypesNpz } from './outputs.ts';
import { resumeRun, RunPlan, RunState, saveCheckpoint, SLOT_DONE, SLOT_TODO, SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TRAIN } from './runState.ts';
import { memoryRunFiles, RunStore, storeDtypeFor } from './runStore.ts';

// 12 slots: classes 0, 1, 2 (category ids 3, 7, 11), one held-out image, two test images.
const classCategoryId = Int32Array.from([3, 7, 11]);
const plan = new RunPlan({
  key: 'test-run',
  slots: 12,
  nTrain: 10,
  dim: 4,
  numClasses: 3,
  slotClass: Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2, 0, -1, -1]),
  slotSplit: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TEST]),
});
const random = mulberry32(11);
const rows = Float32Array.from({ length: plan.slots * plan.dim }, () => Math.fround(random() * 2 - 1));
const row = (s: number) => rows.subarray(s * plan.dim, (s + 1) * plan.dim);

/** Embeds `slots` in order the way the worker does: store first, then state. */
function embed(state: RunState, store: RunStore, slots: number[]) {
  for (const s of slots) {
    store.writeRows([s], row(s));
    state.recordEmbedding(s, row(s));
  }
}

/** Mean of the train rows of class c, computed directly. */
function directMean(c: number): number[] {
  const members = [...Array(plan.slots).keys()].filter((s) => plan.slotClass[s] === c && plan.slotSplit[s] === SPLIT_TRAIN && s !== 4);
  return Array.from({ length: plan.dim }, (_, j) => members.reduce((a, s) => a + rows[s * plan.dim + j], 0) / members.length);
}

describe('an embedding run: state, store, checkpoints and outputs', () => {
  it('a run interrupted, reloaded from its checkpoint and finished gives the uninterrupted result', async () => {
    const whole = new RunState(plan);
    const wholeStore = new RunStore(memoryRunFiles(), plan.dim, 'f4');
    embed(whole, wholeStore, [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11]);
    whole.recordSkip(4, 'the file is not an image');

    // The interrupted run: checkpoint after 5 slots, then 2 more embedded and lost with the tab.
    const files = memoryRunFiles();
    const first = new RunState(plan);
    const store = new RunStore(files, plan.dim, 'f4');
    embed(first, store, [0, 1, 2, 3, 5]);
    first.recordSkip(4, 'the file is not an image');
    saveCheckpoint(first, store);
    embed(first, store, [6, 7]);

    // After the reload: the checkpoint says 5 done, 1 skipped; 6 and 7 are done again.
    const reopened = new RunStore(files, plan.dim, 'f4');
    const { state, index, problems } = RunState.newest(plan, reopened.loadStates());
    expect(problems).toEqual([]);
    expect(index).toBe(0);
    expect(state!.done).toBe(5);
    expect(state!.skipReasons.get(4)).toBe('the file is not an image');
    expect(Array.from(state!.todo())).toEqual([6, 7, 8, 9, 10, 11]);
    reopened.resumedFrom(index);
    embed(state!, reopened, Array.from(state!.todo()));
    // Replaying a slot already counted changes nothing.
    expect(state!.recordEmbedding(0, row(0))).toBe(false);

    expect(Array.from(state!.sums.counts)).toEqual([3, 1, 4]);
    expect(Array.from(state!.sums.counts)).toEqual(Array.from(whole.sums.counts));
    for (let i = 0; i < whole.sums.sums.length; i++) expect(state!.sums.sums[i]).toBeCloseTo(whole.sums.sums[i], 12);
    const means = state!.sums.means().prototypes;
    for (let c = 0; c < 3; c++) directMean(c).forEach((v, j) => expect(means[c * plan.dim + j]).toBeCloseTo(v, 6));

    // prototypes.npz as NumPy would read it.
    const npz = await readNpz(new Uint8Array(await prototypesNpz(state!, classCategoryId).arrayBuffer()));
    expect(npz.prototypes.shape).toEqual([3, 4]);
    expect(npz.prototypes.dtype).toBe('<f4');
    expect(Array.from(npz.category_id.data as BigInt64Array)).toEqual([3n, 7n, 11n]);
    expect(Array.from(npz.count.data as BigInt64Array)).toEqual([3n, 1n, 4n]);
    expect(Array.from(npz.prototypes.data as Float32Array)).toEqual(Array.from(means));

    // embeddings.npz: the 11 embedded slots in slot order, the skipped one left out.
    const emb = await readNpz(new Uint8Array(await embeddingsNpz(state!, reopened, (s) => `img-${s}`, classCategoryId).arrayBuffer()));
    const done = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11];
    expect(emb.embeddings.shape).toEqual([11, 4]);
    expect(emb.image_id.data).toEqual(done.map((s) => `img-${s}`));
    expect(Array.from(emb.category_id.data as BigInt64Array)).toEqual(done.map((s) => BigInt(plan.slotClass[s] < 0 ? -1 : classCategoryId[plan.slotClass[s]])));
    expect(emb.split.data).toEqual(done.map((s) => ['train', 'heldout', 'test'][plan.slotSplit[s]]));
    done.forEach((s, k) => expect(Array.from((emb.embeddings.data as Float32Array).subarray(k * 4, k * 4 + 4))).toEqual(Array.from(row(s))));
  });

  it('checkpoints alternate: a damaged newest one falls back to the one before', () => {
    const files = memoryRunFiles();
    const store = new RunStore(files, plan.dim, 'f4');
    const state = new RunState(plan);
    embed(state, store, [0, 1]);
    saveCheckpoint(state, store); // A, sequence 1
    embed(state, store, [2]);
    saveCheckpoint(state, store); // B, sequence 2
    const [a, b] = store.loadStates();
    b![b!.length - 10] ^= 0xff;
    const { state: back, index, problems } = RunState.newest(plan, [a, b]);
    expect(problems).toEqual(['the checkpoint is damaged (checksum)']);
    expect(index).toBe(0);
    expect(back!.done).toBe(2);
    expect(RunState.decode(new RunPlan({ ...plan, key: 'another' }), a!)).toBe('the checkpoint belongs to another run');
    expect(RunState.decode(plan, a!.subarray(0, 20))).toBe('the checkpoint is damaged (checksum)');
  });

  it('a float16 store keeps rows to half precision', () => {
    expect(storeDtypeFor(840_000, 96)).toBe('f4');
    expect(storeDtypeFor(1_050_000, 1280)).toBe('f2');
    const store = new RunStore(memoryRunFiles(), plan.dim, 'f2');
    store.writeRows([3, 1], rows.subarray(0, 8));
    const back = store.readRows([1, 3]);
    for (let j = 0; j < 4; j++) {
      expect(Math.abs(back[j] - rows[4 + j])).toBeLessThanOrEqual(2 ** -11);
      expect(Math.abs(back[4 + j] - rows[j])).toBeLessThanOrEqual(2 ** -11);
    }
    const raw = store.readRaw([3]) as Uint16Array;
    expect(fromFloat16Bits(raw[0])).toBe(back[4]);
    // An unwritten slot reads as zeros.
    expect(Array.from(store.readRows([7]))).toEqual([0, 0, 0, 0]);
  });

  it('consecutive slots are written and read as runs, gaps and unwritten slots read as zeros', () => {
    const files = memoryRunFiles();
    const store = new RunStore(files, plan.dim, 'f4');
    store.writeRows([5, 6, 7, 2], rows.subarray(0, 16));
    // Slots 5–7 were one write: the file ends after slot 7.
    expect(files.embeddings.size()).toBe(8 * plan.dim * 4);
    const back = store.readRows([4, 5, 6, 7, 8, 2]);
    const expected = [new Float32Array(4), rows.subarray(0, 4), rows.subarray(4, 8), rows.subarray(8, 12), new Float32Array(4), rows.subarray(12, 16)];
    expected.forEach((row, k) => expect(Array.from(back.subarray(k * 4, k * 4 + 4))).toEqual(Array.from(row)));
    expect(SLOT_DONE).toBe(1);
  });

  describe('the store is checked against its checkpoint on resume', () => {
    // Blocks of 4 slots: [0–3] [4–7] [8–11]; slot 4 is skipped.
    function checkpointedRun(dtype: 'f4' | 'f2' = 'f4') {
      const files = memoryRunFiles();
      const store = new RunStore(files, plan.dim, dtype);
      const state = new RunState(plan, 4);
      embed(state, store, [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11]);
      state.recordSkip(4, 'the file is not an image');
      saveCheckpoint(state, store);
      return { files, store: new RunStore(files, plan.dim, dtype) };
    }

    /** Finishes a resumed run and checks it against the uninterrupted one, row by row. */
    async function finishAndCompare(state: RunState, store: RunStore) {
      embed(state, store, Array.from(state.todo()));
      expect(state.done).toBe(11);
      expect(Array.from(state.sums.counts)).toEqual([3, 1, 4]);
      const means = state.sums.means().prototypes;
      for (let c = 0; c < 3; c++) directMean(c).forEach((v, j) => expect(means[c * plan.dim + j]).toBeCloseTo(v, 6));
      const emb = await readNpz(new Uint8Array(await embeddingsNpz(state, store, (s) => `img-${s}`, classCategoryId).arrayBuffer()));
      [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11].forEach((s, k) => expect(Array.from((emb.embeddings.data as Float32Array).subarray(k * 4, k * 4 + 4))).toEqual(Array.from(row(s))));
    }

    it('a store cut in half: the done slots of the blocks it lost are embedded again, and said so', async () => {
      const { files, store } = checkpointedRun();
      files.embeddings.truncate(6 * plan.dim * 4); // rows 6… gone
      const { state, resumed, check } = resumeRun(plan, store);
      expect(resumed).toBe(true);
      expect(check).toEqual({ requeued: 7, damagedBlocks: 2, expectedBytes: 12 * plan.dim * 4, actualBytes: 6 * plan.dim * 4, sumsRebuilt: true });
      // Block [4–7] lost rows 6 and 7, so its done slots 5, 6, 7 go again; block [8–11] is gone.
      expect(Array.from(state.todo())).toEqual([5, 6, 7, 8, 9, 10, 11]);
      expect(state.status[4]).not.toBe(SLOT_TODO);
      // The sums hold only the intact train rows 0–3, not the lost ones.
      expect(Array.from(state.sums.counts)).toEqual([3, 1, 0]);
      await finishAndCompare(state, store);
    });

    it('one damaged byte re-embeds only its block; an intact store resumes untouched', async () => {
      const { files, store } = checkpointedRun();
      const byte = new Uint8Array(1);
      files.embeddings.read(byte, 1 * plan.dim * 4 + 2);
      byte[0] ^= 0x10;
      files.embeddings.write(byte, 1 * plan.dim * 4 + 2);
      const { state, check } = resumeRun(plan, store);
      expect(check!.requeued).toBe(4);
      expect(Array.from(state.todo())).toEqual([0, 1, 2, 3]);
      await finishAndCompare(state, store);

      const intact = checkpointedRun('f2');
      const again = resumeRun(plan, intact.store);
      expect(again.check).toEqual({ requeued: 0, damagedBlocks: 0, expectedBytes: 12 * plan.dim * 2, actualBytes: 12 * plan.dim * 2, sumsRebuilt: false });
      expect(again.state.todo().length).toBe(0);
    });

    it('rows written after the checkpoint for slots still to do do not count as damage', () => {
      const files = memoryRunFiles();
      const store = new RunStore(files, plan.dim, 'f4');
      const state = new RunState(plan, 4);
      embed(state, store, [0, 1]);
      saveCheckpoint(state, store);
      // Slots 2 and 3 (same block) written, then the tab closed before the next checkpoint.
      store.writeRows([2, 3], rows.subarray(8, 16));
      const { state: back, check } = resumeRun(plan, new RunStore(files, plan.dim, 'f4'));
      expect(check!.requeued).toBe(0);
      expect(back.done).toBe(2);
    });
  });
});
