import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { ncmModel } from '../core/learn/ncm.ts';
import { scoreTopK } from '../core/learn/scoring.ts';
import { mulberry32 } from '../core/random.mjs';
import { tfDotKernel } from './tfDotKernel.ts';

describe.each(['cpu', 'wasm'])('tfDotKernel on the %s backend', (backend) => {
  it('scores like the plain JavaScript kernel (float64 sums), chunk by chunk, and frees its tensors', async () => {
    await tf.setBackend(backend);
    const rand = mulberry32(5);
    const c = 211;
    const d = 37;
    const n = 150;
    const protos = Float32Array.from({ length: c * d }, () => rand() * 2 - 1);
    const q = Float32Array.from({ length: n * d }, () => rand() * 2 - 1);
    const lp = Float32Array.from({ length: c }, (_, k) => -Math.log(k + 2));
    for (const metric of ['cosine', 'euclidean'] as const) {
      const model = ncmModel(protos, d, metric, 7);
      const before = tf.memory().numTensors;
      const kernel = tfDotKernel(model);
      const rows = Int32Array.from({ length: 90 }, (_, i) => (i * 11) % n);
      const fast = await scoreTopK(q, model, 3, { bias: lp, rows, chunkRows: 32, kernel });
      kernel.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const reference = await scoreTopK(q, model, 3, { bias: lp, rows, chunkRows: 32 });
      let sameTop1 = 0;
      for (let i = 0; i < rows.length * 3; i++) expect(Math.abs(fast.scores[i] - reference.scores[i])).toBeLessThan(1e-4 * (1 + Math.abs(reference.scores[i])));
      for (let r = 0; r < rows.length; r++) if (fast.indexes[r * 3] === reference.indexes[r * 3]) sameTop1++;
      // float32 accumulation order can only swap exact near-ties.
      expect(sameTop1).toBeGreaterThanOrEqual(rows.length - 1);
    }
  });
});
