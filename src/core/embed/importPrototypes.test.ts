import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { CATEGORY_IDS, FEATURES, npzCases } from '../../../scripts/hostile/npz.mjs';
import { writeNpy } from '../formats/npy.ts';
import { writeNpz } from '../formats/npz.ts';
import { MAX_IMPORT_ARRAY_BYTES, importPrototypes, prototypesLimits, type PrototypesTarget } from './importPrototypes.ts';

const target = (classCategoryId: number[], classesWithImages = classCategoryId.length, model: PrototypesTarget['model'] = null): PrototypesTarget => ({
  classCategoryId: Int32Array.from(classCategoryId),
  classesWithImages,
  model,
});
const three = target([2, 5, 9]);
const bytesOf = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());
/** The e2e fixture's classes (9 declared, 8 with train images) and the bundled model's default layer. */
const fixture = target(CATEGORY_IDS, 8, { name: 'MobileNetV2 block 10', dim: FEATURES });

describe('importing prototypes', () => {
  it('a prototypes.npz: rows matched by category_id, counts kept', async () => {
    const npz = writeNpz({
      prototypes: { dtype: '<f4', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) },
      category_id: { dtype: '<i8', shape: [2], data: BigInt64Array.from([9n, 2n]) },
      count: { dtype: '<i8', shape: [2], data: BigInt64Array.from([7n, 3n]) },
    });
    const p = await importPrototypes('prototypes.npz', await bytesOf(npz), three);
    expect(Array.from(p.prototypes)).toEqual([3, 4, 0, 0, 1, 2]);
    expect(Array.from(p.counts)).toEqual([3, -1, 7]);
    expect(p.missingClasses).toBe(1);
    expect(p.matchedBy).toBe('category_id');
  });

  it('a float64 .npy of [C, D] in class order', async () => {
    const npy = writeNpy({ dtype: '<f8', shape: [3, 1], data: Float64Array.from([0.5, 1.5, 2.5]) });
    const p = await importPrototypes('average_vectors.npy', npy, three);
    expect(Array.from(p.prototypes)).toEqual([0.5, 1.5, 2.5]);
    expect(p.matchedBy).toMatch(/row order/);
  });

  it("the seed's layout: one row per category id up to the largest", async () => {
    const npy = writeNpy({ dtype: '<f4', shape: [10, 1], data: Float32Array.from({ length: 10 }, (_, r) => r * 10) });
    const p = await importPrototypes('average_vectors.npy', npy, three);
    expect(Array.from(p.prototypes)).toEqual([20, 50, 90]);
    expect(p.matchedBy).toMatch(/category id/);
  });

  it('wrong shapes, dtypes and ids say what is wrong, naming the file', async () => {
    await expect(importPrototypes('x.npy', writeNpy({ dtype: '<f4', shape: [3], data: new Float32Array(3) }), three)).rejects.toThrow(/^x\.npy: the array has shape \(3,\); prototypes need 2 dimensions/);
    await expect(importPrototypes('x.npy', writeNpy({ dtype: '<i4', shape: [3, 1], data: new Int32Array(3) }), three)).rejects.toThrow(/^x\.npy: .*dtype <i4/);
    const npz = writeNpz({
      prototypes: { dtype: '<f4', shape: [1, 1], data: new Float32Array(1) },
      category_id: { dtype: '<i8', shape: [1], data: BigInt64Array.from([4n]) },
    });
    await expect(importPrototypes('p.npz', await bytesOf(npz), three)).rejects.toThrow(/^p\.npz: .*not categories of the loaded dataset \(first: 4\)/);
    await expect(importPrototypes('junk.npy', new Uint8Array([1, 2, 3]), three)).rejects.toThrow(/^junk\.npy: /);
  });

  it('rows that fit no layout: the declared categories and those with images, and the rows each layout needs', async () => {
    // Issue 12: "the dataset has 8 classes" while the page showed 7, without saying which count.
    const npy = writeNpy({ dtype: '<f4', shape: [4, 1], data: new Float32Array(4) });
    const err = await importPrototypes('x.npy', npy, target([2, 5, 9], 2)).catch((e: Error) => e.message);
    expect(err).toBe(
      'x.npy has 4 prototype rows, but the dataset declares 3 categories (2 with train images): without a category_id array, a prototypes file needs one row per declared category in ascending category id (3 rows) or one row per category id from 0 to 9 (10 rows)',
    );
  });

  it("a dimension other than the run's model gives is refused, naming both (issue 12: 5 features accepted against 96)", async () => {
    const npz = writeNpz({ prototypes: { dtype: '<f4', shape: [3, 5], data: new Float32Array(15) } });
    await expect(importPrototypes('prototypes.npz', await bytesOf(npz), target([2, 5, 9], 3, { name: 'MobileNetV2 block 10', dim: 96 }))).rejects.toThrow(
      'prototypes.npz has 5 features per class; the model of this run, MobileNetV2 block 10, gives 96',
    );
    // While the model's size is not known (a dropped model), any dimension is taken.
    expect((await importPrototypes('prototypes.npz', await bytesOf(npz), three)).dim).toBe(5);
  });
});

