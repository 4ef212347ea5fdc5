/**
 * An image's size from its file header, read before anything decodes it: PNG (IHDR), JPEG (the
 * markers up to the first SOFn, hopping over APPn/EXIF/ICC segments), GIF (logical screen and
 * first frame), WebP (VP8, VP8L, VP8X), BMP and AVIF (ispe, tkhd). Only small windows of the file are read, so a
 * 16,000 × 16,000 image can be refused for the few bytes that say so instead of the gigabytes its
 * decode would take (headerSkipReason, MAX_IMAGE_PIXELS).
 */

export type ImageFormat = 'PNG' | 'JPEG' | 'GIF' | 'WebP' | 'BMP' | 'AVIF';

export type ImageHeader =
  | { status: 'size'; format: ImageFormat; width: number; height: number }
  /** Not a format read here (TIFF, SVG, HEIC, …, or not an image), or an AVIF stating no size: for the decoder to try. */
  | { status: 'unknown' }
  /** The file ends (after `at` bytes) before its header says the size. */
  | { status: 'truncated'; format: ImageFormat; at: number }
  | { status: 'invalid'; format: ImageFormat; reason: string };

/** Where the header's bytes come from: a file (Blob.slice) in the workers, an array in tests. */
export interface ByteSource {
  readonly size: number;
  /** Bytes [start, end) — fewer only at the end of the file. */
  read(start: number, end: number): Promise<Uint8Array>;
}

/**
 * Pixels per image: 2^27 = 134,217,728 (“134 MP”), 512 MiB as RGBA. A decode for the model holds
 * about three such copies at once (the bitmap, the canvas, its ImageData), so ~1.5 GB at the
 * budget. Herbarium sheets (~1000×1500, 1.5 MP), phone photos (12–50 MP, 108 MP at full
 * resolution), 61 MP full-frame and 102 MP medium-format cameras fit; a 16,000 × 16,000 image
 * (256 MP, what made the 2 GB rise) and 200 MP phone sensors do not.
 */
export const MAX_IMAGE_PIXELS = 2 ** 27;

/** The first read: enough for every header but a JPEG's with large APPn segments before its frame. */
const FIRST_WINDOW = 64 * 1024;
/** Later reads, each where a JPEG or GIF segment walk lands. */
const HOP_WINDOW = 4 * 1024;
/** A JPEG with no frame header in this many bytes is refused rather than walked further. */
const JPEG_SCAN_LIMIT = 16 * 1024 * 1024;
/** Top-level boxes an AVIF walk hops over (ftyp, meta, mdat, moov, free… are a handful). */
const AVIF_TOP_BOXES = 256;

export function bytesSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: async (start, end) => bytes.subarray(start, Math.min(end, bytes.length)) };
}

/** Raised inside a parser when the file ends before the bytes it needs. */
class EndOfFile extends Error {}

/** Reads the file through one cached window: a header walk touches few, mostly nearby, bytes. */
class Window {
  private start = 0;
  private bytes: Uint8Array = new Uint8Array(0);

  constructor(private readonly source: ByteSource) {}

  get size(): number {
    return this.source.size;
  }

  /** Bytes [offset, offset + length), or EndOfFile. */
  async at(offset: number, length: number): Promise<Uint8Array> {
    if (offset + length > this.source.size) throw new EndOfFile();
    if (offset < this.start || offset + length > this.start + this.bytes.length) {
      const size = Math.max(length, this.bytes.length === 0 ? FIRST_WINDOW : HOP_WINDOW);
      this.bytes = await this.source.read(offset, Math.min(this.source.size, offset + size));
      this.start = offset;
      if (this.bytes.length < length) throw new EndOfFile();
    }
    return this.bytes.subarray(offset - this.start, offset - this.start + length);
  }
}

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);
const u16be = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u16le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u24le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const u32le = (b: Uint8Array, i: number) => ((b[i + 3] << 24) >>> 0) + ((b[i + 2] << 16) | (b[i + 1] << 8) | b[i]);
const i32le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

