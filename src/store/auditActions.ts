/**
 * The audit from the page's side: the embed worker runs it over the open run
 * (src/workers/auditHandlers.ts); the page keeps its typed arrays, filters them by the threshold,
 * writes the CSVs, and refits the classifier without the flagged images.
 */

import { duplicatesCsvChunks, labelIssuesCsvChunks, shortcutsCsv, slotsToDrop } from '../core/audit/auditLists.ts';
import { institutionConcentration, SHORTCUT_MIN_IMAGES, shortcutClasses } from '../core/audit/shortcuts.ts';
import { SPLIT_TEST } from '../core/embed/runState.ts';
import type { ClassifyFitResult } from '../workers/classifyTypes.ts';
import { isJobError, type AuditCommands, type MapCommands } from '../workers/protocol.ts';
import type { CommandRunner } from '../workers/workerClient.ts';
import type { AuditList, AuditView, ValidatedScore } from './auditSlice.ts';
import type { LabStore } from './index.ts';

export interface AuditDeps {
  lab: LabStore;
  embed: CommandRunner<keyof AuditCommands | keyof MapCommands>;
  download(blob: Blob, name: string): void;
  /** The image id of a slot (mapActions.slotImageId). */
  slotImageId(slot: number): string;
  /** Fits the classifier with the section's settings (classifyActions.fitClassifier). */
  fitClassifier(): Promise<unknown>;
}

/** Pairs down to this cosine are kept, so the threshold can be lowered to it without a new run. */
export const AUDIT_FLOOR = 0.9;

function explain(e: unknown): string {
  if (isJobError(e, 'no-run')) return 'no embedding run is open: embed the dataset in section 5 first (Start also reopens a stored run)';
  if (isJobError(e, 'no-data')) return (e as Error).message;
  return (e as Error)?.message ?? String(e);
}

/** The validated macro-F1 of a fit, at its chosen τ. */
export function validatedScore(fit: ClassifyFitResult): ValidatedScore {
  const winner = fit.compared.find((c) => c.label === fit.label) ?? fit.compared[0];
  return { label: fit.label, macroF1: winner?.macroF1 ?? NaN, validated: fit.validation.images, fitted: fit.trainRows };
}

