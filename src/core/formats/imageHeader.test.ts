import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesSource, headerSkipReason, MAX_IMAGE_PIXELS, readImageHeader, type ImageHeader } from './imageHeader.ts';

/**
 * Real files from another encoder: Python's PIL writes each case at a known size into a temp dir.
 * Name → [format, width, height, PIL code making `im` and saving it to `out`].
 */
const CASES: Record<string, [string, number, number, string]> = {
  'rgb.png': ['PNG', 37, 23, `Image.new('RGB', (37, 23), (10, 200, 30)).save(out)`],
  'rgba.png': ['PNG', 5, 300, `Image.new('RGBA', (5, 300), (10, 200, 30, 9)).save(out)`],
  'baseline.jpg': ['JPEG', 123, 45, `noise(123, 45).save(out, quality=90)`],
  'progressive.jpg': ['JPEG', 200, 77, `noise(200, 77).save(out, progressive=True, quality=80)`],
  'grey.jpg': ['JPEG', 64, 33, `noise(64, 33).convert('L').save(out)`],
  // EXIF (orientation 6, a 60 KB comment) and a 300 KB ICC profile in five APP2 segments: the
  // frame header sits ~360 KB in, past the first window the reader takes.
  'exif.jpg': ['JPEG', 150, 90, `e = Image.Exif(); e[0x0112] = 6; e[0x9286] = b'A' * 60000; noise(150, 90).save(out, exif=e.tobytes(), icc_profile=bytes(range(256)) * 1200)`],
  'cmyk.jpg': ['JPEG', 40, 41, `noise(40, 41).convert('CMYK').save(out)`],
  'still.gif': ['GIF', 31, 17, `noise(31, 17).convert('P').save(out)`],
  'animated.gif': ['GIF', 20, 30, `frames = [noise(20, 30).convert('P') for _ in range(3)]; frames[0].save(out, save_all=True, append_images=frames[1:], loop=0, comment=b'x' * 600)`],
  'lossy.webp': ['WebP', 101, 57, `noise(101, 57).save(out, lossless=False, quality=70)`],
  'lossless.webp': ['WebP', 99, 55, `noise(99, 55).save(out, lossless=True)`],
  'alpha.webp': ['WebP', 77, 66, `noise(77, 66).convert('RGBA').save(out, lossless=False)`],
  'animated.webp': ['WebP', 48, 36, `frames = [noise(48, 36) for _ in range(2)]; frames[0].save(out, save_all=True, append_images=frames[1:])`],
  'rgb.bmp': ['BMP', 41, 19, `noise(41, 19).save(out)`],
  'palette.bmp': ['BMP', 16, 1025, `noise(16, 1025).convert('P').save(out)`],
};

let dir = '';
const files: Record<string, Uint8Array> = {};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ltl-image-header-'));
  const script = [
    'import os, random, sys',
    'from PIL import Image',
    'random.seed(3)',
    'def noise(w, h): return Image.frombytes("RGB", (w, h), bytes(random.randrange(256) for _ in range(w * h * 3)))',
    ...Object.entries(CASES).map(([name, [, , , code]]) => `out = os.path.join(sys.argv[1], ${JSON.stringify(name)}); ${code}`),
  ].join('\n');
  execFileSync('/usr/bin/python3', ['-c', script, dir]);
  for (const name of Object.keys(CASES)) files[name] = new Uint8Array(fs.readFileSync(path.join(dir, name)));
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * AVIF from another encoder: libavif itself (with libaom), called from Python through ctypes, and
 * its own decoder's reading of each file's size (avifDecoderReadFile). Name → [width, height, how].
 * Null where this machine has no libavif: those tests are skipped, the hand-built AVIF tests not.
 */
const AVIF_CASES: Record<string, [number, number, string]> = {
  'still.avif': [37, 23, 'still'],
  'alpha.avif': [40, 31, 'alpha'], // a second item (the alpha plane) with its own ispe
  'grid.avif': [160, 128, 'grid'], // a 2×2 grid of 80×64 cells (MIAF: cells at least 64×64): the cells' ispe are smaller than the image's
  'sequence.avif': [48, 36, 'sequence'], // avis: a track (moov/tkhd) as well as the still item
};
const avifFiles: Record<string, Uint8Array> = {};
let avifSizes: Record<string, [number, number]> | null = null;

