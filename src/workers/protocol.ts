/**
 * The one message protocol between the page and its workers. Each command names its request,
 * its progress events and its result; buffers in results are transferred, never copied.
 */

import type { ImageFolderResult } from '../core/dataset/imageFolder.ts';
import type { IngestProgress, IngestResult } from '../core/dataset/ingest.ts';
import type { BatchRequest, BatchResult } from '../core/dataset/metadataBatches.ts';
import type { StringTableData } from '../core/dataset/stringTable.ts';
import type { BackendChoice, BackendName, BackendProbe } from '../core/embed/backendChoice.ts';
import type { ModelSource } from '../core/embed/models.ts';
import type { RunPlanData, StoreCheck } from '../core/embed/runState.ts';
import type { ProjectionId } from '../core/project/projectionNames.ts';
import type { DatasetSummary } from '../core/stats/distribution.ts';
import type { ModelPixelsResult } from '../compute/modelPixels.ts';
import type { AuditProgress, AuditResult, AuditRunRequest } from './auditTypes.ts';
import type { ClassifyEvaluateRequest, ClassifyEvaluateResult, ClassifyFitProgress, ClassifyFitRequest, ClassifyFitResult, ClassifySubmissionRequest, ClassifySubmissionResult, ClassifySweepRequest, ClassifySweepResult } from './classifyTypes.ts';

/** The data worker (data.worker.ts): metadata and folders into columns. */
export interface DataCommands {
  /** Parse dropped metadata files (streaming, any size) into columns; `summary` is the train split's, computed here so the page does no pass over 840k images. */
  ingest: { request: { files: File[] }; progress: IngestProgress; result: IngestResult & { summary: DatasetSummary | null } };
  /** Build a dataset from an ImageFolder tree's paths. */
  imageFolder: { request: { folderName: string; paths: string[] }; progress: never; result: (ImageFolderResult & { summary: DatasetSummary }) | null };
}

/** A parse worker (parse.worker.ts), several of them inside the data worker during an ingest. */
export interface ParseCommands {
  /** Parse one batch of metadata array elements. */
  parseBatch: { request: BatchRequest; progress: never; result: BatchResult };
}

/** An image worker (image.worker.ts): the thumbnail pool and the decode pool of an embedding run. */
export interface ImageCommands {
  /** Decode one image file into an ImageBitmap (transferred) that fits inside size×size. */
  thumbnail: { request: { file: File; size: number }; progress: never; result: ThumbnailResult };
  /** One image file → the model's input (224×224 RGB bytes, transferred), or why it cannot be read. */
  modelPixels: { request: { file: File }; progress: never; result: ModelPixelsResult };
}

/** A thumbnail (its bitmap is width×height, transferred), or why there is none: failures are results, not errors. */
export type ThumbnailResult = { ok: true; bitmap: ImageBitmap; width: number; height: number } | { ok: false; reason: string };

/** The embed worker's run commands (embedHandlers.ts over the worker's EmbedSession): one run at a time. */
export interface EmbedCommands {
  /** Opens a plan's stored run (resuming it) or starts an empty one; null when `create` is false and none is stored. */
  embedOpen: { request: EmbedOpenRequest; progress: string; result: EmbedOpenResult | null };
  /** Loads the model on a backend (`auto`: probed and calibrated); progress says what it tries. */
  embedModel: { request: EmbedModelRequest; progress: string; result: EmbedModelResult };
  /** Embeds a batch of preprocessed images into the run and records skipped ones. */
  embedBatch: { request: EmbedBatchRequest; progress: never; result: EmbedBatchResult };
  /** Writes a checkpoint now (pause, cancel, page hidden). */
  embedCheckpoint: { request: null; progress: never; result: { sequence: number; savedAt: number } };
  /** prototypes.npz or embeddings.npz of the open run. */
  embedExport: { request: { what: 'prototypes' | 'embeddings' }; progress: never; result: Blob };
  /** Times the model alone on one backend: `batches` timed batches after a warm-up (for bench:embed). */
  embedTiming: { request: EmbedTimingRequest; progress: never; result: EmbedTimingResult };
  /** Closes the run (checkpointed), or deletes it from storage. */
  embedClose: { request: { discard: boolean }; progress: never; result: null };
}

