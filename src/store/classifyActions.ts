/**
 * The classifiers, from the page's side. They run in the embed worker, which holds the run's
 * embeddings (src/workers/classifyHandlers.ts); the page sends commands and keeps small results.
 */

import { recallByTrainCount } from '../core/learn/evaluate.ts';
import { bandLimits } from '../core/stats/classStats.ts';
import { isJobError, type ClassifyCommands } from '../workers/protocol.ts';
import type { CommandRunner } from '../workers/workerClient.ts';
import type { ClassifyView } from './classifySlice.ts';
import type { LabStore } from './index.ts';

export interface ClassifyDeps {
  lab: LabStore;
  /** The embed worker, where the run's embeddings are. */
  embed: CommandRunner<keyof ClassifyCommands>;
  /** Saves a file for the person (submission.csv). */
  download(blob: Blob, name: string): void;
}

/** Says what to do about an error, where its kind has a remedy. */
function explain(e: unknown): string {
  if (isJobError(e, 'no-run')) return 'no embedding run is open: embed the dataset in section 5 first (Start also reopens a stored run)';
  return (e as Error)?.message ?? String(e);
}

export function createClassifyActions({ lab, embed, download }: ClassifyDeps) {
  let controller: AbortController | null = null;

  const patch = (update: Partial<ClassifyView>) => lab.getState().patchClassify(update);

  function limits() {
    const { dataset, bands } = lab.getState();
    if (!dataset) throw new Error('load a dataset first');
    return bandLimits(dataset.sizes, bands);
  }

  /** Runs one classifier job at a time; errors land in the view (a cancel is not an error). */
  async function job<T>(busy: NonNullable<ClassifyView['busy']>, work: (signal: AbortSignal) => Promise<T>): Promise<T | null> {
    if (lab.getState().classify.busy) return null;
    controller = new AbortController();
    patch({ busy, error: null });
    try {
      return await work(controller.signal);
    } catch (e) {
      patch({ error: isJobError(e, 'cancelled') ? null : explain(e) });
      return null;
    } finally {
      controller = null;
      patch({ busy: null, epoch: null });
    }
  }

  function cancelClassify(): void {
    controller?.abort();
  }

  async function evaluate(tau: number, signal: AbortSignal): Promise<void> {
    const r = await embed.run('classifyEvaluate', { tau, limits: limits() }, { signal });
    const compared = lab.getState().classify.compared.filter((c) => c.label !== r.label);
    patch({
      evaluation: { label: r.label, at: r.at, baseline: r.baseline, byCount: recallByTrainCount(r.recall, r.trainCount), pairs: r.pairs },
      compared: [...compared, { label: r.label, tau, at: r.at, baseline: r.baseline }],
    });
  }

  /** Fits the chosen classifier on the train split, then evaluates it at the current τ. */
  function fitClassifier(): Promise<unknown> {
    return job('fitting', async (signal) => {
      const { kind, probe } = lab.getState().classify;
      patch({ fit: null, sweep: null, evaluation: null, submission: null, losses: [], epoch: null });
      const losses: number[] = [];
      const fit = await embed.run(
        'classifyFit',
        { kind, probe: kind === 'probe' ? probe : undefined, backend: lab.getState().embedSettings.backend },
        {
          signal,
          onProgress: (p) => {
            losses.push(p.loss);
            patch({ losses: [...losses], epoch: { epoch: p.epoch + 1, epochs: p.epochs } });
          },
        },
      );
      patch({ fit, losses: fit.losses.length ? fit.losses : losses, busy: 'evaluating' });
      await evaluate(lab.getState().classify.tau, signal);
    });
  }

  /** Sweeps τ on the held-out split, sets the best one (highest macro-F1) and evaluates there. */
  function autoTau(): Promise<unknown> {
    return job('sweeping', async (signal) => {
      const r = await embed.run('classifySweep', { limits: limits() }, { signal });
      patch({ sweep: { points: r.points, bestTau: r.bestTau, heldoutRows: r.heldoutRows }, tau: r.bestTau, busy: 'evaluating' });
      await evaluate(r.bestTau, signal);
    });
  }

  /** Sets τ (the section evaluates there once typing pauses: evaluateCurrentTau). */
  function setTau(tau: number): void {
    if (tau >= 0 && Number.isFinite(tau)) patch({ tau });
  }

  /** Evaluates the fitted classifier at the current τ. */
  function evaluateCurrentTau(): Promise<unknown> {
    if (!lab.getState().classify.fit) return Promise.resolve(null);
    return job('evaluating', (signal) => evaluate(lab.getState().classify.tau, signal));
  }

  /** submission.csv of the test images at the current τ (fits the chosen classifier first when none is). */
  function downloadSubmission(): Promise<unknown> {
    return job('exporting', async (signal) => {
      if (!lab.getState().classify.fit) {
        const { kind, probe } = lab.getState().classify;
        const fit = await embed.run('classifyFit', { kind, probe: kind === 'probe' ? probe : undefined, backend: lab.getState().embedSettings.backend }, { signal });
        patch({ fit, losses: fit.losses });
      }
      const { tau } = lab.getState().classify;
      const r = await embed.run('classifySubmission', { tau, preview: 5 }, { signal });
      download(r.blob, 'submission.csv');
      patch({ submission: { label: r.label, tau: r.tau, rows: r.rows, notEmbedded: r.notEmbedded, fallbackCategoryId: r.fallbackCategoryId, preview: r.preview } });
    });
  }

  return { fitClassifier, autoTau, setTau, evaluateCurrentTau, downloadSubmission, cancelClassify };
}

export type ClassifyActions = ReturnType<typeof createClassifyActions>;