beforeAll(() => {
  const script = String.raw`
import ctypes, json, os, sys
lib = None
for name in ('libavif.so.16', 'libavif.so.15', 'libavif.so'):
    try: lib = ctypes.CDLL(name); break
    except OSError: pass
if lib is None: print('null'); sys.exit(0)
class RW(ctypes.Structure): _fields_ = [('data', ctypes.c_void_p), ('size', ctypes.c_size_t)]
lib.avifImageCreate.restype = ctypes.c_void_p
lib.avifImageCreate.argtypes = [ctypes.c_uint32] * 3 + [ctypes.c_int]
lib.avifImageCreateEmpty.restype = ctypes.c_void_p
lib.avifImageAllocatePlanes.argtypes = [ctypes.c_void_p, ctypes.c_int]
lib.avifEncoderCreate.restype = ctypes.c_void_p
lib.avifEncoderAddImage.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int]
lib.avifEncoderAddImageGrid.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
lib.avifEncoderFinish.argtypes = [ctypes.c_void_p, ctypes.POINTER(RW)]
lib.avifDecoderCreate.restype = ctypes.c_void_p
lib.avifDecoderReadFile.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p]
YUV444, PLANES_YUV, PLANES_ALL, SINGLE = 1, 1, 0xff, 2
def image(w, h, planes=PLANES_YUV):
    im = lib.avifImageCreate(w, h, 8, YUV444)
    lib.avifImageAllocatePlanes(im, planes)
    return im
def finish(enc, out):
    rw = RW()
    assert lib.avifEncoderFinish(enc, ctypes.byref(rw)) == 0
    open(out, 'wb').write(ctypes.string_at(rw.data, rw.size))
def make(how, w, h, out):
    enc = lib.avifEncoderCreate()
    if how == 'grid':
        cells = (ctypes.c_void_p * 4)(*[image(w // 2, h // 2) for _ in range(4)])
        assert lib.avifEncoderAddImageGrid(enc, 2, 2, cells, SINGLE) == 0
    elif how == 'sequence':
        for _ in range(2): assert lib.avifEncoderAddImage(enc, image(w, h), 1, 0) == 0
    else:
        assert lib.avifEncoderAddImage(enc, image(w, h, PLANES_ALL if how == 'alpha' else PLANES_YUV), 1, SINGLE) == 0
    finish(enc, out)
def decoded_size(path):
    im = lib.avifImageCreateEmpty()
    assert lib.avifDecoderReadFile(lib.avifDecoderCreate(), im, path.encode()) == 0
    return list(ctypes.cast(im, ctypes.POINTER(ctypes.c_uint32))[0:2])  # avifImage starts width, height
sizes = {}
for name, (w, h, how) in json.loads(sys.argv[2]).items():
    out = os.path.join(sys.argv[1], name)
    make(how, w, h, out)
    sizes[name] = decoded_size(out)
print(json.dumps(sizes))`;
  const out = execFileSync('/usr/bin/python3', ['-c', script, dir, JSON.stringify(AVIF_CASES)]).toString().trim();
  avifSizes = JSON.parse(out);
  if (avifSizes) for (const name of Object.keys(AVIF_CASES)) avifFiles[name] = new Uint8Array(fs.readFileSync(path.join(dir, name)));
});

/** PIL's own reading of a file's size, to check that the file is what the case says. */
function pilSize(name: string): [string, number, number] {
  const out = execFileSync('/usr/bin/python3', ['-c', 'import sys; from PIL import Image; im = Image.open(sys.argv[1]); print(im.format, *im.size)', path.join(dir, name)]).toString().trim().split(' ');
  return [out[0], Number(out[1]), Number(out[2])];
}

const read = (bytes: Uint8Array) => readImageHeader(bytesSource(bytes));

