/**
 * Hostile images: files whose header says more pixels than the app decodes (the pixel budget,
 * src/core/formats/imageHeader.ts: 2^27 ≈ 134 MP per image), in each format the header reader
 * knows, and one cut short inside its header. Each is skipped from its first bytes, before a
 * decode, with the reason listed. The PNG is a whole, valid image (a decoder would expand its
 * 249 KB to 1 GiB of RGBA); the others are headers and little else.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A valid greyscale PNG of width×height black pixels (Z_RLE: 16000² deflates to ~249 KB in ~0.1 s). */
export function blackPng(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (grey), no interlace
  // Each row: filter byte 0, then width zero bytes — all zeros.
  const raw = Buffer.alloc((width + 1) * height);
  const idat = zlib.deflateSync(raw, { level: 9, strategy: zlib.constants.Z_RLE });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A progressive JPEG's markers: SOI, a 40 KB EXIF APP1, SOF2 saying width×height, EOI (no scan). */
export function jpegHeader(width, height) {
  const exif = Buffer.alloc(40_000, 0x20);
  Buffer.from('Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0', 'latin1').copy(exif); // a TIFF header, an empty IFD
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (exif.length + 2) >> 8, (exif.length + 2) & 0xff]), exif]);
  const sof2 = Buffer.from([0xff, 0xc2, 0, 17, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, sof2, Buffer.from([0xff, 0xd9])]);
}

/** A GIF whose logical screen is 1×1 and whose first frame says width×height (browsers grow the canvas to it). */
export function gifHeader(width, height) {
  const u16 = (n) => [n & 0xff, n >> 8];
  return Buffer.from([...Buffer.from('GIF89a'), 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255, 0x2c, 0, 0, 0, 0, ...u16(width), ...u16(height), 0, 2, 2, 0x44, 1, 0, 0x3b]);
}

/** An extended WebP (VP8X) header whose canvas is width×height, and nothing after it. */
export function webpHeader(width, height) {
  const out = Buffer.alloc(30);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(22, 4);
  out.write('WEBPVP8X', 8, 'latin1');
  out.writeUInt32LE(10, 16);
  out.writeUIntLE(width - 1, 24, 3);
  out.writeUIntLE(height - 1, 27, 3);
  return out;
}

/** A 24-bit BMP's file and info headers saying width×height, no pixel rows. */
export function bmpHeader(width, height) {
  const out = Buffer.alloc(54);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(54, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  return out;
}

/** The cases: a file each, with the words its skip reason must contain. */
export function imageCases() {
  const budget = (w, h) => `${w}×${h} pixels (${Math.round((w * h) / 1e6)} MP) is over the pixel budget of 134 MP per image`;
  return [
    { name: 'png-16000x16000.png', buffer: blackPng(16000, 16000), reason: budget(16000, 16000) },
    { name: 'jpeg-progressive-60000x50000-after-exif.jpg', buffer: jpegHeader(60000, 50000), reason: budget(60000, 50000) },
    { name: 'gif-frame-16000x16000-on-1x1-screen.gif', buffer: gifHeader(16000, 16000), reason: budget(16000, 16000) },
    { name: 'webp-vp8x-20000x20000.webp', buffer: webpHeader(20000, 20000), reason: budget(20000, 20000) },
    { name: 'bmp-20000x20000.bmp', buffer: bmpHeader(20000, 20000), reason: budget(20000, 20000) },
    { name: 'png-cut-short.png', buffer: blackPng(10, 10).subarray(0, 20), reason: 'cut short: the file ends after 20 bytes, inside its PNG header' },
  ];
}

/** Writes every case into `dir`; returns their names. */
export function writeCases(dir) {
  fs.mkdirSync(dir, { recursive: true });
  return imageCases().map(({ name, buffer }) => {
    fs.writeFileSync(path.join(dir, name), buffer);
    return name;
  });
}
