import { describe, expect, it, vi } from 'vitest';
import { imageCases } from '../../scripts/hostile/images.mjs';
import { imageHandlers } from './imageHandlers.ts';
import type { JobContext } from './protocol.ts';

const ctx: JobContext<never> = { progress: () => {}, checkpoint: async () => {} };

/** Signature and IHDR of a PNG whose header says width×height (no pixel data follows). */
function pngHeader(width: number, height: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(bytes.buffer).setUint32(16, width);
  new DataView(bytes.buffer).setUint32(20, height);
  bytes.set([8, 2, 0, 0, 0], 24);
  return bytes;
}

const file = (bytes: Uint8Array<ArrayBuffer>, name = 'x.png') => new File([bytes], name);

describe('image handlers: the pixel budget, checked from the header before any decode', () => {
  it('refuses a 16000×16000 PNG for the sample grid and for the model without decoding it', async () => {
    const decode = vi.fn(() => Promise.reject(new Error('decoded')));
    vi.stubGlobal('createImageBitmap', decode);
    try {
      const big = file(pngHeader(16000, 16000));
      const thumb = await imageHandlers.thumbnail({ file: big, size: 160 }, ctx);
      expect(thumb.result).toEqual({ ok: false, reason: '16000×16000 pixels (256 MP) is over the pixel budget of 134 MP per image; not decoded' });
      const pixels = await imageHandlers.modelPixels({ file: big }, ctx);
      expect(pixels.result).toEqual({ ok: false, reason: '16000×16000 pixels (256 MP) is over the pixel budget of 134 MP per image; not decoded' });
      expect(decode).not.toHaveBeenCalled();
      // A cut-short header is skipped in words too; an image inside the budget goes to the decoder.
      const cut = await imageHandlers.modelPixels({ file: file(pngHeader(10, 10).subarray(0, 20)) }, ctx);
      expect(cut.result).toEqual({ ok: false, reason: 'cut short: the file ends after 20 bytes, inside its PNG header' });
      expect(decode).not.toHaveBeenCalled();
      const small = await imageHandlers.thumbnail({ file: file(pngHeader(1000, 1500)), size: 160 }, ctx);
      expect(small.result).toMatchObject({ ok: false, reason: expect.stringMatching(/could not be decoded as an image \(decoded\)/) });
      expect(decode).toHaveBeenCalledTimes(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('lets the decoder try a format it does not read; says so when the file cannot be read at all', async () => {
    const decode = vi.fn(() => Promise.reject(new Error('no decoder')));
    vi.stubGlobal('createImageBitmap', decode);
    try {
      // TIFF: a format whose size is not read here, so the decoder decides.
      const tiff = await imageHandlers.modelPixels({ file: file(new Uint8Array([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0, 0, 0, 0, 0]), 'a.tif') }, ctx);
      expect(tiff.result).toMatchObject({ ok: false, reason: expect.stringMatching(/could not be decoded/) });
      expect(decode).toHaveBeenCalledTimes(1);
      // A file moved or changed on disk since it was dropped: reading its first bytes fails.
      const gone = new File([pngHeader(10, 10)], 'gone.png');
      gone.slice = () => ({ arrayBuffer: () => Promise.reject(new DOMException('A requested file could not be read', 'NotReadableError')) }) as unknown as Blob;
      const result = await imageHandlers.thumbnail({ file: gone, size: 160 }, ctx);
      expect(result.result).toEqual({ ok: false, reason: 'could not be read (A requested file could not be read)' });
      expect(decode).toHaveBeenCalledTimes(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('skips every case of the hostile image corpus from its header, with the reason it names', async () => {
    const decode = vi.fn(() => Promise.reject(new Error('decoded')));
    vi.stubGlobal('createImageBitmap', decode);
    try {
      for (const { name, buffer, reason } of imageCases()) {
        const bytes = new Uint8Array(buffer.byteLength);
        bytes.set(buffer);
        const { result } = await imageHandlers.modelPixels({ file: file(bytes, name) }, ctx);
        expect(result, name).toMatchObject({ ok: false, reason: expect.stringContaining(reason) });
      }
      expect(decode).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