/** Counts the reads a header takes: the reader asks for windows, never the whole file. */
function countingSource(bytes: Uint8Array) {
  const source = bytesSource(bytes);
  const reads: [number, number][] = [];
  return { reads, source: { size: source.size, read: (start: number, end: number) => (reads.push([start, end]), source.read(start, end)) } };
}

describe('readImageHeader', () => {
  it.each(Object.keys(CASES))('reads the size of %s as PIL wrote it', async (name) => {
    const [format, width, height] = CASES[name];
    const pilFormat = { PNG: 'PNG', JPEG: 'JPEG', GIF: 'GIF', WebP: 'WEBP', BMP: 'BMP' }[format];
    expect(pilSize(name)).toEqual([pilFormat, width, height]);
    expect(await read(files[name])).toEqual({ status: 'size', format, width, height });
  });

  it.each(Object.keys(AVIF_CASES))('reads the size of %s as libavif wrote and decodes it', async (name) => {
    if (!avifSizes) return; // no libavif on this machine: the hand-built AVIF tests below still run
    const [width, height] = AVIF_CASES[name];
    expect(avifSizes[name]).toEqual([width, height]);
    expect(await read(avifFiles[name])).toEqual({ status: 'size', format: 'AVIF', width, height });
  });

  it('reads AVIF boxes written by hand: ispe under meta/iprp/ipco, a 64-bit mdat before meta, brands, tkhd', async () => {
    const ispe = (w: number, h: number) => box('ispe', fullBox(), u32(w), u32(h));
    const meta = (...properties: Uint8Array[]) => box('meta', fullBox(), box('hdlr', fullBox(), new Uint8Array(20)), box('iprp', box('ipco', ...properties), box('ipma', fullBox())));
    const big = cat(ftyp('avif', 'mif1', 'miaf'), meta(ispe(16000, 16000)));
    expect(await read(big)).toEqual({ status: 'size', format: 'AVIF', width: 16000, height: 16000 });
    // The largest item counts: a 20000×100 strip beside a 300×200 thumbnail.
    expect(await read(cat(ftyp('avif'), meta(ispe(300, 200), box('pixi', fullBox(), Uint8Array.of(0)), ispe(20000, 100))))).toEqual({ status: 'size', format: 'AVIF', width: 20000, height: 100 });
    // Major brand mif1, avif among the compatible ones; an mdat with a 64-bit size (5 GB said) before meta.
    const mdat64 = cat(u32(1), ascii('mdat'), u32(0), u32(16 + 64), new Uint8Array(64));
    expect(await read(cat(ftyp('mif1', 'avif'), mdat64, meta(ispe(640, 480))))).toEqual({ status: 'size', format: 'AVIF', width: 640, height: 480 });
    // An image sequence (avis) whose only size is its track header: tkhd version 0, width/height 16.16.
    const tkhd = box('tkhd', fullBox(), new Uint8Array(20 + 52), u32(30000 * 65536), u32(20000 * 65536));
    expect(await read(cat(ftyp('avis'), box('moov', box('mvhd', fullBox(), new Uint8Array(96)), box('trak', tkhd))))).toEqual({ status: 'size', format: 'AVIF', width: 30000, height: 20000 });
    // Other ISO-BMFF files (HEIC, MP4), or an AVIF with no size in its boxes: for the decoder to try.
    expect(await read(cat(ftyp('heic', 'mif1'), meta(ispe(16000, 16000))))).toEqual({ status: 'unknown' });
    expect(await read(cat(ftyp('isom', 'mp41'), box('free')))).toEqual({ status: 'unknown' });
    expect(await read(cat(ftyp('avif'), box('free'), meta()))).toEqual({ status: 'unknown' });
    // Boxes that make no sense: a size under its own header, a child running past its parent.
    expect(await read(cat(ftyp('avif'), u32(4), ascii('meta')))).toMatchObject({ status: 'invalid', format: 'AVIF' });
    const overrun = meta(ispe(10, 10));
    new DataView(overrun.buffer).setUint32(12 + 8 + 32 + 8, 400); // the ipco box says 400 bytes
    expect(await read(cat(ftyp('avif'), overrun, box('free', new Uint8Array(1000))))).toMatchObject({ status: 'invalid', format: 'AVIF' });
    // Cut inside the ispe (12 bytes of ipma follow it): truncated. Cut after it, or inside a
    // trailing mdat: the size is said already.
    const inIspe = big.length - 12 - 5;
    expect(await read(big.subarray(0, inIspe))).toEqual({ status: 'truncated', format: 'AVIF', at: inIspe });
    expect(await read(big.subarray(0, big.length - 3))).toEqual({ status: 'size', format: 'AVIF', width: 16000, height: 16000 });
    const withMdat = cat(big, box('mdat', new Uint8Array(500)));
    expect(await read(withMdat.subarray(0, big.length + 100))).toEqual({ status: 'size', format: 'AVIF', width: 16000, height: 16000 });
  });

  it('finds a JPEG frame header past large APPn segments, reading small windows, not the file', async () => {
    const bytes = files['exif.jpg'];
    expect(bytes.length).toBeGreaterThan(300_000);
    const { reads, source } = countingSource(bytes);
    expect(await readImageHeader(source)).toEqual({ status: 'size', format: 'JPEG', width: 150, height: 90 });
    const total = reads.reduce((n, [a, b]) => n + (b - a), 0);
    expect(total).toBeLessThan(bytes.length / 2);
    for (const [a, b] of reads) expect(b - a).toBeLessThanOrEqual(64 * 1024);
  });

  it('cut short anywhere inside the header: says truncated (where the file ends), never a wrong size, never throws', async () => {
    const avif = Object.entries(AVIF_CASES).map(([name, [width, height]]) => [name, ['AVIF', width, height]] as const);
    for (const [name, [format, width, height]] of [...Object.entries(CASES), ...avif]) {
      if (!files[name] && !avifFiles[name]) continue; // no libavif here
      const whole = files[name] ?? avifFiles[name];
      let firstFull = -1;
      // Every cut up to where the size is known (a few hundred bytes; the EXIF JPEG every 97 bytes).
      const step = whole.length > 100_000 ? 97 : 1;
      for (let n = 0; n <= Math.min(whole.length, 400_000); n += step) {
        const result = await read(whole.subarray(0, n));
        if (result.status === 'size') {
          expect(result, `${name} cut at ${n}`).toEqual({ status: 'size', format, width, height });
          if (firstFull < 0) firstFull = n;
        } else if (n >= 2 || result.status !== 'unknown') {
          // Two bytes are enough to name every format but WebP (RIFF....WEBP) and AVIF (....ftypavif): 12.
          if (result.status === 'unknown') expect((format === 'WebP' || format === 'AVIF') && n < 12, `${name} cut at ${n}: ${JSON.stringify(result)}`).toBe(true);
          else expect(result, `${name} cut at ${n}`).toEqual({ status: 'truncated', format, at: n });
        }
      }
      expect(firstFull, name).toBeGreaterThan(0);
    }
  });

  it('names nothing it does not know: text, TIFF, random bytes, an empty file are for the decoder to try', async () => {
    const tiff = Uint8Array.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0, 0, 0]);
    for (const bytes of [new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'), tiff, new Uint8Array(0), Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff)]) {
      expect(await read(bytes)).toEqual({ status: 'unknown' });
    }
    // RIFF but not WebP (a WAV file).
    expect(await read(new TextEncoder().encode('RIFF\x24\x00\x00\x00WAVEfmt '))).toEqual({ status: 'unknown' });
  });

  it('reads headers written by hand: PNG 16000×16000, a BMP top-down and OS/2, a GIF frame bigger than its screen', async () => {
    const png = pngHeader(16000, 16000);
    expect(await read(png)).toEqual({ status: 'size', format: 'PNG', width: 16000, height: 16000 });

    // PIL's BMP with the height negated: rows stored top-down; the size is the same.
    const topDown = files['rgb.bmp'].slice();
    new DataView(topDown.buffer).setInt32(22, -19, true);
    expect(await read(topDown)).toEqual({ status: 'size', format: 'BMP', width: 41, height: 19 });
    // OS/2 BITMAPCOREHEADER: 12 bytes, 16-bit width and height.
    const core = new Uint8Array(26);
    core.set([0x42, 0x4d]);
    new DataView(core.buffer).setUint32(14, 12, true);
    new DataView(core.buffer).setUint16(18, 300, true);
    new DataView(core.buffer).setUint16(20, 200, true);
    expect(await read(core)).toEqual({ status: 'size', format: 'BMP', width: 300, height: 200 });

    // A 1×1 logical screen whose first frame says 16000×16000: browsers grow the canvas to the frame.
    const gif = [...new TextEncoder().encode('GIF89a'), 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
      0x21, 0xfe, 3, 0x61, 0x62, 0x63, 0, // a comment extension
      0x2c, 0, 0, 0, 0, 0x80, 0x3e, 0x80, 0x3e, 0, 2, 2, 0x44, 1, 0, 0x3b];
    expect(await read(Uint8Array.from(gif))).toEqual({ status: 'size', format: 'GIF', width: 16000, height: 16000 });
  });

  it('calls headers that make no sense invalid: PNG without IHDR first, a 0-pixel side, a JPEG scan before any frame', async () => {
    const noIhdr = pngHeader(10, 10);
    noIhdr.set(new TextEncoder().encode('IDAT'), 12);
    expect(await read(noIhdr)).toMatchObject({ status: 'invalid', format: 'PNG' });
    expect(await read(pngHeader(0, 10))).toMatchObject({ status: 'invalid', format: 'PNG' });
    const scanFirst = Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0]);
    expect(await read(scanFirst)).toMatchObject({ status: 'invalid', format: 'JPEG' });
    const eoi = Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]);
    expect(await read(eoi)).toMatchObject({ status: 'invalid', format: 'JPEG' });
    // A JPEG segment length under 2 would loop for ever if believed.
    expect(await read(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 0, 0]))).toMatchObject({ status: 'invalid', format: 'JPEG' });
  });
});