describe('the limits: rows × features × 8 bytes, plus a header, and an absolute cap', () => {
  it('for the fixture: 41 rows (ids 0–40) × 96 features', () => {
    const { prototypes, perRow } = prototypesLimits(fixture);
    expect(prototypes.bytes).toBe(41 * 96 * 8 + 65536);
    expect(prototypes.why).toBe('the 97.0 kB this import takes at most for prototypes: 41 rows (category ids 0–40) × 96 features (MobileNetV2 block 10) × 8 bytes, plus 64 KiB of .npy header');
    expect(perRow.bytes).toBe(41 * 8 + 65536);
  });

  it("Herbarium 2022's 15,505 ids with an unknown model's 8,192 features: the 512 MiB cap", () => {
    const ids = Array.from({ length: 15501 }, (_, i) => i + 4);
    expect(prototypesLimits(target(ids)).prototypes).toEqual({ bytes: MAX_IMPORT_ARRAY_BYTES, why: 'the 536.9 MB this import takes at most for any array' });
    expect(prototypesLimits(target(ids, ids.length, { name: 'm', dim: 1280 })).prototypes.bytes).toBe(15505 * 1280 * 8 + 65536);
  });
});

describe('the hostile corpus (scripts/hostile/npz.mjs): each refused in words naming the file', () => {
  const realStream = globalThis.DecompressionStream;
  let inflated = { streams: 0, bytes: 0 };
  afterEach(() => vi.unstubAllGlobals());
  /** DecompressionStream, counting what comes out of it. */
  const countInflation = () => {
    inflated = { streams: 0, bytes: 0 };
    vi.stubGlobal(
      'DecompressionStream',
      class {
        readable: ReadableStream<Uint8Array>;
        writable: WritableStream<Uint8Array>;
        constructor(format: CompressionFormat) {
          inflated.streams++;
          const inner = new realStream(format);
          this.writable = inner.writable as WritableStream<Uint8Array>;
          this.readable = (inner.readable as ReadableStream<Uint8Array>).pipeThrough(
            new TransformStream<Uint8Array, Uint8Array>({
              transform(chunk, out) {
                inflated.bytes += chunk.length;
                out.enqueue(chunk);
              },
            }),
          );
        }
      },
    );
  };

  for (const c of npzCases()) {
    it(c.name, async () => {
      countInflation();
      const message = await importPrototypes(c.name, new Uint8Array(c.buffer), fixture).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
      expect(message.startsWith(c.name)).toBe(true);
      for (const words of c.says) expect(message).toContain(words);
      expect(message).not.toMatch(/typed array|undefined|NaN bytes|RangeError/);
      // Nothing near a member's size is inflated when its headers say too much, or lie.
      if (c.name === 'bomb-1gib.npz') expect(inflated.streams).toBe(0);
      if (c.name === 'lying-size.npz' || c.name === 'header-disagrees.npz') expect(inflated.bytes).toBeLessThan(1 << 20);
    });
  }
});

describe('against files numpy wrote', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npz-numpy-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const numpy = (script: string) => execFileSync('/usr/bin/python3', ['-c', `import numpy as np, os\nos.chdir(${JSON.stringify(dir)})\n${script}`]);
  numpy(`
P = np.arange(9 * 96, dtype='<f4').reshape(9, 96) / 7
ids = np.array([1, 2, 5, 9, 10, 17, 30, 31, 40])
np.savez('prototypes.npz', prototypes=P, category_id=ids, count=np.arange(9))
np.savez_compressed('compressed.npz', prototypes=P.astype('<f2'), category_id=ids[::-1].copy(), count=np.arange(9))
seed = np.zeros((41, 96)); seed[ids] = P
np.save('average_vectors.npy', seed)
np.save('big-endian.npy', P.astype('>f4'))
np.save('fortran.npy', np.asfortranarray(P))
np.save('bool.npy', P > 1)
np.savez_compressed('wrong-dim.npz', prototypes=P[:, :5].copy(), category_id=ids)
np.save('rows.npy', P[:8])
P.tofile('P.f32')
`);
  const read = (name: string) => new Uint8Array(fs.readFileSync(path.join(dir, name)));
  const P = new Float32Array(read('P.f32').buffer.slice(0));

  it('np.savez, np.savez_compressed (float16, ids reversed) and the seed layout of np.save read back', async () => {
    const a = await importPrototypes('prototypes.npz', read('prototypes.npz'), fixture);
    expect(a.prototypes).toEqual(P);
    expect(Array.from(a.counts)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const b = await importPrototypes('compressed.npz', read('compressed.npz'), fixture);
    for (let c = 0; c < 9; c++) for (let k = 0; k < 96; k++) expect(Math.abs(b.prototypes[c * 96 + k] - P[(8 - c) * 96 + k])).toBeLessThan(0.01 * Math.abs(P[(8 - c) * 96 + k]) + 1e-3);
    const seed = await importPrototypes('average_vectors.npy', read('average_vectors.npy'), fixture);
    expect(seed.prototypes).toEqual(P);
    expect(seed.matchedBy).toMatch(/seed/);
  });

  it("numpy's big-endian, Fortran-ordered, bool, wrong-dimension and wrong-row files are refused in words", async () => {
    const refusal = (name: string) => importPrototypes(name, read(name), fixture).then(() => 'accepted', (e: Error) => e.message);
    expect(await refusal('big-endian.npy')).toMatch(/^big-endian\.npy: the data is big-endian \(>f4\)/);
    expect(await refusal('fortran.npy')).toMatch(/^fortran\.npy: the array is Fortran-ordered/);
    expect(await refusal('bool.npy')).toMatch(/^bool\.npy: dtype \|b1 is not supported/);
    expect(await refusal('wrong-dim.npz')).toBe('wrong-dim.npz has 5 features per class; the model of this run, MobileNetV2 block 10, gives 96');
    expect(await refusal('rows.npy')).toMatch(/^rows\.npy has 8 prototype rows, but the dataset declares 9 categories \(8 with train images\)/);
  });
});
