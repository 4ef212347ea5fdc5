// What ivf.mjs bundles (rolldown): the app's join, its two block-dot kernels, and tfjs with the WASM backend.
export { cellJoin } from '../../../src/core/audit/cellJoin.ts';
export { jsBlockDot } from '../../../src/core/audit/blockDot.ts';
export { tfBlockDot } from '../../../src/compute/tfBlockDot.ts';
export * as tf from '@tensorflow/tfjs';
export { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