/** Signatures; a file shorter than its signature but matching so far is that format, cut short. */
const SIGNATURES: [ImageFormat, (number | null)[]][] = [
  ['PNG', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['JPEG', [0xff, 0xd8]],
  ['GIF', [0x47, 0x49, 0x46, 0x38, null, 0x61]], // GIF87a, GIF89a
  ['BMP', [0x42, 0x4d]],
  ['WebP', [0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50]], // RIFF....WEBP
];

/** An ISO-BMFF file (ftyp first) naming the brand avif (still) or avis (sequence), among what head holds of its brands. */
function isAvif(head: Uint8Array): boolean {
  if (head.length < 12 || ascii(head.subarray(4, 8)) !== 'ftyp') return false;
  const end = Math.min(head.length, u32be(head, 0));
  for (let at = 8; at + 4 <= end; at += at === 8 ? 8 : 4) { // major brand, minor version, compatible brands
    const brand = ascii(head.subarray(at, at + 4));
    if (brand === 'avif' || brand === 'avis') return true;
  }
  return false;
}

function identify(head: Uint8Array, size: number): ImageFormat | null {
  if (size < 2) return null;
  if (isAvif(head)) return 'AVIF';
  for (const [format, signature] of SIGNATURES) {
    const n = Math.min(signature.length, head.length);
    let match = true;
    for (let i = 0; i < n && match; i++) {
      const want = signature[i];
      if (want === null) match = format !== 'GIF' || head[i] === 0x37 || head[i] === 0x39;
      else match = head[i] === want;
    }
    // A cut-short RIFF file is only called WebP once its form type is there to say so.
    if (match && (n === signature.length || format !== 'WebP')) return format;
  }
  return null;
}

/** The image's size from its header, reading only windows of the file; never throws for bad bytes. */
export async function readImageHeader(source: ByteSource): Promise<ImageHeader> {
  const window = new Window(source);
  // 64 bytes: signatures, and an AVIF's ftyp brands (the first read is a 64 KiB window anyway).
  const head = source.size === 0 ? new Uint8Array(0) : await window.at(0, Math.min(source.size, 64));
  const format = identify(head, source.size);
  if (!format) return { status: 'unknown' };
  try {
    const size = await PARSERS[format](window);
    if (size === null) return { status: 'unknown' };
    if (typeof size === 'string') return { status: 'invalid', format, reason: size };
    const [width, height] = size;
    if (width === 0 || height === 0) return { status: 'invalid', format, reason: `its header says ${width}×${height} pixels` };
    return { status: 'size', format, width, height };
  } catch (e) {
    if (e instanceof EndOfFile) return { status: 'truncated', format, at: source.size };
    throw e;
  }
}

/** [width, height], or why the header makes no sense, or null: no size stated (the decoder may find one). */
type Parser = (w: Window) => Promise<[number, number] | string | null>;

interface IsoBox {
  type: string;
  /** Where the box's content starts and ends (bytes). */
  body: number;
  end: number;
}

/**
 * The ISO-BMFF boxes in [start, end): 32-bit or 64-bit sizes, 0 meaning "to the end". A string
 * says why they make no sense. At the top level (end = Infinity), the walk stops at the end of the
 * file, also where a box's header is cut short there: what follows was never going to be read.
 */
async function* isoBoxes(w: Window, start: number, end: number): AsyncGenerator<IsoBox | string> {
  const top = end === Infinity;
  for (let pos = start, n = 0; pos < Math.min(end, w.size); n++) {
    if (top && (n >= AVIF_TOP_BOXES || pos + 8 > w.size)) return;
    const header = await w.at(pos, 8);
    const type = ascii(header.subarray(4, 8));
    let size = u32be(header, 0);
    let body = pos + 8;
    if (size === 1) {
      const large = await w.at(pos + 8, 8);
      size = u32be(large, 0) * 2 ** 32 + u32be(large, 4);
      body += 8;
    } else if (size === 0) size = (top ? w.size : end) - pos;
    if (size < body - pos) return yield `its ${JSON.stringify(type)} box at byte ${pos} says ${size} bytes, less than its own header`;
    if (pos + size > end) return yield `its ${JSON.stringify(type)} box at byte ${pos} runs past the box around it`;
    yield { type, body, end: pos + size };
    pos += size;
  }
}

/** The first box of a type in [start, end), or why the boxes make no sense, or null. */
async function findBox(w: Window, start: number, end: number, type: string): Promise<IsoBox | string | null> {
  for await (const b of isoBoxes(w, start, end)) if (typeof b === 'string' || b.type === type) return b;
  return null;
}

const PARSERS: Record<ImageFormat, Parser> = {
  async PNG(w) {
    const b = await w.at(8, 16); // IHDR must come first: length, type, width, height
    if (ascii(b.subarray(4, 8)) !== 'IHDR') return `its first chunk is ${JSON.stringify(ascii(b.subarray(4, 8)))}, not IHDR`;
    return [u32be(b, 8), u32be(b, 12)];
  },

  async JPEG(w) {
    let pos = 2;
    while (pos < JPEG_SCAN_LIMIT) {
      let b = await w.at(pos, 2);
      if (b[0] !== 0xff) return `no marker at byte ${pos}`;
      // Fill bytes: any number of 0xFF before the marker code.
      while (b[1] === 0xff) b = await w.at(++pos, 2);
      const marker = b[1];
      pos += 2;
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // TEM, RSTn: no length
      if (marker === 0xd9) return 'it ends (EOI) before any frame header';
      if (marker === 0xda) return 'a scan (SOS) comes before any frame header';
      const length = u16be(await w.at(pos, 2), 0);
      if (length < 2) return `segment length ${length} at byte ${pos}`;
      // SOF0–SOF15 but DHT (C4), JPG (C8) and DAC (CC): length, precision, height, width.
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        const sof = await w.at(pos + 2, 5);
        return [u16be(sof, 3), u16be(sof, 1)];
      }
      pos += length;
    }
    return `no frame header (SOFn) in its first ${JPEG_SCAN_LIMIT / 1024 / 1024} MiB`;
  },

  async GIF(w) {
    const screen = await w.at(6, 7);
    let width = u16le(screen, 0);
    let height = u16le(screen, 2);
    let pos = 13 + (screen[4] & 0x80 ? 3 << ((screen[4] & 7) + 1) : 0);
    // To the first image descriptor: browsers grow the canvas to a first frame larger than the screen.
    for (;;) {
      const introducer = (await w.at(pos, 1))[0];
      if (introducer === 0x2c) {
        const frame = await w.at(pos + 5, 4);
        return [Math.max(width, u16le(frame, 0)), Math.max(height, u16le(frame, 2))];
      }
      if (introducer === 0x3b) return width && height ? [width, height] : 'it ends (trailer) before any frame';
      if (introducer !== 0x21) return `unexpected block 0x${introducer.toString(16)} at byte ${pos}`;
      pos += 2; // extension introducer and label, then sub-blocks up to an empty one
      for (let n = (await w.at(pos, 1))[0]; n !== 0; n = (await w.at(pos, 1))[0]) pos += n + 1;
      pos += 1;
    }
  },

  async WebP(w) {
    const b = await w.at(12, 18); // first chunk: fourCC, size, then its first 10 bytes
    const chunk = ascii(b.subarray(0, 4));
    if (chunk === 'VP8 ') {
      // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height (2 bits of scale).
      if (b[11] !== 0x9d || b[12] !== 0x01 || b[13] !== 0x2a) return 'its VP8 frame has no start code';
      return [u16le(b, 14) & 0x3fff, u16le(b, 16) & 0x3fff];
    }
    if (chunk === 'VP8L') {
      if (b[8] !== 0x2f) return 'its VP8L stream has no signature byte';
      const bits = u32le(b, 9);
      return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
    }
    if (chunk === 'VP8X') return [u24le(b, 12) + 1, u24le(b, 15) + 1]; // flags, 3 reserved, canvas − 1
    return `its first chunk is ${JSON.stringify(chunk)}, not VP8, VP8L or VP8X`;
  },

  /**
   * The largest image an AVIF states: the ispe (image spatial extents) properties under
   * meta/iprp/ipco, one per item (the primary image, a grid's output, its cells, alpha, thumbnails:
   * none larger than what a decoder makes), and a sequence's track headers (moov/trak/tkhd).
   */
  async AVIF(w) {
    let largest: [number, number] | null = null;
    const consider = (width: number, height: number) => {
      if (!largest || width * height > largest[0] * largest[1]) largest = [width, height];
    };
    let lastEnd = 0;
    let boxes = 0;
    let sawItemsOrTracks = false;
    for await (const top of isoBoxes(w, 0, Infinity)) {
      if (typeof top === 'string') return top;
      lastEnd = top.end;
      boxes++;
      if (top.type === 'meta' || top.type === 'moov') sawItemsOrTracks = true;
      if (top.type === 'meta') {
        const iprp = await findBox(w, top.body + 4, top.end, 'iprp'); // meta is a full box: version, flags
        if (typeof iprp === 'string') return iprp;
        const ipco = iprp && (await findBox(w, iprp.body, iprp.end, 'ipco'));
        if (typeof ipco === 'string') return ipco;
        if (ipco) {
          for await (const property of isoBoxes(w, ipco.body, ipco.end)) {
            if (typeof property === 'string') return property;
            if (property.type !== 'ispe') continue;
            const b = await w.at(property.body + 4, 8); // version, flags; width, height
            consider(u32be(b, 0), u32be(b, 4));
          }
        }
      } else if (top.type === 'moov') {
        for await (const trak of isoBoxes(w, top.body, top.end)) {
          if (typeof trak === 'string') return trak;
          if (trak.type !== 'trak') continue;
          const tkhd = await findBox(w, trak.body, trak.end, 'tkhd');
          if (typeof tkhd === 'string') return tkhd;
          if (!tkhd) continue;
          // After version/flags: times, track id, duration (20 bytes, 32 in version 1), then 52 bytes
          // of reserved, layer, group, volume and matrix; width and height are 16.16 fixed point.
          const at = tkhd.body + 4 + ((await w.at(tkhd.body, 1))[0] === 1 ? 32 : 20) + 52;
          const b = await w.at(at, 8);
          consider(Math.ceil(u32be(b, 0) / 65536), Math.ceil(u32be(b, 4) / 65536));
        }
      }
    }
    if (largest) return largest;
    // No size, and the file ends inside a box or a box header, or before any meta or moov (an
    // AVIF has one or the other): cut short before it said one.
    const cutInBox = lastEnd > w.size || (lastEnd < w.size && w.size - lastEnd < 8);
    if (cutInBox || (!sawItemsOrTracks && boxes < AVIF_TOP_BOXES)) throw new EndOfFile();
    return null; // items or tracks with no size stated: the decoder may still find one
  },

  async BMP(w) {
    const headerSize = u32le(await w.at(14, 4), 0);
    if (headerSize === 12) {
      const b = await w.at(18, 4); // OS/2 BITMAPCOREHEADER: unsigned 16-bit sides
      return [u16le(b, 0), u16le(b, 2)];
    }
    if (headerSize < 16) return `its DIB header is ${headerSize} bytes`;
    const b = await w.at(18, 8);
    const width = i32le(b, 0);
    const height = i32le(b, 4); // negative: rows stored top-down
    if (width < 0) return `its header says a width of ${width}`;
    return [width, Math.abs(height)];
  },
};

/**
 * Why an image is skipped before decoding, or null to decode it. Unknown formats go to the
 * decoder (it may read AVIF and others; it refuses what it cannot); a cut-short or senseless
 * header of a known format is skipped (no decoder would read it either).
 */
export function headerSkipReason(header: ImageHeader, budget = MAX_IMAGE_PIXELS): string | null {
  switch (header.status) {
    case 'unknown':
      return null;
    case 'truncated':
      return `cut short: the file ends after ${header.at} bytes, inside its ${header.format} header`;
    case 'invalid':
      return `not a valid ${header.format} file: ${header.reason}`;
    case 'size': {
      const pixels = header.width * header.height;
      if (pixels <= budget) return null;
      const mp = (n: number) => (n >= 1e6 ? `${Math.round(n / 1e6)} MP` : `${n} pixels`);
      return `${header.width}×${header.height} pixels (${mp(pixels)}) is over the pixel budget of ${mp(budget)} per image; not decoded`;
    }
  }
}
