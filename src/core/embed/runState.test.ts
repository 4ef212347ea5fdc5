/**
 * The checkpoint's file columns (each done slot's file CRC-32 and size): they survive a round
 * trip, older checkpoints (version 2, version 1) still read with every file unknown, and a slot
 * put back to do by the store check loses its hash.
 */
import { describe, expect, it } from 'vitest';
import { crc32 } from '../formats/crc32.ts';
import { resumeRun, RunPlan, RunState, saveCheckpoint, SPLIT_TEST } from './runState.ts';
import { memoryRunFiles, RunStore } from './runStore.ts';

const plan = new RunPlan({
  key: 'file-hash-run',
  slots: 10,
  nTrain: 8,
  dim: 3,
  numClasses: 2,
  slotClass: Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1, -1, -1]),
  slotSplit: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, SPLIT_TEST, SPLIT_TEST]),
});
const row = (s: number) => Float32Array.from([s, s + 0.5, -s]);
// Slot 1 is byte-identical to slot 0; slot 6's CRC is 0, a real one; 4 GiB + 1 bytes needs float64.
const hashOf = (s: number) => (s === 1 ? 0x9e3779b9 : s === 6 ? 0 : (0x9e3779b9 + s * 0x85ebca6b) >>> 0);
const bytesOf = (s: number) => (s === 7 ? 2 ** 32 + 1 : s === 1 ? 1000 : 1000 + s);

function embedded(slots: number[], blockSlots = 4) {
  const files = memoryRunFiles();
  const store = new RunStore(files, plan.dim, 'f4');
  const state = new RunState(plan, blockSlots);
  for (const s of slots) {
    store.writeRows([s], row(s));
    state.recordEmbedding(s, row(s), 0, hashOf(s), bytesOf(s));
  }
  state.recordSkip(9, 'not an image');
  return { files, store, state };
}

/** A checkpoint as the version-2 writer (and, without block checksums, the version-1 writer) laid it out. */
function olderCheckpoint(state: RunState, store: RunStore, version: 1 | 2): Uint8Array {
  state.encode(store); // brings the block checksums, store length and sequence up to date
  const magic = version === 1 ? 'LTLRUN1\n' : 'LTLRUN2\n';
  const header = new TextEncoder().encode(
    JSON.stringify({
      key: plan.key,
      slots: plan.slots,
      dim: plan.dim,
      numClasses: plan.numClasses,
      sequence: state.sequence,
      done: state.done,
      skipped: [...state.skipReasons],
      ...(version === 2 ? { storeBytes: state.storeBytes, blockSlots: state.blockSlots } : {}),
    }),
  );
  const align8 = (n: number) => Math.ceil(n / 8) * 8;
  const headerEnd = align8(magic.length + 4 + header.length);
  const statusEnd = align8(headerEnd + state.status.length);
  const sumsEnd = statusEnd + state.sums.sums.byteLength;
  const countsEnd = sumsEnd + state.sums.counts.byteLength;
  const crcsEnd = countsEnd + (version === 2 ? state.blockCrcs.byteLength : 0);
  const out = new Uint8Array(crcsEnd + 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < magic.length; i++) out[i] = magic.charCodeAt(i);
  view.setUint32(magic.length, header.length, true);
  out.set(header, magic.length + 4);
  out.set(state.status, headerEnd);
  out.set(new Uint8Array(state.sums.sums.buffer), statusEnd);
  out.set(new Uint8Array(state.sums.counts.buffer), sumsEnd);
  if (version === 2) out.set(new Uint8Array(state.blockCrcs.buffer), countsEnd);
  view.setUint32(crcsEnd, crc32(out.subarray(0, crcsEnd)), true);
  return out;
}

