/**
 * The embed worker's side of a run: the model on its backend, the run's state and store, and the
 * checkpoints (at most CHECKPOINT_MS apart while batches come). The page decides what to embed
 * next; this keeps the record of what is done.
 */

import * as tf from '@tensorflow/tfjs';
import { activateBackend, probeBackends, wasmThreadSupport, wasmThreadsInUse } from '../compute/backends.ts';
import { fetchModelFiles, FeatureModel, loadDroppedModel, loadMobileNetHub, type ModelFiles } from '../compute/featureModel.ts';
import { StringTable } from '../core/dataset/stringTable.ts';
import { autoCandidates, type BackendName } from '../core/embed/backendChoice.ts';
import { CHECKPOINT_MS } from '../core/embed/checkpoints.ts';
import type { ModelSource } from '../core/embed/models.ts';
import { MODEL_INPUT_SIZE } from '../core/embed/preprocess.ts';
import { embeddingsNpz, prototypesNpz } from '../core/embed/outputs.ts';
import { resumeRun, RunPlan, saveCheckpoint, SLOT_TODO } from '../core/embed/runState.ts';
import { memoryRunFiles, RunStore, storeDtypeFor } from '../core/embed/runStore.ts';
import { runImageId, type EmbedSession, type OpenRun } from './embedSession.ts';
import { openOpfsRunFiles, opfsAvailable, removeOpfsRun } from './opfsRunStore.ts';
import { JobError, type EmbedHandlers, type EmbedModelResult } from './protocol.ts';
import { acquireRunLock, storageRefusalInWords } from './runLock.ts';

function checkpoint(r: OpenRun): number {
  saveCheckpoint(r.state, r.store);
  r.lastCheckpoint = Date.now();
  return r.lastCheckpoint;
}

/** Builds the model of `source` on the current backend (the bundled model's files are fetched once per session). */
async function build(session: EmbedSession, source: ModelSource, batchSize: number): Promise<FeatureModel> {
  if (source.kind === 'layers-url') return FeatureModel.create(await filesOf(session, source.url), source.layer, batchSize, source.inputRange);
  if (source.kind === 'mobilenet-hub') return loadMobileNetHub(source.url, source.cacheName, batchSize);
  return loadDroppedModel(source.files, source.node, batchSize, source.inputRange);
}

async function filesOf(session: EmbedSession, url: string): Promise<ModelFiles> {
  if (session.modelFiles?.url !== url) session.modelFiles = { url, files: await fetchModelFiles(url) };
  return session.modelFiles.files;
}

/** Images per second of `name` on one timed batch after the warm-up (the model is built there). */
async function calibrate(session: EmbedSession, name: BackendName, source: ModelSource, batchSize: number) {
  await activateBackend(name);
  const candidate = await build(session, source, batchSize);
  const pixels = new Uint8Array(batchSize * MODEL_INPUT_SIZE * MODEL_INPUT_SIZE * 3).fill(128);
  const t0 = performance.now();
  await candidate.embed(pixels, batchSize);
  const seconds = (performance.now() - t0) / 1000;
  return { model: candidate, imagesPerSecond: batchSize / seconds };
}

function sourceKey(source: ModelSource): string {
  if (source.kind === 'layers-url') return `${source.url}|${source.layer}`;
  if (source.kind === 'mobilenet-hub') return `hub|${source.url}`;
  return `files|${source.files.map((f) => `${f.name}:${f.size}:${f.lastModified}`).join(',')}|${source.node}`;
}

