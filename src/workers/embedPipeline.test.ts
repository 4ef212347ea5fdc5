/**
 * EmbedPipeline with fake decoders and a fake embed worker whose answers the test releases by
 * hand: every slot goes through exactly once (embedded or skipped with its reason), the queues
 * stay within their bounds at every step, pause lets what is in flight land, and a failed batch
 * stops the run with its error.
 */
import { describe, expect, it } from 'vitest';
import { MODEL_INPUT_SIZE } from '../core/embed/preprocess.ts';
import { EmbedPipeline, type PipelineOptions, type PipelineProgress } from './embedPipeline.ts';
import type { EmbedBatchRequest } from './protocol.ts';

const PIXELS = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE * 3;

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}
const settle = () => new Promise<void>((r) => setTimeout(r, 0));
/** What the fake decoder says of each slot's file: its CRC-32 and size. */
const hashOf = (slot: number) => (slot * 0x9e3779b1) >>> 0;
const bytesOf = (slot: number) => 5000 + slot;

/** Fakes whose work is released by the test; they record what was in flight at every moment. */
function harness(options: { slots: number; batchSize: number; decoders: number; missing?: Set<number>; unreadable?: Set<number>; decoderError?: Set<number> }) {
  const decodes: { slot: number; answer: Deferred<unknown> }[] = [];
  const batches: { request: EmbedBatchRequest; answer: Deferred<unknown> }[] = [];
  let decodingNow = 0;
  let batchesNow = 0;
  const peak = { decoding: 0, batches: 0 };
  let done = 0;
  let skipped = 0;
  const progress: PipelineProgress[] = [];
  const files = new Map<File, number>();
  const fileOf = (slot: number) => {
    if (options.missing?.has(slot)) return undefined;
    const file = new File([String(slot)], `${slot}.jpg`);
    files.set(file, slot);
    return file;
  };
  const decoders: PipelineOptions['decoders'] = {
    size: options.decoders,
    run: ((_command: 'modelPixels', request: { file: File }) => {
      const slot = files.get(request.file)!;
      const answer = deferred<unknown>();
      decodes.push({ slot, answer });
      peak.decoding = Math.max(peak.decoding, ++decodingNow);
      return answer.promise.finally(() => decodingNow--);
    }) as never,
  };
  const embed: PipelineOptions['embed'] = {
    run: ((_command: 'embedBatch', request: EmbedBatchRequest) => {
      const answer = deferred<unknown>();
      batches.push({ request, answer });
      peak.batches = Math.max(peak.batches, ++batchesNow);
      return answer.promise.finally(() => batchesNow--);
    }) as never,
  };
  const todo = Int32Array.from({ length: options.slots }, (_, i) => i);
  const pipeline = new EmbedPipeline({ todo, batchSize: options.batchSize, fileOf, decoders, embed, onBatch: (p) => progress.push(p) });

  /** Answers every decode waiting (unreadable ones as failures). */
  function releaseDecodes() {
    for (const d of decodes.splice(0)) {
      if (options.decoderError?.has(d.slot)) d.answer.reject(new Error('worker died'));
      else if (options.unreadable?.has(d.slot)) d.answer.resolve({ ok: false, reason: 'could not be decoded as an image' });
      else d.answer.resolve({ ok: true, pixels: new Uint8Array(PIXELS).fill(d.slot % 251), width: 1, height: 1, fileHash: hashOf(d.slot), fileBytes: bytesOf(d.slot) });
    }
  }
  /** Answers every decode and every batch waiting, once. */
  function releaseAll() {
    releaseDecodes();
    for (const b of batches.splice(0)) {
      // Each image's file hash and size travel beside its slot, in the same order.
      const { slots, fileHashes, fileBytes } = b.request;
      expect([fileHashes.length, fileBytes.length]).toEqual([slots.length, slots.length]);
      expect(Array.from(fileHashes)).toEqual(Array.from(slots, hashOf));
      expect(Array.from(fileBytes)).toEqual(Array.from(slots, bytesOf));
      done += b.request.slots.length;
      skipped += b.request.skipped.length;
      b.answer.resolve({ done, skipped, numTensors: 5, embedMs: 1, checkpointedAt: null });
    }
  }
  return { pipeline, decodes, batches, peak, progress, releaseAll, releaseDecodes, counts: () => ({ done, skipped }) };
}

