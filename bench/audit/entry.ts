// What bench/audit/run.mjs bundles: the audit's modules, called as the worker calls them
// (src/workers/auditHandlers.ts), with tfjs and its WASM backend in one copy.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export { tf };
export { cellJoin } from '../../src/core/audit/cellJoin.ts';
export { jsBlockDot } from '../../src/core/audit/blockDot.ts';
export { tfBlockDot } from '../../src/compute/tfBlockDot.ts';
export { tfDotKernel } from '../../src/compute/tfDotKernel.ts';
export { tfOtherClassesKernel } from '../../src/compute/tfOtherClasses.ts';
export { confidentLearning, LABEL_TOP_K, nearestMeanProbabilities } from '../../src/core/audit/labelIssues.ts';
export { defaultThreshold, pairKind } from '../../src/core/audit/pairs.ts';
export { institutionConcentration, shortcutClasses, SHORTCUT_MIN_IMAGES, SHORTCUT_MIN_SHARE } from '../../src/core/audit/shortcuts.ts';
export { fitClassMeanScales } from '../../src/core/learn/classMeans.ts';
export { ncmCosineMethod } from '../../src/core/learn/ncm.ts';
export { logPrior } from '../../src/core/learn/logitAdjust.ts';
export { seededSample } from '../../src/core/learn/evaluate.ts';
export { stratifiedSplit } from '../../src/core/learn/split.ts';
export { ClassSums } from '../../src/core/learn/prototypes.ts';
export { normalizeRows } from '../../src/core/project/knn.ts';
export { SPLIT_HELDOUT, SPLIT_TEST, SPLIT_TRAIN } from '../../src/core/embed/runState.ts';
export { mulberry32 } from '../../src/core/random.mjs';

/**
 * tfjs on its WASM backend, the binaries read from `distDir` (node_modules/@tensorflow/tfjs-backend-wasm/dist/),
 * `threads` asked for; returns what tfjs decided.
 */
export async function startWasm(distDir: string, threads: number): Promise<{ backend: string; threads: number; simd: boolean; multithread: boolean }> {
  setWasmPaths(distDir);
  setThreadsCount(threads);
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('the wasm backend did not start');
  await tf.ready();
  return {
    backend: tf.getBackend(),
    threads: getThreadsCount(),
    simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
    multithread: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
  };
}
