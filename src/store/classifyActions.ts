/**
 * The classifiers, from the page's side. They run in the embed worker, which holds the run's
 * embeddings (src/workers/classifyHandlers.ts); the page sends commands and keeps small results.
 */

import { recallByTrainCount } from '../core/learn/evaluate.ts';
import { bandLimits } from '../core/stats/classStats.ts';
import { downloadBlob } from '../ui/download.ts';
import { JobCancelled } from '../workers/protocol.ts';
import { embedWorker } from './embedActions.ts';
import type { ClassifyView } from './classifySlice.ts';
import { useLab } from './index.ts';

let controller: AbortController | null = null;

const patch = (update: Partial<ClassifyView>) => useLab.getState().patchClassify(update);

function limits() {
  const { dataset, bands } = useLab.getState();
  if (!dataset) throw new Error('load a dataset first');
  return bandLimits(dataset.sizes, bands);
}

function explain(e: unknown): string {
  const message = (e as Error)?.message ?? String(e);
  if (/no embedding run is open/.test(message)) return 'no embedding run is open: embed the dataset in section 5 first (Start also reopens a stored run)';
  return message;
}

/** Runs one classifier job at a time; errors land in the view (a cancel is not an error). */
async function job<T>(busy: NonNullable<ClassifyView['busy']>, work: (signal: AbortSignal) => Promise<T>): Promise<T | null> {
  if (useLab.getState().classify.busy) return null;
  controller = new AbortController();
  patch({ busy, error: null });
  try {
    return await work(controller.signal);
  } catch (e) {
    const cancelled = e instanceof JobCancelled || (e as Error)?.name === 'JobCancelled' || /cancelled/.test((e as Error)?.message ?? '');
    patch({ error: cancelled ? null : explain(e) });
    return null;
  } finally {
    controller = null;
    patch({ busy: null, epoch: null });
  }
}

export function cancelClassify(): void {
  controller?.abort();
}

async function evaluate(tau: number, signal: AbortSignal): Promise<void> {
  const r = await embedWorker.run('classifyEvaluate', { tau, limits: limits() }, { signal });
  const compared = useLab.getState().classify.compared.filter((c) => c.label !== r.label);
  patch({
    evaluation: { label: r.label, at: r.at, baseline: r.baseline, byCount: recallByTrainCount(r.recall, r.trainCount), pairs: r.pairs },
    compared: [...compared, { label: r.label, tau, at: r.at, baseline: r.baseline }],
  });
}

/** Fits the chosen classifier on the train split, then evaluates it at the current τ. */
export function fitClassifier(): Promise<unknown> {
  return job('fitting', async (signal) => {
    const { kind, probe } = useLab.getState().classify;
    patch({ fit: null, sweep: null, evaluation: null, submission: null, losses: [], epoch: null });
    const losses: number[] = [];
    const fit = await embedWorker.run(
      'classifyFit',
      { kind, probe: kind === 'probe' ? probe : undefined, backend: useLab.getState().embedSettings.backend },
      {
        signal,
        onProgress: (p) => {
          losses.push(p.loss);
          patch({ losses: [...losses], epoch: { epoch: p.epoch + 1, epochs: p.epochs } });
        },
      },
    );
    patch({ fit, losses: fit.losses.length ? fit.losses : losses, busy: 'evaluating' });
    await evaluate(useLab.getState().classify.tau, signal);
  });
}

/** Sweeps τ on the held-out split, sets the best one (highest macro-F1) and evaluates there. */
export function autoTau(): Promise<unknown> {
  return job('sweeping', async (signal) => {
    const r = await embedWorker.run('classifySweep', { limits: limits() }, { signal });
    patch({ sweep: { points: r.points, bestTau: r.bestTau, heldoutRows: r.heldoutRows }, tau: r.bestTau, busy: 'evaluating' });
    await evaluate(r.bestTau, signal);
  });
}

/** Sets τ (the section evaluates there once typing pauses: evaluateCurrentTau). */
export function setTau(tau: number): void {
  if (tau >= 0 && Number.isFinite(tau)) patch({ tau });
}

/** Evaluates the fitted classifier at the current τ. */
export function evaluateCurrentTau(): Promise<unknown> {
  if (!useLab.getState().classify.fit) return Promise.resolve(null);
  return job('evaluating', (signal) => evaluate(useLab.getState().classify.tau, signal));
}

/** submission.csv of the test images at the current τ (fits the chosen classifier first when none is). */
export function downloadSubmission(): Promise<unknown> {
  return job('exporting', async (signal) => {
    if (!useLab.getState().classify.fit) {
      const { kind, probe } = useLab.getState().classify;
      const fit = await embedWorker.run('classifyFit', { kind, probe: kind === 'probe' ? probe : undefined, backend: useLab.getState().embedSettings.backend }, { signal });
      patch({ fit, losses: fit.losses });
    }
    const { tau } = useLab.getState().classify;
    const r = await embedWorker.run('classifySubmission', { tau, preview: 5 }, { signal });
    downloadBlob(r.blob, 'submission.csv');
    patch({ submission: { label: r.label, tau: r.tau, rows: r.rows, notEmbedded: r.notEmbedded, fallbackCategoryId: r.fallbackCategoryId, preview: r.preview } });
  });
}
