/**
 * The one message protocol between the page and its workers. Each command names its request,
 * its progress events and its result; buffers in results are transferred, never copied.
 */

import type { ImageFolderResult } from '../core/dataset/imageFolder.ts';
import type { IngestProgress, IngestResult } from '../core/dataset/ingest.ts';
import type { DatasetSummary } from '../core/stats/distribution.ts';
import type { BatchRequest, BatchResult } from '../core/dataset/metadataBatches.ts';
import type { StringTableData } from '../core/dataset/stringTable.ts';
import type { RunPlan } from '../core/embed/runState.ts';
import type { BackendChoice, BackendName, BackendProbe } from '../compute/backends.ts';

export interface WorkerCommands {
  /** Parse dropped metadata files (streaming, any size) into columns. */
  /** `summary` is the train split's, computed here so the page does no pass over 840k images. */
  ingest: { request: { files: File[] }; progress: IngestProgress; result: IngestResult & { summary: DatasetSummary | null } };
  /** Parse one batch of metadata array elements (the ingest worker fans these out). */
  parseBatch: { request: BatchRequest; progress: never; result: BatchResult };
  /** Build a dataset from an ImageFolder tree's paths. */
  imageFolder: { request: { folderName: string; paths: string[] }; progress: never; result: (ImageFolderResult & { summary: DatasetSummary }) | null };
  /** Decode one image file into an ImageBitmap (transferred) that fits inside size×size. */
  thumbnail: { request: { file: File; size: number }; progress: never; result: ThumbnailResult };
  /** One image file → the model's input (224×224 RGB bytes, transferred), or why it cannot be read. */
  modelPixels: { request: { file: File }; progress: never; result: ModelPixelsResult };
}

/** A thumbnail (its bitmap is width×height, transferred), or why there is none: failures are results, not errors. */
export type ThumbnailResult = { ok: true; bitmap: ImageBitmap; width: number; height: number } | { ok: false; reason: string };

/** The embed worker's commands (src/workers/embedHandlers.ts): one run at a time, stateful. */
export interface EmbedCommands {
  /** Opens a plan's stored run (resuming it) or starts an empty one; null when `create` is false and none is stored. */
  embedOpen: { request: EmbedOpenRequest; progress: never; result: EmbedOpenResult | null };
  /** Loads the model on a backend (`auto`: probed and calibrated); progress says what it tries. */
  embedModel: { request: EmbedModelRequest; progress: string; result: EmbedModelResult };
  /** Embeds a batch of preprocessed images into the run and records skipped ones. */
  embedBatch: { request: EmbedBatchRequest; progress: never; result: EmbedBatchResult };
  /** Writes a checkpoint now (pause, cancel, page hidden). */
  embedCheckpoint: { request: null; progress: never; result: { sequence: number; savedAt: number } };
  /** prototypes.npz or embeddings.npz of the open run. */
  embedExport: { request: { what: 'prototypes' | 'embeddings' }; progress: never; result: Blob };
  /** Embeddings and labels of the open run's done slots (for classifiers), transferred. */
  embedRows: { request: { split: 'all' | 'train' | 'heldout' | 'test' }; progress: never; result: EmbedRowsResult };
  /** Times the model alone on one backend: `batches` timed batches after a warm-up (for bench:embed). */
  embedTiming: { request: EmbedTimingRequest; progress: never; result: EmbedTimingResult };
  /** Closes the run (checkpointed), or deletes it from storage. */
  embedClose: { request: { discard: boolean }; progress: never; result: null };
}

export type ModelPixelsResult = { ok: true; pixels: Uint8Array; width: number; height: number } | { ok: false; reason: string };

export interface EmbedOpenRequest {
  plan: RunPlan;
  classCategoryId: Int32Array;
  trainIds: StringTableData;
  testIds: StringTableData | null;
  create: boolean;
}

export interface EmbedOpenResult {
  storage: 'opfs' | 'memory';
  /** Why a run would not survive a reload here, when it would not. */
  storageNote: string | null;
  done: number;
  skipped: [number, string][];
  todo: Int32Array;
  /** A stored checkpoint was found and continued. */
  resumed: boolean;
  savedAt: number | null;
  /** Stored checkpoints that could not be used, and why. */
  problems: string[];
}

export interface EmbedModelRequest {
  choice: BackendChoice;
  source: import('../compute/featureModel.ts').ModelSource;
  batchSize: number;
}

