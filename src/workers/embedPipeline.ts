/**
 * The page's side of an embedding run: it walks the slots still to do, has the decode workers
 * turn files into model input, packs batches for the embed worker, and reports progress. Queues
 * are bounded (decodes in flight, decoded images waiting, batches in flight), so neither side
 * runs ahead into memory and neither waits when it need not. Pause lets what is in flight land
 * and checkpoints; the run's record lives in the embed worker (embedHandlers.ts).
 */

import { MODEL_INPUT_SIZE } from '../core/embed/preprocess.ts';
import type { CommandRunner } from './workerClient.ts';

const PIXELS = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE * 3;
const MAX_SKIPS_PER_BATCH = 1024;

export interface PipelineProgress {
  done: number;
  skipped: number;
  /** Newly skipped slots with their reasons. */
  newSkips: [number, string][];
  numTensors: number;
  checkpointedAt: number | null;
  embedMs: number;
  batchImages: number;
}

export interface PipelineOptions {
  todo: Int32Array;
  batchSize: number;
  fileOf(slot: number): File | undefined;
  embed: CommandRunner<'embedBatch'>;
  /** The decode pool: `size` workers, each command to the least loaded. */
  decoders: CommandRunner<'modelPixels'> & { readonly size: number };
  onBatch(progress: PipelineProgress): void;
}

/** A decoded image waiting for its batch, with what identifies its file (CRC-32, size in bytes). */
interface DecodedImage {
  slot: number;
  pixels: Uint8Array;
  fileHash: number;
  fileBytes: number;
}

export class EmbedPipeline {
  private cursor = 0;
  private decoding = 0;
  private batchesInFlight = 0;
  private ready: DecodedImage[] = [];
  private skips: [number, string][] = [];
  private paused = false;
  private failed: Error | null = null;
  private settle: (() => void) | null = null;
  private readonly maxDecoding: number;

  constructor(private readonly options: PipelineOptions) {
    // Enough decodes to fill the next batch while one is embedded, spread over the decoders.
    this.maxDecoding = Math.max(2 * options.decoders.size, Math.min(options.batchSize, 8 * options.decoders.size));
  }

  /** Runs until every slot is through, or until paused (then resolves once nothing is in flight). */
  run(): Promise<void> {
    this.paused = false;
    return new Promise<void>((resolve, reject) => {
      this.settle = () => {
        this.settle = null;
        if (this.failed) reject(this.failed);
        else resolve();
      };
      this.pump();
    });
  }

  pause(): void {
    this.paused = true;
    this.pump();
  }

  get finished(): boolean {
    return this.cursor >= this.options.todo.length && this.idle;
  }

  private get idle(): boolean {
    return this.decoding === 0 && this.batchesInFlight === 0 && this.ready.length === 0 && this.skips.length === 0;
  }

  private pump(): void {
    const { todo, batchSize } = this.options;
    const stopping = this.paused || this.failed !== null;
    // Decodes: only while the decoded backlog is under two batches.
    while (!stopping && this.decoding < this.maxDecoding && this.cursor < todo.length && this.ready.length < 2 * batchSize && this.skips.length < MAX_SKIPS_PER_BATCH) {
      this.startDecode(todo[this.cursor++]);
    }
    // A long stretch of missing files goes to the worker on its own, without images.
    if (this.skips.length >= MAX_SKIPS_PER_BATCH && this.batchesInFlight < 2) this.sendBatch([], this.skips.splice(0));
    // Batches: full ones, or what is left once no more can come (end of the list, or pausing).
    const noMore = (stopping || this.cursor >= todo.length) && this.decoding === 0;
    while (this.batchesInFlight < 2 && !this.failed && (this.ready.length >= batchSize || (noMore && (this.ready.length > 0 || this.skips.length > 0)))) {
      this.sendBatch(this.ready.splice(0, batchSize), this.skips.splice(0));
    }
    if (this.settle && (this.finished || (stopping && this.decoding === 0 && this.batchesInFlight === 0 && (this.failed !== null || this.idle)))) this.settle();
  }

  private startDecode(slot: number): void {
    const file = this.options.fileOf(slot);
    if (!file) {
      this.skips.push([slot, 'not in the dropped folder']);
      return;
    }
    this.decoding++;
    this.options.decoders
      .run('modelPixels', { file })
      .then(
        (result) => {
          if (result.ok) this.ready.push({ slot, pixels: result.pixels, fileHash: result.fileHash, fileBytes: result.fileBytes });
          else this.skips.push([slot, result.reason]);
        },
        (e) => this.skips.push([slot, `the decoder failed (${(e as Error)?.message ?? String(e)})`]),
      )
      .finally(() => {
        this.decoding--;
        this.pump();
      });
  }

  private sendBatch(images: DecodedImage[], skipped: [number, string][]): void {
    const slots = Int32Array.from(images, (im) => im.slot);
    const fileHashes = Uint32Array.from(images, (im) => im.fileHash);
    const fileBytes = Float64Array.from(images, (im) => im.fileBytes);
    const pixels = new Uint8Array(images.length * PIXELS);
    images.forEach((im, k) => pixels.set(im.pixels, k * PIXELS));
    this.batchesInFlight++;
    this.options.embed
      .run('embedBatch', { slots, pixels, fileHashes, fileBytes, skipped }, { transfer: [slots.buffer, pixels.buffer, fileHashes.buffer, fileBytes.buffer] })
      .then(
        (r) => this.options.onBatch({ done: r.done, skipped: r.skipped, newSkips: skipped, numTensors: r.numTensors, checkpointedAt: r.checkpointedAt, embedMs: r.embedMs, batchImages: images.length }),
        (e) => {
          this.failed = e instanceof Error ? e : new Error(String(e));
        },
      )
      .finally(() => {
        this.batchesInFlight--;
        this.pump();
      });
  }
}