export function createAuditActions({ lab, embed, download, slotImageId, fitClassifier }: AuditDeps) {
  const patch = (update: Partial<AuditView>) => lab.getState().patchAudit(update);
  let running: AbortController | null = null;

  /** Per slot, the split as the run lays slots out (train-metadata images, then test images). */
  function slotSplits(): Uint8Array | null {
    return lab.getState().audit.result?.slotSplit ?? null;
  }

  async function runAudit(): Promise<void> {
    const { dataset, embedRun, classify } = lab.getState();
    if (!dataset || !embedRun.key || embedRun.done === 0) {
      patch({ status: 'error', error: 'embed the dataset in section 5 first: the audit works on the embeddings' });
      return;
    }
    running?.abort();
    const controller = new AbortController();
    running = controller;
    const { key, done, total } = embedRun;
    // Asked again for the state already shown: compute it again rather than read the stored one back.
    const fresh = lab.getState().audit.ranOn?.key === key && lab.getState().audit.ranOn?.done === done;
    patch({ status: 'running', error: null, progress: { stage: 'starting', done: 0, total: 0 } });
    try {
      const train = dataset.columns;
      const slotInstitution = new Int32Array(total).fill(-1);
      slotInstitution.set(train.imageInstitution.subarray(0, Math.min(train.imageCount, slotInstitution.length)));
      let correctness: Uint8Array | null = null;
      if (classify.fit) {
        try {
          correctness = (await embed.run('classifyCorrectness', { tau: classify.tau }, { signal: controller.signal })).status;
        } catch (e) {
          if (isJobError(e, 'cancelled')) throw e;
          // A fit of an older run state: the audit runs without the accuracy comparison.
        }
      }
      const result = await embed.run(
        'auditRun',
        { floor: AUDIT_FLOOR, seed: 1, slotInstitution, numInstitutions: train.institutionName.length, correctness, fresh },
        { signal: controller.signal, onProgress: (progress) => patch({ progress }) },
      );
      if (running !== controller) return;
      patch({ status: 'done', result, progress: null, ranOn: { key, done }, threshold: result.suggestedThreshold });
    } catch (e) {
      if (running !== controller) return;
      if (isJobError(e, 'cancelled')) patch({ status: 'idle', progress: null });
      else patch({ status: 'error', error: explain(e), progress: null });
    } finally {
      if (running === controller) running = null;
    }
  }

  /** Shows the open run's stored audit, when there is one and nothing newer is shown. */
  async function loadStoredAudit(): Promise<void> {
    const { embedRun, audit } = lab.getState();
    if (!embedRun.key || audit.result || audit.status === 'running') return;
    const key = embedRun.key;
    try {
      const result = await embed.run('auditLoad', null);
      const now = lab.getState();
      if (!result || now.embedRun.key !== key || now.audit.result || now.audit.status === 'running') return;
      patch({ status: 'done', result, ranOn: { key, done: result.embedded }, threshold: result.suggestedThreshold });
    } catch {
      // No run open in the worker (yet): nothing to show.
    }
  }

  function cancelAudit(): void {
    running?.abort();
  }

  function setAuditThreshold(threshold: number): void {
    const floor = lab.getState().audit.result?.floor ?? AUDIT_FLOOR;
    if (Number.isFinite(threshold)) patch({ threshold: Math.min(1, Math.max(floor, threshold)) });
  }

  function setShortcutShare(share: number): void {
    if (Number.isFinite(share)) patch({ shortcutShare: Math.min(1, Math.max(0.5, share)) });
  }

  function showAuditList(list: AuditList): void {
    patch({ list });
  }

  /** The shortcut classes at the current share (from the metadata alone: no audit run needed). */
  function currentShortcuts() {
    const { dataset, audit } = lab.getState();
    if (!dataset) return null;
    const train = dataset.columns;
    const concentration = audit.result?.institutions ?? institutionConcentration(train.imageClass, train.imageInstitution, train.classCategoryId.length, train.institutionName.length);
    return { concentration, classes: shortcutClasses(concentration, audit.shortcutShare, SHORTCUT_MIN_IMAGES) };
  }

  function downloadDuplicates(): void {
    const { result, threshold } = lab.getState().audit;
    const split = slotSplits();
    if (!result || !split) return;
    download(new Blob([...duplicatesCsvChunks(result.pairs, threshold, split, slotImageId)], { type: 'text/csv' }), 'duplicates.csv');
  }

  function downloadLabelIssues(): void {
    const { audit, dataset } = lab.getState();
    if (!audit.result || !dataset) return;
    const ids = dataset.columns.classCategoryId;
    download(new Blob([...labelIssuesCsvChunks(audit.result.labelIssues, slotImageId, (c) => ids[c])], { type: 'text/csv' }), 'label-issues.csv');
  }

  function downloadShortcuts(): void {
    const { dataset } = lab.getState();
    const shortcuts = currentShortcuts();
    if (!dataset || !shortcuts) return;
    const { classCategoryId, institutionId } = dataset.columns;
    download(new Blob([shortcutsCsv(shortcuts.classes, shortcuts.concentration, (c) => classCategoryId[c], (i) => institutionId[i] ?? i)], { type: 'text/csv' }), 'shortcuts.csv');
  }

  /** Refits the classifier without the flagged images, and keeps its validated macro-F1 beside the one before. */
  async function dropFlaggedAndRefit(): Promise<void> {
    const { audit } = lab.getState();
    const split = slotSplits();
    if (!audit.result || !split) return;
    const dropped = slotsToDrop(audit.result.pairs, audit.threshold, split, audit.result.labelIssues.slot).filter((s) => split[s] !== SPLIT_TEST);
    const previous = lab.getState().classify;
    patch({ cleaned: { dropped, before: null, after: null, busy: true, error: null } });
    try {
      // The score to beat: the current fit unless it already dropped images; else a fit that keeps them all.
      if (!previous.fit || previous.fit.dropped > 0 || lab.getState().classify.dropped) {
        lab.getState().patchClassify({ dropped: null });
        await fitClassifier();
      }
      const beforeFit = lab.getState().classify.fit;
      if (!beforeFit) throw new Error(lab.getState().classify.error ?? 'the classifier could not be fitted');
      const before = validatedScore(beforeFit);
      lab.getState().patchClassify({ dropped });
      await fitClassifier();
      const afterFit = lab.getState().classify.fit;
      if (!afterFit) throw new Error(lab.getState().classify.error ?? 'the classifier could not be refitted');
      patch({ cleaned: { dropped, before, after: validatedScore(afterFit), busy: false, error: null } });
    } catch (e) {
      patch({ cleaned: { dropped, before: null, after: null, busy: false, error: explain(e) } });
    }
  }

  /** Puts the dropped images back and refits. */
  async function restoreDropped(): Promise<void> {
    lab.getState().patchClassify({ dropped: null });
    patch({ cleaned: null });
    await fitClassifier();
  }

  return { runAudit, loadStoredAudit, cancelAudit, setAuditThreshold, setShortcutShare, showAuditList, currentShortcuts, downloadDuplicates, downloadLabelIssues, downloadShortcuts, dropFlaggedAndRefit, restoreDropped };
}

export type AuditActions = ReturnType<typeof createAuditActions>;
