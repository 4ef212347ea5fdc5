/**
 * The app's actions, wired once: the workers from workers/clients.ts, the app's store, the
 * browser's download. The sections import their actions from here; tests make their own with
 * the create*Actions factories and fake clients.
 */

import { downloadBlob } from '../io/download.ts';
import { createDataClient, createDecodePool, createEmbedClient } from '../workers/clients.ts';
import { createAuditActions } from './auditActions.ts';
import { createClassifyActions } from './classifyActions.ts';
import { createEmbedActions } from './embedActions.ts';
import { useLab } from './index.ts';
import { createLoadActions } from './loadActions.ts';
import { createMapActions } from './mapActions.ts';

const warn = (file: string, message: string) => useLab.getState().addMessages([{ severity: 'warning', file, message }]);

const dataClient = createDataClient((reason) => warn('Long-Tail Lab', `${reason}; working on the page's own thread instead (it may stutter)`));
const embedClient = createEmbedClient((reason) => warn('Embeddings', `${reason}; embedding on the page's own thread instead (slower, and the page may stutter)`));

export const { loadPathedFiles, loadMetadataInput, loadFolderInput, loadDemo, reportIssues } = createLoadActions({
  lab: useLab,
  data: dataClient,
  demoUrl: `${import.meta.env.BASE_URL}demo/`,
});

export const { importPrototypesFile, findStoredRun, takeOverRun, startEmbedding, pauseEmbedding, resumeEmbedding, cancelEmbedding, discardEmbedding, downloadRunFile, timeModel } = createEmbedActions({
  lab: useLab,
  embed: embedClient,
  decoders: createDecodePool(),
  download: downloadBlob,
  baseUrl: () => document.baseURI,
});

export const { fitClassifier, autoTau, setTau, evaluateCurrentTau, downloadSubmission, cancelClassify } = createClassifyActions({
  lab: useLab,
  embed: embedClient,
  download: downloadBlob,
});

export const { drawMap, setMapColor, setMapLayer, selectOnMap, downloadMap, openViewer, closeViewer, moveViewer, showNeighbour, setNeighbourScope, slotImageId } = createMapActions({
  lab: useLab,
  embed: embedClient,
  download: downloadBlob,
});

export const { runAudit, loadStoredAudit, cancelAudit, setAuditThreshold, setShortcutShare, showAuditList, currentShortcuts, downloadDuplicates, downloadLabelIssues, downloadShortcuts, dropFlaggedAndRefit, restoreDropped } = createAuditActions({
  lab: useLab,
  embed: embedClient,
  download: downloadBlob,
  slotImageId,
  fitClassifier,
});

/** For scripts and bench:embed: `await window.longTailLab.timeModel({ backend: 'wasm', batchSize: 8, batches: 5 })`. */
(globalThis as { longTailLab?: object }).longTailLab = { timeModel };