export interface EmbedModelResult {
  backend: BackendName;
  reason: string;
  probes: BackendProbe[];
  /** Images per second each candidate reached in the calibration (auto only). */
  calibration: { backend: BackendName; imagesPerSecond: number | null; error?: string }[];
  dim: number;
  /** Where the model came from (served by the app, TF Hub, the IndexedDB cache, a dropped file). */
  origin: string;
}

export interface EmbedBatchRequest {
  slots: Int32Array;
  /** slots.length × 224×224×3 bytes. */
  pixels: Uint8Array;
  skipped: [number, string][];
}

export interface EmbedBatchResult {
  done: number;
  skipped: number;
  /** tf.memory().numTensors after the batch: flat from batch to batch. */
  numTensors: number;
  embedMs: number;
  checkpointedAt: number | null;
}

export interface EmbedTimingRequest {
  backend: BackendName;
  source: import('../compute/featureModel.ts').ModelSource;
  batchSize: number;
  batches: number;
}

export interface EmbedTimingResult {
  backend: BackendName;
  detail: string;
  /** Milliseconds per timed batch (the warm-up batch excluded). */
  batchMs: number[];
  /** Model build plus the warm-up batch (program compilation), ms. */
  setupMs: number;
  numTensorsBefore: number;
  numTensorsAfter: number;
}

export interface EmbedRowsResult {
  slots: Int32Array;
  /** slots.length × dim. */
  rows: Float32Array;
  dim: number;
}

/** The classifiers (src/workers/classifyHandlers.ts), served by the embed worker next to the run they read. */
export interface ClassifyCommands {
  /** Fits a classifier on the open run's train split (NCM: prototypes + temperature; probe: progress per epoch). */
  classifyFit: { request: import('./classifyTypes.ts').ClassifyFitRequest; progress: import('./classifyTypes.ts').ClassifyFitProgress; result: import('./classifyTypes.ts').ClassifyFitResult };
  /** Sweeps τ over the held-out split (0..2 step 0.1). */
  classifySweep: { request: import('./classifyTypes.ts').ClassifySweepRequest; progress: never; result: import('./classifyTypes.ts').ClassifySweepResult };
  /** Metrics at τ and at τ = 0, per-class recall, confused pairs, on the held-out split. */
  classifyEvaluate: { request: import('./classifyTypes.ts').ClassifyEvaluateRequest; progress: never; result: import('./classifyTypes.ts').ClassifyEvaluateResult };
  /** submission.csv of the test slots at τ. */
  classifySubmission: { request: import('./classifyTypes.ts').ClassifySubmissionRequest; progress: never; result: import('./classifyTypes.ts').ClassifySubmissionResult };
}

type AllCommands = WorkerCommands & EmbedCommands & ClassifyCommands;
export type CommandName = keyof AllCommands;
export type RequestOf<K extends CommandName> = AllCommands[K]['request'];
export type ProgressOf<K extends CommandName> = AllCommands[K]['progress'];
export type ResultOf<K extends CommandName> = AllCommands[K]['result'];

export type ToWorker =
  | { [K in CommandName]: { type: 'run'; jobId: number; command: K; request: RequestOf<K> } }[CommandName]
  | { type: 'cancel'; jobId: number };

export type FromWorker =
  | { type: 'progress'; jobId: number; progress: unknown }
  | { type: 'result'; jobId: number; result: unknown }
  | { type: 'error'; jobId: number; message: string; cancelled: boolean };

export class JobCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'JobCancelled';
  }
}

/** What a command handler gets besides its request. */
export interface JobContext<P> {
  progress(p: P): void;
  /** Throws JobCancelled once the job was cancelled; awaited between chunks of work. */
  checkpoint(): Promise<void>;
}

export interface HandlerOutput<R> {
  result: R;
  transfer: Transferable[];
}

/** Handlers for a set of commands: the data/thumbnail workers serve WorkerCommands, the embed worker EmbedCommands. */
export type HandlersFor<Names extends CommandName> = {
  [K in Names]: (request: RequestOf<K>, ctx: JobContext<ProgressOf<K>>) => Promise<HandlerOutput<ResultOf<K>>>;
};
export type CommandHandlers = HandlersFor<keyof WorkerCommands>;
export type EmbedHandlers = HandlersFor<keyof EmbedCommands>;
export type ClassifyHandlers = HandlersFor<keyof ClassifyCommands>;
/** What a worker serves: some commands; a command it lacks is answered with an error. */
export type AnyHandlers = Partial<HandlersFor<CommandName>>;