/** Drives the fakes until `until` holds or nothing is left to answer. */
async function pump(h: ReturnType<typeof harness>, until: () => boolean) {
  for (let i = 0; i < 10_000 && !until(); i++) {
    await settle();
    if (h.decodes.length === 0 && h.batches.length === 0) await settle();
    h.releaseAll();
  }
}

describe('EmbedPipeline', () => {
  it('every slot once: embedded in order of decode, missing and unreadable ones skipped with their reasons', async () => {
    const missing = new Set([3, 4, 40]);
    const unreadable = new Set([7, 50]);
    const decoderError = new Set([11]);
    const h = harness({ slots: 61, batchSize: 8, decoders: 2, missing, unreadable, decoderError });
    let finished = false;
    const run = h.pipeline.run().then(() => (finished = true));
    await pump(h, () => finished);
    await run;
    expect(h.pipeline.finished).toBe(true);
    const seen: number[] = [];
    const reasons = new Map<number, string>();
    for (const p of h.progress) for (const [slot, reason] of p.newSkips) reasons.set(slot, reason);
    // What the fake embed worker received, against the brute-force expectation.
    const sent = h.progress.reduce((n, p) => n + p.batchImages, 0);
    expect(sent + reasons.size).toBe(61);
    for (let s = 0; s < 61; s++) if (!missing.has(s) && !unreadable.has(s) && !decoderError.has(s)) seen.push(s);
    expect(sent).toBe(seen.length);
    expect([...reasons.keys()].sort((a, b) => a - b)).toEqual([3, 4, 7, 11, 40, 50]);
    expect(reasons.get(3)).toBe('not in the dropped folder');
    expect(reasons.get(7)).toBe('could not be decoded as an image');
    expect(reasons.get(11)).toBe('the decoder failed (worker died)');
    expect(h.counts()).toEqual({ done: seen.length, skipped: 6 });
  });

  it('keeps decodes and batches in flight within their bounds', async () => {
    const h = harness({ slots: 200, batchSize: 16, decoders: 3 });
    let finished = false;
    const run = h.pipeline.run().then(() => (finished = true));
    await pump(h, () => finished);
    await run;
    // maxDecoding = max(2·decoders, min(batchSize, 8·decoders)) = 16; two batches at a time.
    expect(h.peak.decoding).toBeLessThanOrEqual(16);
    expect(h.peak.decoding).toBeGreaterThan(3);
    expect(h.peak.batches).toBeLessThanOrEqual(2);
    // Full batches, then what is left.
    const sizes = h.progress.map((p) => p.batchImages);
    expect(sizes.slice(0, -1).every((n) => n === 16)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(200);
  });

  it('pause: no new decode starts, what is in flight lands, run resolves; run again finishes the rest once each', async () => {
    const h = harness({ slots: 100, batchSize: 8, decoders: 2 });
    let firstDone = false;
    const first = h.pipeline.run().then(() => (firstDone = true));
    await settle();
    const inFlight = h.decodes.length;
    expect(inFlight).toBeGreaterThan(0);
    h.pipeline.pause();
    await settle();
    expect(h.decodes.length).toBe(inFlight);
    expect(firstDone).toBe(false);
    await pump(h, () => firstDone);
    await first;
    expect(h.pipeline.finished).toBe(false);
    const afterPause = h.progress.reduce((n, p) => n + p.batchImages, 0);
    // Only the decodes that had started were embedded (in a last, partial batch).
    expect(afterPause).toBe(inFlight);
    let secondDone = false;
    const second = h.pipeline.run().then(() => (secondDone = true));
    await pump(h, () => secondDone);
    await second;
    expect(h.pipeline.finished).toBe(true);
    expect(h.progress.reduce((n, p) => n + p.batchImages, 0)).toBe(100);
    expect(h.counts().done).toBe(100);
  });

  it('a failed batch stops the run with its error, after what is in flight lands', async () => {
    const h = harness({ slots: 64, batchSize: 8, decoders: 2 });
    let error: unknown = null;
    const run = h.pipeline.run().catch((e) => (error = e));
    while (h.batches.length === 0) {
      h.releaseDecodes();
      await settle();
    }
    const failing = h.batches.shift()!;
    failing.answer.reject(new Error('the model gives 1280-d embeddings, the run stores 1024'));
    await pump(h, () => error !== null);
    await run;
    expect((error as Error).message).toMatch(/1280-d/);
    expect(h.pipeline.finished).toBe(false);
    const sentAfter = h.batches.length;
    await settle();
    expect(h.batches.length).toBe(sentAfter);
  });
});