describe('headerSkipReason', () => {
  it('passes sizes inside the budget and unknown formats; skips too many pixels, cut-short and invalid headers, in words', () => {
    const size = (width: number, height: number): ImageHeader => ({ status: 'size', format: 'PNG', width, height });
    expect(MAX_IMAGE_PIXELS).toBe(2 ** 27);
    expect(headerSkipReason(size(1000, 1500))).toBeNull();
    expect(headerSkipReason(size(12000, 9000))).toBeNull(); // a 108 MP phone sensor
    expect(headerSkipReason(size(2 ** 14, 2 ** 13))).toBeNull(); // exactly the budget
    expect(headerSkipReason(size(2 ** 14, 2 ** 13 + 1))).toMatch(/pixel budget/);
    expect(headerSkipReason(size(16000, 16000))).toBe('16000×16000 pixels (256 MP) is over the pixel budget of 134 MP per image; not decoded');
    expect(headerSkipReason(size(100, 100), 5000)).toMatch(/over the pixel budget/);
    expect(headerSkipReason({ status: 'unknown' })).toBeNull();
    expect(headerSkipReason({ status: 'truncated', format: 'JPEG', at: 300 })).toBe('cut short: the file ends after 300 bytes, inside its JPEG header');
    expect(headerSkipReason({ status: 'invalid', format: 'PNG', reason: 'its first chunk is IDAT, not IHDR' })).toBe('not a valid PNG file: its first chunk is IDAT, not IHDR');
  });
});

/** The first 33 bytes of a PNG: signature and an IHDR chunk (CRC left zero: readers of the size do not check it). */
function pngHeader(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes.set([8, 2, 0, 0, 0], 24);
  return bytes;
}

const ascii = (text: string) => new TextEncoder().encode(text);
const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};
/** An ISO-BMFF box: 32-bit size, type, body. */
const box = (type: string, ...body: Uint8Array[]) => {
  const content = cat(...body);
  return cat(u32(8 + content.length), ascii(type), content);
};
/** A full box's version and flags (zero). */
const fullBox = () => new Uint8Array(4);
/** An ftyp box: major brand, minor version 0, the brands (the major one among them). */
const ftyp = (major: string, ...compatible: string[]) => box('ftyp', ascii(major), u32(0), ...[major, ...compatible].map(ascii));
