/**
 * The app's classifier code as bench:classify runs it: bundled by Vite into a Web Worker of a
 * cross-origin-isolated page (bench/classify/page/), in headless Chromium, as the app's embed
 * worker runs it. Nothing here is reimplemented: these are the app's own modules.
 */
export { ClassSums } from '../../src/core/learn/prototypes.ts';
export { fitNcmScale, ncmModel } from '../../src/core/learn/ncm.ts';
export { logPrior, adjustmentBias } from '../../src/core/learn/logitAdjust.ts';
export { sweepTau, tauGrid, TauSweep, TauArgmax } from '../../src/core/learn/tauSweep.ts';
export { forEachScoreChunk, scoreTopK, jsDotKernel, defaultChunkRows } from '../../src/core/learn/scoring.ts';
export type { DotKernel, LinearModel } from '../../src/core/learn/scoring.ts';
export { seededSample } from '../../src/core/learn/evaluate.ts';
export { trainProbe, probeModel } from '../../src/core/learn/probe.ts';
export { submissionCsv, mostLikelyClass } from '../../src/core/learn/submission.ts';
export { classBandCodes } from '../../src/core/learn/metrics.ts';
export { tfDotKernel, tfTop1ChunkRows, TOP1_BLOCK } from '../../src/compute/tfDotKernel.ts';
export { activateBackend, wasmThreadsInUse, wasmThreadSupport } from '../../src/compute/backends.ts';
export { mulberry32 } from '../../src/core/random.mjs';
// The Classify step as the app's embed worker runs it (issue 11: the classifier chosen by validation).
export { createProbeObjective } from '../../src/core/learn/probe.ts';
export { classifyHandlers } from '../../src/workers/classifyHandlers.ts';
export { EmbedSession } from '../../src/workers/embedSession.ts';
export { labelledSet, probeSkipReason, validationCap, MAX_VALIDATED, MAX_VALIDATION_WORK, MAX_COVARIANCE_WORK, PROBE_AUTO_BUDGET, SETTING_SEARCH_ROWS, BLOCK_SLOTS } from '../../src/workers/classifySelection.ts';
export { RunPlan, RunState, SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TRAIN } from '../../src/core/embed/runState.ts';
export { memoryRunFiles, RunStore } from '../../src/core/embed/runStore.ts';
export { StringTable } from '../../src/core/dataset/stringTable.ts';
export { ResidualScatter, ledoitWolf, precisionOf } from '../../src/core/learn/lda.ts';
export { tfGram, tfProjectMeans } from '../../src/compute/tfGram.ts';
export { stratifiedBootstrap } from '../../src/core/learn/bootstrap.ts';