export function embedHandlers(session: EmbedSession): EmbedHandlers {
  const handlers: EmbedHandlers = {
    async embedOpen(request, ctx) {
      const plan = new RunPlan(request.plan);
      if (session.run) {
        session.run.store.close();
        session.run = null;
      }
      let storage: 'opfs' | 'memory' = 'memory';
      let storageNote: string | null = null;
      let files = null;
      if (opfsAvailable()) {
        // One tab owns a stored run: the lock is kept while the run is open here.
        if (session.runLock?.key !== plan.key) {
          session.runLock?.release();
          session.runLock = null;
          const release = await acquireRunLock(plan.key, request.waitMs);
          if (!release)
            throw new JobError('run-elsewhere', 'this run is open in another tab of this browser, which embeds it and keeps its files; close it there, or take it over here (that tab pauses and hands it over)');
          session.runLock = { key: plan.key, release };
        }
        try {
          files = await openOpfsRunFiles(plan.key, request.create);
          if (!files && !request.create) {
            session.releaseRunLock();
            return { result: null, transfer: [] };
          }
          storage = 'opfs';
        } catch (e) {
          storageNote = `${storageRefusalInWords(e)}: this run lives in memory and a reload loses it`;
        }
      } else {
        if (!request.create) return { result: null, transfer: [] };
        storageNote = "this browser has no private file system for workers (OPFS): the run lives in memory and a reload loses it";
      }
      const store = new RunStore(files ?? memoryRunFiles(), plan.dim, storeDtypeFor(plan.slots, plan.dim));
      const { state, resumed, problems, check } = resumeRun(plan, store, (checked, blocks) => ctx.progress(`checking the stored embeddings (block ${checked} of ${blocks})`));
      session.run = {
        state,
        store,
        storage,
        classCategoryId: request.classCategoryId,
        trainIds: StringTable.fromData(request.trainIds),
        testIds: request.testIds ? StringTable.fromData(request.testIds) : null,
        lastCheckpoint: Date.now(),
      };
      // What the check put back to do is on disk as to do before anything else happens.
      if (check && check.requeued > 0) checkpoint(session.run);
      const todo = state.todo();
      return {
        result: {
          storage,
          storageNote,
          done: state.done,
          skipped: [...state.skipReasons],
          todo,
          resumed,
          savedAt: resumed ? Date.now() : null,
          problems,
          storeCheck: check,
        },
        transfer: [todo.buffer],
      };
    },

    async embedModel(request, ctx) {
      const key = `${sourceKey(request.source)}|${request.batchSize}|${request.choice}`;
      const probes = await probeBackends();
      const calibration: EmbedModelResult['calibration'] = [];
      const loaded = session.model;
      if (loaded && loaded.key === key) {
        return { result: { backend: tf.getBackend() as BackendName, reason: loaded.reason, probes, calibration, dim: loaded.model.dim, origin: loaded.model.origin }, transfer: [] };
      }
      loaded?.model.dispose();
      session.model = null;
      let backend: BackendName;
      let reason: string;
      let chosen: FeatureModel;
      if (request.choice !== 'auto') {
        backend = request.choice;
        ctx.progress(`starting ${backend}`);
        await activateBackend(backend);
        chosen = await build(session, request.source, request.batchSize);
        const probe = probes.find((p) => p.name === backend);
        reason = `chosen by you${probe ? ` (${probe.detail})` : ''}`;
      } else {
        const { candidates, notes } = autoCandidates(probes);
        let best: { name: BackendName; model: FeatureModel; rate: number } | null = null;
        for (const name of candidates) {
          ctx.progress(`timing ${name}`);
          try {
            const { model: m, imagesPerSecond } = await calibrate(session, name, request.source, request.batchSize);
            calibration.push({ backend: name, imagesPerSecond });
            if (!best || imagesPerSecond > best.rate) {
              best?.model.dispose();
              best = { name, model: m, rate: imagesPerSecond };
            } else m.dispose();
          } catch (e) {
            calibration.push({ backend: name, imagesPerSecond: null, error: (e as Error).message });
          }
        }
        if (!best) throw new JobError('failed', `no backend could run the model: ${calibration.map((c) => `${c.backend}: ${c.error}`).join('; ')}`);
        backend = best.name;
        chosen = best.model;
        await activateBackend(backend);
        const timed = calibration
          .filter((c) => c.imagesPerSecond !== null)
          .map((c) => `${c.backend} ${c.imagesPerSecond!.toFixed(1)}/s`)
          .join(', ');
        reason = `fastest in a timed batch (${timed})${notes.length ? `; ${notes.join('; ')}` : ''}`;
      }
      // What the WASM backend really runs with: tfjs may start fewer threads than asked for.
      if (backend === 'wasm') reason += `; threads in use: ${wasmThreadsInUse()} of ${navigator.hardwareConcurrency} cores`;
      session.model = { model: chosen, key, reason };
      return { result: { backend, reason, probes, calibration, dim: chosen.dim, origin: chosen.origin }, transfer: [] };
    },

    async embedBatch(request) {
      const r = session.requireRun();
      const model = session.model;
      if (!model) throw new JobError('no-model', 'the model is not loaded');
      if (model.model.dim !== r.state.plan.dim) throw new JobError('bad-input', `the model gives ${model.model.dim}-d embeddings, the run stores ${r.state.plan.dim}`);
      const n = request.slots.length;
      // Checked before anything is recorded: a malformed batch changes nothing.
      if (request.fileHashes.length !== n || request.fileBytes.length !== n) throw new JobError('bad-input', `the batch has ${n} slots but ${request.fileHashes.length} file hashes and ${request.fileBytes.length} file sizes`);
      for (const [slot, reason] of request.skipped) r.state.recordSkip(slot, reason);
      const t0 = performance.now();
      let embedMs = 0;
      if (n > 0) {
        const rows = await model.model.embed(request.pixels, n);
        embedMs = performance.now() - t0;
        // The store first, then the state: a slot is only marked done once its row is written.
        // A slot already done (a batch replayed after a resume) keeps the row its sums counted.
        const fresh: number[] = [];
        for (let k = 0; k < n; k++) if (r.state.status[request.slots[k]] === SLOT_TODO) fresh.push(k);
        const d = r.state.plan.dim;
        let freshRows = rows;
        if (fresh.length < n) {
          freshRows = new Float32Array(fresh.length * d);
          fresh.forEach((k, i) => freshRows.set(rows.subarray(k * d, (k + 1) * d), i * d));
        }
        r.store.writeRows(fresh.map((k) => request.slots[k]), freshRows);
        fresh.forEach((k, i) => r.state.recordEmbedding(request.slots[k], freshRows, i * d, request.fileHashes[k], request.fileBytes[k]));
      }
      const checkpointedAt = Date.now() - r.lastCheckpoint >= CHECKPOINT_MS ? checkpoint(r) : null;
      return {
        result: { done: r.state.done, skipped: r.state.skipped, numTensors: tf.memory().numTensors, embedMs, checkpointedAt },
        transfer: [],
      };
    },

    async embedCheckpoint() {
      const r = session.requireRun();
      const savedAt = checkpoint(r);
      return { result: { sequence: r.state.sequence, savedAt }, transfer: [] };
    },

    async embedExport(request) {
      const r = session.requireRun();
      const blob = request.what === 'prototypes' ? prototypesNpz(r.state, r.classCategoryId) : embeddingsNpz(r.state, r.store, (slot) => runImageId(r, slot), r.classCategoryId);
      return { result: blob, transfer: [] };
    },

    async embedTiming(request) {
      const probe = (await probeBackends()).find((p) => p.name === request.backend)!;
      // The run's model (if any) stays loaded on its backend; this one is built, timed and freed.
      await activateBackend(request.backend);
      const numTensorsBefore = tf.memory().numTensors;
      const t0 = performance.now();
      const timed = await build(session, request.source, request.batchSize);
      const setupMs = performance.now() - t0;
      const pixels = new Uint8Array(request.batchSize * MODEL_INPUT_SIZE * MODEL_INPUT_SIZE * 3);
      for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
      const batchMs: number[] = [];
      try {
        for (let b = 0; b < request.batches; b++) {
          const start = performance.now();
          await timed.embed(pixels, request.batchSize);
          batchMs.push(performance.now() - start);
        }
      } finally {
        timed.dispose();
      }
      return {
        result: { backend: request.backend, detail: request.backend === 'wasm' ? `${probe.detail}; threads in use: ${wasmThreadsInUse()} (${await wasmThreadSupport()})` : probe.detail, batchMs, setupMs, numTensorsBefore, numTensorsAfter: tf.memory().numTensors },
        transfer: [],
      };
    },

    async embedClose(request) {
      const run = session.run;
      if (run) {
        const key = run.state.plan.key;
        if (!request.discard) checkpoint(run);
        run.store.close();
        session.run = null;
        if (request.discard && run.storage === 'opfs') await removeOpfsRun(key);
      }
      session.releaseRunLock();
      return { result: null, transfer: [] };
    },
  };
  // Opening and closing hold the run's lock across awaits: one at a time (EmbedSession.inTurn).
  const { embedOpen, embedClose } = handlers;
  return {
    ...handlers,
    embedOpen: (request, ctx) => session.inTurn(() => embedOpen(request, ctx)),
    embedClose: (request, ctx) => session.inTurn(() => embedClose(request, ctx)),
  };
}