describe('the run checkpoint keeps each file’s CRC-32 and size', () => {
  const done = [0, 1, 2, 3, 5, 6, 7, 8];

  it('a round trip through the store keeps both columns, and the newer checkpoint still wins', () => {
    const { files, store, state } = embedded(done.slice(0, 4));
    saveCheckpoint(state, store); // sequence 1: slots 0–3
    for (const s of done.slice(4)) {
      store.writeRows([s], row(s));
      state.recordEmbedding(s, row(s), 0, hashOf(s), bytesOf(s));
    }
    saveCheckpoint(state, store); // sequence 2: all of them
    const { state: back, resumed, check } = resumeRun(plan, new RunStore(files, plan.dim, 'f4'));
    expect(resumed).toBe(true);
    expect(back.sequence).toBe(2);
    expect(check!.requeued).toBe(0);
    for (let s = 0; s < plan.slots; s++) {
      expect(back.fileHash[s], `slot ${s}`).toBe(done.includes(s) ? hashOf(s) : 0);
      expect(back.fileBytes[s], `slot ${s}`).toBe(done.includes(s) ? bytesOf(s) : 0);
    }
    expect(back.fileBytes[7]).toBe(2 ** 32 + 1);
    expect(back.skipReasons.get(9)).toBe('not an image');
    // A damaged byte in the file columns is caught by the checkpoint's checksum.
    const bytes = state.encode(store);
    expect(RunState.decode(plan, bytes)).toBeInstanceOf(RunState);
    bytes[bytes.length - 4 - 4 * plan.slots] ^= 1;
    expect(RunState.decode(plan, bytes)).toBe('the checkpoint is damaged (checksum)');
  });

  it('a replayed slot keeps the hash it was first recorded with', () => {
    const { state } = embedded([0]);
    expect(state.recordEmbedding(0, row(0), 0, 12345, 67)).toBe(false);
    expect([state.fileHash[0], state.fileBytes[0]]).toEqual([hashOf(0), bytesOf(0)]);
  });

  for (const version of [2, 1] as const) {
    it(`a version-${version} checkpoint still reads, every file unknown`, () => {
      const { store, state } = embedded(done);
      const bytes = olderCheckpoint(state, store, version);
      const back = RunState.decode(plan, bytes);
      if (typeof back === 'string') throw new Error(back);
      expect(back.done).toBe(done.length);
      expect(Array.from(back.status)).toEqual(Array.from(state.status));
      expect(Array.from(back.sums.sums)).toEqual(Array.from(state.sums.sums));
      if (version === 2) expect(Array.from(back.blockCrcs)).toEqual(Array.from(state.blockCrcs));
      expect(back.fileHash.every((h) => h === 0)).toBe(true);
      expect(back.fileBytes.every((b) => b === 0)).toBe(true);
      // The next checkpoint is version 3 and keeps what is recorded from then on.
      store.writeRows([4], row(4));
      back.recordEmbedding(4, row(4), 0, 77, 88);
      const next = RunState.decode(plan, back.encode(store)) as RunState;
      expect(next.sequence).toBe(back.sequence);
      expect([next.fileHash[4], next.fileBytes[4], next.fileBytes[0]]).toEqual([77, 88, 0]);
    });
  }

  it('a slot the store check puts back to do loses its hash and size', () => {
    const { files, store, state } = embedded(done);
    saveCheckpoint(state, store);
    files.embeddings.truncate(4 * plan.dim * 4); // rows 4… gone: blocks [4–7] and [8–9] requeued
    const { state: back, check } = resumeRun(plan, new RunStore(files, plan.dim, 'f4'));
    expect(check!.requeued).toBe(4);
    expect(Array.from(back.todo())).toEqual([4, 5, 6, 7, 8]);
    for (const s of [5, 6, 7, 8]) expect([back.fileHash[s], back.fileBytes[s]]).toEqual([0, 0]);
    for (const s of [0, 1, 2, 3]) expect([back.fileHash[s], back.fileBytes[s]]).toEqual([hashOf(s), bytesOf(s)]);
  });
});
