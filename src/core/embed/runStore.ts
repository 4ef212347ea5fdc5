/**
 * Where a run keeps its embeddings (one fixed slot of D values per image, so a slot can be
 * written in any order and rewritten after a resume) and its two alternating checkpoints (the
 * newer valid one wins, so a crash while writing one leaves the other). The browser's store is
 * the Origin Private File System (src/workers/opfsRunStore.ts); this in-memory one serves tests
 * and browsers without OPFS (then a reload loses the run, and the page says so).
 */

import { float16ToFloat32, float32ToFloat16 } from '../formats/float16.ts';

/** float32 unless the slots would pass this many bytes; then float16 (half the size). */
export const FLOAT32_STORE_LIMIT = 2 * 1024 ** 3;

export type StoreDtype = 'f4' | 'f2';

export function storeDtypeFor(slots: number, dim: number): StoreDtype {
  return slots * dim * 4 > FLOAT32_STORE_LIMIT ? 'f2' : 'f4';
}

/** Random access to bytes: an OPFS sync access handle, or memory. */
export interface ByteFile {
  read(into: Uint8Array, at: number): number;
  write(bytes: Uint8Array, at: number): void;
  truncate(size: number): void;
  size(): number;
  flush(): void;
  close(): void;
}

export interface RunFiles {
  embeddings: ByteFile;
  stateA: ByteFile;
  stateB: ByteFile;
  /** The audit's checkpoint and last result (src/workers/auditHandlers.ts); without it the audit is not kept. */
  audit?: ByteFile;
}

export class RunStore {
  readonly bytesPerValue: number;
  private nextState: 'A' | 'B' = 'A';

  constructor(
    private readonly files: RunFiles,
    readonly dim: number,
    readonly dtype: StoreDtype,
  ) {
    this.bytesPerValue = dtype === 'f4' ? 4 : 2;
  }

  /** Writes rows[k] (D values each) to slot slots[k]; consecutive slots go in one write. */
  writeRows(slots: ArrayLike<number>, rows: Float32Array): void {
    const rowBytes = this.dim * this.bytesPerValue;
    const stored = this.dtype === 'f4' ? rows : float32ToFloat16(rows);
    const bytes = new Uint8Array(stored.buffer, stored.byteOffset, slots.length * rowBytes);
    forEachRun(slots, (k, n) => this.files.embeddings.write(bytes.subarray(k * rowBytes, (k + n) * rowBytes), slots[k] * rowBytes));
  }

  /** Rows of the given slots, as float32 [k×D] (a slot never written reads as zeros). */
  readRows(slots: ArrayLike<number>): Float32Array {
    const raw = this.readRaw(slots);
    return raw instanceof Float32Array ? raw : float16ToFloat32(raw);
  }

  /** Stored rows of the given slots (float32, or float16 bit patterns); consecutive slots in one read. */
  readRaw(slots: ArrayLike<number>): Float32Array | Uint16Array {
    const rowBytes = this.dim * this.bytesPerValue;
    const out = new Uint8Array(slots.length * rowBytes);
    // Bytes past the end of the file (slots never written) stay zero.
    forEachRun(slots, (k, n) => this.files.embeddings.read(out.subarray(k * rowBytes, (k + n) * rowBytes), slots[k] * rowBytes));
    return this.dtype === 'f4' ? new Float32Array(out.buffer) : new Uint16Array(out.buffer);
  }

  /** The embeddings file's length in bytes. */
  byteLength(): number {
    return this.files.embeddings.size();
  }

  /** Makes the rows written so far durable (before a checkpoint that counts them is made). */
  flushRows(): void {
    this.files.embeddings.flush();
  }

  /** Writes a checkpoint over the older of the two; the rows it counts were flushed before it was encoded. */
  saveState(bytes: Uint8Array): void {
    const file = this.nextState === 'A' ? this.files.stateA : this.files.stateB;
    file.truncate(0);
    file.write(bytes, 0);
    file.flush();
    this.nextState = this.nextState === 'A' ? 'B' : 'A';
  }

  /** Both stored checkpoints (null where empty), for RunState.newest. */
  loadStates(): (Uint8Array | null)[] {
    return [this.files.stateA, this.files.stateB].map((file) => {
      const size = file.size();
      if (size === 0) return null;
      const bytes = new Uint8Array(size);
      file.read(bytes, 0);
      return bytes;
    });
  }

  /** After loading checkpoint `index` of loadStates(): the next save goes over the other one. */
  resumedFrom(index: number): void {
    this.nextState = index === 0 ? 'B' : 'A';
  }

  /** Replaces the stored audit record (one file: a crash mid-write leaves a record its checksum rejects). */
  saveAudit(bytes: Uint8Array): void {
    const file = this.files.audit;
    if (!file) return;
    file.truncate(0);
    file.write(bytes, 0);
    file.flush();
  }

  /** The stored audit record, or null. */
  loadAudit(): Uint8Array | null {
    const file = this.files.audit;
    const size = file?.size() ?? 0;
    if (!file || size === 0) return null;
    const bytes = new Uint8Array(size);
    file.read(bytes, 0);
    return bytes;
  }

  close(): void {
    for (const file of Object.values(this.files)) file.close();
  }
}

/** A growable in-memory ByteFile. */
export class MemoryFile implements ByteFile {
  private bytes = new Uint8Array(0);
  private length = 0;

  read(into: Uint8Array, at: number): number {
    const n = Math.max(0, Math.min(into.length, this.length - at));
    into.set(this.bytes.subarray(at, at + n));
    return n;
  }

  write(bytes: Uint8Array, at: number): void {
    const end = at + bytes.length;
    if (end > this.bytes.length) {
      const grown = new Uint8Array(Math.max(end, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(bytes, at);
    this.length = Math.max(this.length, end);
  }

  truncate(size: number): void {
    if (size < this.length) this.bytes.fill(0, size, this.length);
    this.length = size;
  }

  size(): number {
    return this.length;
  }

  flush(): void {}
  close(): void {}
}

export function memoryRunFiles(): RunFiles {
  return { embeddings: new MemoryFile(), stateA: new MemoryFile(), stateB: new MemoryFile(), audit: new MemoryFile() };
}

/** Calls visit(k, n) for each run slots[k..k+n) of consecutive slot numbers: one I/O per run. */
function forEachRun(slots: ArrayLike<number>, visit: (k: number, n: number) => void): void {
  for (let k = 0; k < slots.length; ) {
    let n = 1;
    while (k + n < slots.length && slots[k + n] === slots[k] + n) n++;
    visit(k, n);
    k += n;
  }
}