export interface EmbedOpenRequest {
  plan: RunPlanData;
  classCategoryId: Int32Array;
  trainIds: StringTableData;
  testIds: StringTableData | null;
  create: boolean;
  /** Wait this long for another tab to let go of the run (after asking it to), instead of failing at once. */
  waitMs?: number;
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
  /** What checking the store against the checkpoint found (null for a new run). */
  storeCheck: StoreCheck | null;
}

export interface EmbedModelRequest {
  choice: BackendChoice;
  source: ModelSource;
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
  /** Per slot (aligned with `slots`): its file's CRC-32 and size in bytes, as it was decoded. */
  fileHashes: Uint32Array;
  fileBytes: Float64Array;
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
  source: ModelSource;
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

/** The classifiers (classifyHandlers.ts), served by the embed worker over the same session, next to the run they read. */
export interface ClassifyCommands {
  /** Fits a classifier on the open run's train split (NCM: prototypes + temperature; probe: progress per epoch). */
  classifyFit: { request: ClassifyFitRequest; progress: ClassifyFitProgress; result: ClassifyFitResult };
  /** Sweeps τ over the held-out split (0..2 step 0.1). */
  classifySweep: { request: ClassifySweepRequest; progress: never; result: ClassifySweepResult };
  /** Metrics at τ and at τ = 0, per-class recall, confused pairs, on the held-out split. */
  classifyEvaluate: { request: ClassifyEvaluateRequest; progress: never; result: ClassifyEvaluateResult };
  /** submission.csv of the test slots at τ. */
  classifySubmission: { request: ClassifySubmissionRequest; progress: never; result: ClassifySubmissionResult };
}

export type { ProjectionId };

export interface MapCommands {
  /** A 2-D map of every embedded image of the open run (and of the class means, in the same map). */
  mapProject: { request: { projection: ProjectionId; seed: number }; progress: string; result: MapProjectResult };
  /** The k nearest embedded images of one slot by cosine, nearest first (exact: a scan of every row). */
  mapNeighbours: { request: MapNeighboursRequest; progress: string; result: MapNeighboursResult };
  /** Per slot, whether the fitted classifier's validated prediction at τ was right (out-of-fold, or held-out). */
  classifyCorrectness: { request: { tau: number }; progress: never; result: { label: string; tau: number; status: Uint8Array } };
  /** The fitted classifier's top-k classes of one embedded image at τ, with softmax probabilities. */
  classifyImage: { request: { slot: number; tau: number; k: number }; progress: never; result: ClassifyImageResult };
}

/** classifyCorrectness's per-slot codes. */
export const NOT_VALIDATED = 0;
export const VALIDATED_RIGHT = 1;
export const VALIDATED_WRONG = 2;

export interface MapProjectResult {
  projection: ProjectionId;
  /** The run's done slots, ascending: point i is slot slots[i]. */
  slots: Int32Array;
  /** Per point: its split (SPLIT_TRAIN, SPLIT_HELDOUT, SPLIT_TEST) and class (−1 for test images). */
  split: Uint8Array;
  classOf: Int32Array;
  x: Float32Array;
  y: Float32Array;
  /** The class means in the same map: classes with train images, their index, count and place. */
  prototypes: { classIndex: Int32Array; count: Int32Array; x: Float32Array; y: Float32Array };
  /** Points the projection was fitted on (all of them for PCA; UMAP's sample). */
  fitted: number;
  /** What was done, in words (fitted on how many, how the rest were placed, variance explained). */
  note: string;
  ms: number;
}

export interface MapNeighboursRequest {
  slot: number;
  k: number;
  /** Neighbours from any class, the slot's own class, or other classes (test images: any). */
  scope: 'all' | 'same' | 'other';
}

export interface MapNeighboursResult {
  slot: number;
  /** The image's split in the run (SPLIT_TRAIN, SPLIT_HELDOUT, SPLIT_TEST), and its neighbours'. */
  split: number;
  slots: Int32Array;
  splits: Uint8Array;
  cosines: Float32Array;
  /** Rows scanned, and whether they came from memory (a cache of unit rows) or the store. */
  scanned: number;
  ms: number;
}

export interface ClassifyImageResult {
  label: string;
  tau: number;
  top: { classIndex: number; probability: number }[];
}

/** The audit (auditHandlers.ts), over the embed worker's open run. */
export interface AuditCommands {
  /** Near pairs and leaks, byte-identical files, label-issue candidates, novel test images, institution concentration. */
  auditRun: { request: AuditRunRequest; progress: AuditProgress; result: AuditResult };
  /** The open run's last finished audit, as stored with the run (null: none). */
  auditLoad: { request: null; progress: never; result: AuditResult | null };
}

type AllCommands = DataCommands & ParseCommands & ImageCommands & EmbedCommands & ClassifyCommands & MapCommands & AuditCommands;
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
  | { type: 'error'; jobId: number; code: JobErrorCode; message: string };

/**
 * Why a job failed, kept across the worker boundary so the page decides by kind, never by
 * reading the message: `cancelled` (asked for), `no-run` (no embedding run is open), `no-model`
 * (none loaded), `not-fitted` / `fit-stale` (no classifier, or one fitted on another run),
 * `no-data` (nothing embedded yet for what was asked), `bad-input` (the request does not fit),
 * `unsupported` (this worker does not serve the command), `worker-stopped`, `run-elsewhere` (another
 * tab of this browser has the run open), and `failed` for
 * anything else (a bug, a browser error).
 */
export type JobErrorCode = 'cancelled' | 'no-run' | 'no-model' | 'not-fitted' | 'fit-stale' | 'no-data' | 'bad-input' | 'unsupported' | 'worker-stopped' | 'run-elsewhere' | 'failed';

export class JobError extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

export class JobCancelled extends JobError {
  constructor() {
    super('cancelled', 'cancelled');
    this.name = 'JobCancelled';
  }
}

/** Whether `e` is a job error of `code`. */
export function isJobError(e: unknown, code: JobErrorCode): e is JobError {
  return e instanceof JobError && e.code === code;
}

/** What goes over the wire for an error thrown by a handler. */
export function errorToWire(e: unknown): { code: JobErrorCode; message: string } {
  if (e instanceof JobError) return { code: e.code, message: e.message };
  return { code: 'failed', message: (e as Error)?.message ?? String(e) };
}

/** The error class a wire error comes back as in the page. */
export function errorFromWire(code: JobErrorCode, message: string): JobError {
  return code === 'cancelled' ? new JobCancelled() : new JobError(code, message);
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

/** Handlers for a set of commands: each worker kind serves one such set. */
export type HandlersFor<Names extends CommandName> = {
  [K in Names]: (request: RequestOf<K>, ctx: JobContext<ProgressOf<K>>) => Promise<HandlerOutput<ResultOf<K>>>;
};
export type DataHandlers = HandlersFor<keyof DataCommands>;
export type ParseHandlers = HandlersFor<keyof ParseCommands>;
export type ImageHandlers = HandlersFor<keyof ImageCommands>;
export type EmbedHandlers = HandlersFor<keyof EmbedCommands>;
export type ClassifyHandlers = HandlersFor<keyof ClassifyCommands | 'classifyCorrectness' | 'classifyImage'>;
export type MapHandlers = HandlersFor<'mapProject' | 'mapNeighbours'>;
export type AuditHandlers = HandlersFor<keyof AuditCommands>;
/** The embed worker serves them all: the classifiers, the map and the audit read the run where it is. */
export type EmbedWorkerCommands = keyof EmbedCommands | keyof ClassifyCommands | keyof MapCommands | keyof AuditCommands;
