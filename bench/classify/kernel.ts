/**
 * The app's classifier code (src/core/learn) timed in Node on synthetic embeddings: bundled by
 * bench/classify/run.mjs with rolldown (Node 20 does not run TypeScript), nothing reimplemented.
 */
export { ClassSums } from '../../src/core/learn/prototypes.ts';
export { fitNcmScale, ncmModel } from '../../src/core/learn/ncm.ts';
export { logPrior, adjustmentBias } from '../../src/core/learn/logitAdjust.ts';
export { sweepTau, tauGrid } from '../../src/core/learn/tauSweep.ts';
export { scoreTopK } from '../../src/core/learn/scoring.ts';
export { submissionCsv, mostLikelyClass } from '../../src/core/learn/submission.ts';
export { classBandCodes } from '../../src/core/learn/metrics.ts';
export { mulberry32 } from '../../src/core/random.mjs';
