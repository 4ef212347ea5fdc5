/**
 * Embedding runs, from the page's side: find a stored run of the loaded dataset, start, pause,
 * resume, cancel or discard it, and download its files. The work happens in the embed worker
 * (model, store, checkpoints) and the decode workers; this routes messages and keeps the view.
 */

import { normalizePath } from '../core/dataset/folderIndex.ts';
import type { DatasetColumns } from '../core/dataset/types.ts';
import type { BackendName } from '../core/embed/backendChoice.ts';
import { CUSTOM_MODEL_ID, featureLayerOf, IMAGENET_MOBILENET_V2, MODELS, type ModelSource } from '../core/embed/models.ts';
import { checkPrototypesFileSize, importPrototypes, type PrototypesTarget } from '../core/embed/importPrototypes.ts';
import { datasetFingerprint, planRun, runKey } from '../core/embed/plan.ts';
import type { RunPlan } from '../core/embed/runState.ts';
import { EmbedPipeline, type PipelineOptions, type PipelineProgress } from '../workers/embedPipeline.ts';
import { JobError, type EmbedCommands, type EmbedOpenResult } from '../workers/protocol.ts';
import { RUN_CHANNEL, type ReleaseRequest } from '../workers/runLock.ts';
import type { CommandRunner } from '../workers/workerClient.ts';
import type { LabStore } from './index.ts';

export interface EmbedDeps {
  lab: LabStore;
  /** The embed worker (model, run store, checkpoints). */
  embed: CommandRunner<keyof EmbedCommands>;
  /** The decode pool, turning image files into model input. */
  decoders: PipelineOptions['decoders'];
  /** Saves a file for the person (prototypes.npz, embeddings.npz). */
  download(blob: Blob, name: string): void;
  /** The page's address: the bundled models' URLs are resolved against it. */
  baseUrl(): string;
}

/** The run of the loaded dataset and settings: its plan and where each slot's image file is. */
interface CurrentRun {
  plan: RunPlan;
  fileOf(slot: number): File | undefined;
}

