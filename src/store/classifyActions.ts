/**
 * The classifiers, from the page's side. They run in the embed worker, which holds the run's
 * embeddings (src/workers/classifyHandlers.ts); the page sends commands and keeps small results.
 */

import { recallByTrainCount } from '../core/learn/evaluate.ts';
import { bandLimits } from '../core/stats/classStats.ts';
import type { ClassifyFitRequest } from '../workers/classifyTypes.ts';
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
      patch({ busy: null, epoch: null, stage: null });
    }
  }

  function cancelClassify(): void {
    controller?.abort();
  }

  async function evaluate(tau: number, signal: AbortSignal): Promise<void> {
    const r = await embed.run('classifyEvaluate', { tau, limits: limits() }, { signal });
    patch({
      evaluation: {
        label: r.label,
        at: r.at,
        baseline: r.baseline,
        macroF1Interval: r.macroF1Interval,
        taxonomy: r.taxonomy,
        byCount: recallByTrainCount(r.recall, r.trainCount),
        pairs: r.pairs,
      },
    });
  }

  /** The fit request from the section's settings and the dataset's taxonomy. */
  function fitRequest(): ClassifyFitRequest {
    const { classify, embedSettings, dataset } = lab.getState();
    const { kind, probe, testPrior, validation, dropped } = classify;
    const columns = dataset?.columns;
    return {
      kind,
      probe: kind === 'probe' || kind === 'auto' ? probe : undefined,
      backend: embedSettings.backend,
      testPrior,
      validation,
      limits: limits(),
      taxonomy: columns ? { classGenus: columns.classGenus, classFamily: columns.classFamily } : undefined,
      dropped: dropped ?? undefined,
    };
  }

  /** Fits (validates the candidates, keeps the best, refits it), sets τ to the validated one. */
  async function fit(signal: AbortSignal): Promise<void> {
    patch({ fit: null, sweep: null, evaluation: null, submission: null, losses: [], epoch: null, stage: null });
    const losses: number[] = [];
    const r = await embed.run('classifyFit', fitRequest(), {
      signal,
      onProgress: (p) => {
        if (p.loss !== undefined && p.epoch !== undefined && p.epochs !== undefined) {
          losses.push(p.loss);
          patch({ stage: p.stage, losses: [...losses], epoch: { epoch: p.epoch + 1, epochs: p.epochs } });
        } else patch({ stage: p.stage, epoch: null });
      },
    });
    patch({
      fit: r,
      // The winner's final fit (empty for a class-mean classifier): the folds' curves were progress.
      losses: r.losses,
      tau: r.tau,
      sweep: { points: r.sweep, bestTau: r.tau, heldoutRows: r.validation.images },
      stage: null,
      epoch: null,
    });
  }

  /** Fits the chosen classifier (or, for auto, every candidate), then evaluates it at the validated τ. */
  function fitClassifier(): Promise<unknown> {
    return job('fitting', async (signal) => {
      await fit(signal);
      patch({ busy: 'evaluating' });
      await evaluate(lab.getState().classify.tau, signal);
    });
  }

  /** Sets τ to the validated best (fitting first when nothing is fitted) and evaluates there. */
  function autoTau(): Promise<unknown> {
    return job('sweeping', async (signal) => {
      if (!lab.getState().classify.fit) {
        patch({ busy: 'fitting' });
        await fit(signal);
      } else {
        const r = await embed.run('classifySweep', { limits: limits() }, { signal });
        patch({ sweep: { points: r.points, bestTau: r.bestTau, heldoutRows: r.heldoutRows }, tau: r.bestTau });
      }
      patch({ busy: 'evaluating' });
      await evaluate(lab.getState().classify.tau, signal);
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
      if (!lab.getState().classify.fit) await fit(signal);
      const { tau } = lab.getState().classify;
      const r = await embed.run('classifySubmission', { tau, preview: 5 }, { signal });
      download(r.blob, 'submission.csv');
      patch({ submission: { label: r.label, tau: r.tau, rows: r.rows, notEmbedded: r.notEmbedded, fallbackCategoryId: r.fallbackCategoryId, preview: r.preview } });
    });
  }

  return { fitClassifier, autoTau, setTau, evaluateCurrentTau, downloadSubmission, cancelClassify };
}

export type ClassifyActions = ReturnType<typeof createClassifyActions>;