export function createEmbedActions({ lab, embed, decoders, download, baseUrl }: EmbedDeps) {
  let pipeline: EmbedPipeline | null = null;
  let openKey: string | null = null;
  let driving: Promise<void> | null = null;
  const fingerprints = new WeakMap<DatasetColumns, Promise<string>>();

  /** The selected model: its source for the worker, its id and layer for the run key, its size if known before loading. */
  function selectedModel(): { source: ModelSource; id: string; layer: string; dim: number | null } {
    const settings = lab.getState().embedSettings;
    if (settings.modelId === CUSTOM_MODEL_ID) {
      const files = settings.customFiles;
      if (!files?.length) throw new Error('drop a TensorFlow.js model (model.json and its .bin files) first');
      const json = files.find((f) => f.name.toLowerCase().endsWith('.json'));
      const id = `custom:${files.map((f) => `${f.name}:${f.size}:${f.lastModified}`).sort().join(',')}:${json?.name ?? ''}`;
      return { source: { kind: 'files', files, node: settings.customNode.trim(), inputRange: settings.customRange }, id, layer: settings.customNode.trim(), dim: null };
    }
    const model = MODELS.find((m) => m.id === settings.modelId) ?? MODELS[0];
    if (model.id === IMAGENET_MOBILENET_V2.id) {
      const url = settings.hubUrl.trim() || null;
      return { source: { kind: 'mobilenet-hub', url, cacheName: 'long-tail-lab-mobilenet_v2_100_224' }, id: model.id, layer: 'embedding', dim: 1280 };
    }
    const layer = featureLayerOf(model, settings.layer);
    return {
      source: { kind: 'layers-url', url: new URL(model.url, baseUrl()).href, layer: layer.layer, inputRange: model.inputRange },
      id: model.id,
      layer: layer.layer,
      dim: layer.dim,
    };
  }

  const patch = (update: Parameters<ReturnType<LabStore['getState']>['patchEmbedRun']>[0]) => lab.getState().patchEmbedRun(update);

  async function currentRun(dim: number): Promise<CurrentRun> {
    const { dataset, test, folder, trainMatch, testMatch, embedSettings: settings } = lab.getState();
    if (!dataset) throw new Error('load a dataset first');
    const model = selectedModel();
    const train = dataset.columns;
    let fingerprint = fingerprints.get(train);
    if (!fingerprint) {
      fingerprint = datasetFingerprint(train, test?.columns ?? null);
      fingerprints.set(train, fingerprint);
    }
    const runSettings = {
      modelId: model.id,
      layer: model.layer,
      dim,
      heldoutFraction: settings.heldoutFraction,
      splitSeed: settings.splitSeed,
      includeTest: settings.includeTest && test !== null,
    };
    const key = await runKey(await fingerprint, runSettings);
    const plan = planRun(key, train, test?.columns.imageCount ?? 0, runSettings);
    const fileOf = (slot: number): File | undefined => {
      if (!folder) return undefined;
      const image = plan.imageOf(slot);
      if (!image.test) return trainMatch?.prefix != null ? folder.get(trainMatch.prefix + normalizePath(dataset.files.get(image.index))) : undefined;
      return test && testMatch?.prefix != null ? folder.get(testMatch.prefix + normalizePath(test.files.get(image.index))) : undefined;
    };
    return { plan, fileOf };
  }

  /**
   * Opens the run in the embed worker; null when nothing is stored (and `create` is false) or
   * when another tab owns the run (then the view says so and offers to take it over).
   */
  async function open(run: CurrentRun, create: boolean, waitMs = 0): Promise<EmbedOpenResult | null> {
    const { dataset, test } = lab.getState();
    let result: EmbedOpenResult | null;
    try {
      result = await embed.run(
        'embedOpen',
        {
          plan: run.plan,
          classCategoryId: dataset!.columns.classCategoryId,
          trainIds: dataset!.columns.imageId,
          testIds: run.plan.slots > run.plan.nTrain && test ? test.columns.imageId : null,
          create,
          waitMs,
        },
        { onProgress: (activity) => patch({ activity }) },
      );
    } catch (e) {
      if (!(e instanceof JobError && e.code === 'run-elsewhere')) throw e;
      openKey = null;
      pipeline = null;
      patch({ key: run.plan.key, total: run.plan.slots, status: 'idle', activity: 'open in another tab', heldElsewhere: true, storage: null, storageNote: `This run ${e.message}.` });
      return null;
    }
    if (!result) return null;
    openKey = run.plan.key;
    const check = result.storeCheck;
    if (check && check.requeued > 0) {
      const shorter = check.actualBytes < check.expectedBytes ? `the stored embeddings are shorter than the checkpoint says (${check.actualBytes} of ${check.expectedBytes} bytes); ` : '';
      lab.getState().addMessages([
        {
          severity: 'warning',
          file: 'Stored embedding run',
          message: `${shorter}${check.damagedBlocks} block${check.damagedBlocks === 1 ? '' : 's'} of stored rows did not match their checksums: ${check.requeued} images marked done will be embedded again${check.sumsRebuilt ? ', and the class sums were rebuilt from the intact rows' : ''}`,
        },
      ]);
    }
    patch({
      heldElsewhere: false,
      key: run.plan.key,
      total: run.plan.slots,
      done: result.done,
      skipped: result.skipped,
      storage: result.storage,
      storageNote: result.storageNote,
      resumed: result.resumed,
    });
    if (result.problems.length)
      lab.getState().addMessages([{ severity: 'warning', file: 'Stored embedding run', message: `a checkpoint could not be used: ${result.problems.join('; ')}` }]);
    return result;
  }

  /** Looks for a stored run of the loaded dataset and settings; offers to resume it (paused) or shows it done. */
  async function findStoredRun(): Promise<void> {
    if (driving) return;
    try {
      // A dropped model's size is only known once it is loaded: its stored run is found on Start.
      const { dim } = selectedModel();
      if (dim === null) return;
      const run = await currentRun(dim);
      // Start may have been pressed while the run's key was worked out: that run is the one shown.
      if (openKey === run.plan.key || driving) return;
      lab.getState().resetEmbedRun();
      pipeline = null;
      openKey = null;
      offer(await open(run, false));
    } catch (e) {
      patch({ status: 'error', error: (e as Error).message });
    }
  }

  /** A stored run just opened: offered to resume (paused), or shown done. */
  function offer(result: EmbedOpenResult | null): void {
    if (!result) return;
    patch({ status: result.todo.length === 0 ? 'done' : 'paused', activity: result.todo.length === 0 ? 'finished earlier' : 'stored run found: Resume continues it' });
  }

  // Tabs of this browser on the same run: the owner hands it over when another asks.
  const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(RUN_CHANNEL);
  if (channel)
    channel.onmessage = (event: MessageEvent<ReleaseRequest>) => {
      if (event.data?.type === 'release' && event.data.key === openKey) void handOver();
    };

  /** Pauses the pipeline, waits for the images in flight, and closes the run (checkpointed) in the worker. */
  async function stopAndClose(): Promise<void> {
    pipeline?.pause();
    await driving;
    if (openKey) await embed.run('embedClose', { discard: false });
    pipeline = null;
    openKey = null;
  }

  /** Another tab asked for the run: checkpoint, close it here, and let go of its lock. */
  async function handOver(): Promise<void> {
    await stopAndClose();
    patch({ status: 'idle', heldElsewhere: true, storage: null, storageNote: 'This run was handed over to another tab of this browser at its request; take it over to continue here.', activity: 'handed over', imagesPerSecond: null, etaSeconds: null });
  }

  /** Asks the tab that owns the run to hand it over, and opens it here once it has (waiting up to 15 s). */
  async function takeOverRun(): Promise<void> {
    try {
      const { dim } = selectedModel();
      if (dim === null) throw new Error('start the run with the dropped model first');
      const run = await currentRun(dim);
      channel?.postMessage({ type: 'release', key: run.plan.key } satisfies ReleaseRequest);
      patch({ activity: 'asking the other tab to hand the run over' });
      offer(await open(run, false, 15_000));
    } catch (e) {
      patch({ status: 'error', error: (e as Error).message });
    }
  }

  /** Starts the run of the loaded dataset (continuing its stored run, if any). */
  function startEmbedding(): Promise<void> {
    if (driving) return driving;
    driving = (async () => {
      try {
        const { embedSettings: settings } = lab.getState();
        const selected = selectedModel();
        patch({ status: 'running', error: null, activity: 'loading the model' });
        const loaded = await embed.run('embedModel', { choice: settings.backend, source: selected.source, batchSize: settings.batchSize }, { onProgress: (p) => patch({ activity: p }) });
        patch({ backend: loaded.backend, backendReason: loaded.reason, modelOrigin: loaded.origin });
        const run = await currentRun(loaded.dim);
        // A run paused in this page goes on where its pipeline stopped; otherwise open (or reopen) it.
        if (!(pipeline && openKey === run.plan.key)) {
          patch({ activity: 'opening the run' });
          const opened = await open(run, true);
          if (!opened) return;
          const { todo } = opened;
          pipeline = new EmbedPipeline({ todo, batchSize: settings.batchSize, fileOf: run.fileOf, embed, decoders, onBatch: rate.onBatch });
        }
        await drive();
      } catch (e) {
        patch({ status: 'error', error: (e as Error)?.message ?? String(e), activity: '' });
      } finally {
        driving = null;
      }
    })();
    return driving;
  }

  /** Progress and speed: images per second over the last ~10 s of batches. */
  const rate = {
    samples: [] as { t: number; processed: number }[],
    onBatch(p: PipelineProgress) {
      const now = performance.now();
      const view = lab.getState().embedRun;
      const processed = p.done + p.skipped;
      rate.samples.push({ t: now, processed });
      while (rate.samples.length > 2 && now - rate.samples[0].t > 10_000) rate.samples.shift();
      const first = rate.samples[0];
      const perSecond = now > first.t ? ((processed - first.processed) * 1000) / (now - first.t) : null;
      const t = view.tensors;
      patch({
        done: p.done,
        skipped: p.newSkips.length ? [...view.skipped, ...p.newSkips] : view.skipped,
        imagesPerSecond: perSecond,
        etaSeconds: perSecond ? (view.total - processed) / perSecond : null,
        lastCheckpoint: p.checkpointedAt ?? view.lastCheckpoint,
        tensors: t
          ? { first: t.first, min: Math.min(t.min, p.numTensors), max: Math.max(t.max, p.numTensors), last: p.numTensors }
          : { first: p.numTensors, min: p.numTensors, max: p.numTensors, last: p.numTensors },
        activity: 'embedding',
      });
    },
  };

  async function drive(): Promise<void> {
    const p = pipeline!;
    rate.samples = [];
    patch({ status: 'running', activity: 'embedding' });
    await p.run();
    patch({ activity: 'checkpointing' });
    const saved = await embed.run('embedCheckpoint', null);
    patch({ lastCheckpoint: saved.savedAt, status: p.finished ? 'done' : 'paused', activity: p.finished ? 'finished' : 'paused', imagesPerSecond: null, etaSeconds: null });
  }

  function pauseEmbedding(): void {
    pipeline?.pause();
    patch({ activity: 'pausing: finishing the images in flight' });
  }

  function resumeEmbedding(): Promise<void> {
    if (driving) return driving;
    if (!pipeline) return startEmbedding();
    driving = drive()
      .catch((e) => patch({ status: 'error', error: (e as Error)?.message ?? String(e) }))
      .finally(() => {
        driving = null;
      });
    return driving;
  }

  /** Stops the run and closes it; what is done stays stored, and Start continues it. */
  async function cancelEmbedding(): Promise<void> {
    await stopAndClose();
    patch({ status: 'idle', activity: 'stopped: Start continues from here', imagesPerSecond: null, etaSeconds: null });
  }

  /** Deletes the stored run of the loaded dataset and settings. */
  async function discardEmbedding(): Promise<void> {
    pipeline?.pause();
    await driving;
    let open_ = openKey !== null;
    if (!open_) {
      const { dim } = selectedModel();
      if (dim !== null) open_ = (await open(await currentRun(dim), false)) !== null;
    }
    if (open_) await embed.run('embedClose', { discard: true });
    pipeline = null;
    openKey = null;
    lab.getState().resetEmbedRun();
  }

  async function downloadRunFile(what: 'prototypes' | 'embeddings'): Promise<void> {
    try {
      if (!openKey) {
        const { dim } = selectedModel();
        if (dim === null) throw new Error('start the run with the dropped model first');
        const run = await currentRun(dim);
        if (!(await open(run, false))) throw new Error('there is no run to download from yet');
      }
      const blob = await embed.run('embedExport', { what });
      download(blob, `${what}.npz`);
    } catch (e) {
      lab.getState().addMessages([{ severity: 'error', file: `${what}.npz`, message: (e as Error)?.message ?? String(e) }]);
    }
  }

  /**
   * For scripts and bench:embed: the model alone on one backend, e.g.
   * `await window.longTailLab.timeModel({ backend: 'wasm', batchSize: 8, batches: 5 })`.
   */
  function timeModel(options: { backend: BackendName; batchSize: number; batches: number; layer?: string }) {
    const model = MODELS[0];
    return embed.run('embedTiming', {
      backend: options.backend,
      source: { kind: 'layers-url', url: new URL(model.url, baseUrl()).href, layer: options.layer ?? model.layers[0].layer, inputRange: model.inputRange },
      batchSize: options.batchSize,
      batches: options.batches,
    });
  }

  /**
   * Reads a prototypes file (import-prototypes) against the loaded dataset and the selected
   * model: a file of another embedding size is refused in words, and a file or member larger than
   * the dataset and model can need is refused before it is read or inflated.
   */
  async function importPrototypesFile(file: File): Promise<void> {
    const { dataset, embedSettings } = lab.getState();
    if (!dataset) throw new Error('load a dataset first');
    checkPrototypesFileSize(file.name, file.size);
    let model: PrototypesTarget['model'] = null;
    if (embedSettings.modelId !== CUSTOM_MODEL_ID) {
      const selected = selectedModel();
      const label = (MODELS.find((m) => m.id === selected.id) ?? MODELS[0]).label.split(' (')[0];
      if (selected.dim !== null) model = { name: `${label} at ${selected.layer}`, dim: selected.dim };
    }
    const target: PrototypesTarget = { classCategoryId: dataset.columns.classCategoryId, classesWithImages: dataset.overview.classes, model };
    const prototypes = await importPrototypes(file.name, new Uint8Array(await file.arrayBuffer()), target);
    lab.getState().setImportedPrototypes({ ...prototypes, fileName: file.name });
  }

  return { importPrototypesFile, findStoredRun, takeOverRun, startEmbedding, pauseEmbedding, resumeEmbedding, cancelEmbedding, discardEmbedding, downloadRunFile, timeModel };
}

export type EmbedActions = ReturnType<typeof createEmbedActions>;
