/**
 * What an embedding run has done, in a form that survives a reload: per image slot whether it
 * is done, skipped (with the reason) or still to do, the CRC-32 and size of its file, and the
 * float64 per-class sums and counts of the train split's embeddings. The embeddings themselves live in the run's store, one fixed
 * slot per image, written before the slot is marked done here: a crash between the two only
 * means the image is embedded again, never counted twice.
 */

import { crc32 } from '../formats/crc32.ts';
import { ClassSums } from '../learn/prototypes.ts';
import type { RunStore } from './runStore.ts';

/** Where an image's embedding goes: the train split builds prototypes, the others do not. */
export const SPLIT_TRAIN = 0;
export const SPLIT_HELDOUT = 1;
export const SPLIT_TEST = 2;
export const splitNames = ['train', 'heldout', 'test'] as const;

export const SLOT_TODO = 0;
export const SLOT_DONE = 1;
export const SLOT_SKIPPED = 2;

/** The fixed facts of a run, as they travel to the embed worker; `key` names the stored run (dataset fingerprint + model + split). */
export interface RunPlanData {
  key: string;
  slots: number;
  /** Slots 0 … nTrain−1 are the train metadata's images in order; the rest are the test images in order. */
  nTrain: number;
  dim: number;
  numClasses: number;
  /** Class index per slot, −1 for test images. */
  slotClass: Int32Array;
  /** SPLIT_* per slot. */
  slotSplit: Uint8Array;
}

export type SplitName = (typeof splitNames)[number];

export interface SlotImage {
  /** A test-metadata image (else a train-metadata one). */
  test: boolean;
  /** Its row in that metadata. */
  index: number;
}

/** Which image a slot holds, given the train images' count: train images first, then test images, each in metadata order. */
export function slotImage(nTrain: number, slot: number): SlotImage {
  return slot < nTrain ? { test: false, index: slot } : { test: true, index: slot - nTrain };
}

/** A run's plan and the one place that says which image a slot holds. */
export class RunPlan implements RunPlanData {
  readonly key: string;
  readonly slots: number;
  readonly nTrain: number;
  readonly dim: number;
  readonly numClasses: number;
  readonly slotClass: Int32Array;
  readonly slotSplit: Uint8Array;

  constructor(data: RunPlanData) {
    if (data.slotClass.length !== data.slots || data.slotSplit.length !== data.slots) throw new RangeError('run plan: per-slot columns do not match the slot count');
    if (!(data.nTrain >= 0 && data.nTrain <= data.slots)) throw new RangeError('run plan: more train images than slots');
    this.key = data.key;
    this.slots = data.slots;
    this.nTrain = data.nTrain;
    this.dim = data.dim;
    this.numClasses = data.numClasses;
    this.slotClass = data.slotClass;
    this.slotSplit = data.slotSplit;
  }

  /** The image in `slot`: a row of the test metadata or of the train metadata. */
  imageOf(slot: number): SlotImage {
    return slotImage(this.nTrain, slot);
  }

  /** The slot of test image `index` (test-metadata order). */
  testSlot(index: number): number {
    return this.nTrain + index;
  }

  /** Slots of `split` (every slot for 'all'), ascending; with `status`, only those done. */
  slotsWhere(split: SplitName | 'all', status?: Uint8Array): Int32Array {
    const wanted = split === 'all' ? -1 : splitNames.indexOf(split);
    const out: number[] = [];
    for (let s = 0; s < this.slots; s++) {
      if ((wanted < 0 || this.slotSplit[s] === wanted) && (!status || status[s] === SLOT_DONE)) out.push(s);
    }
    return Int32Array.from(out);
  }
}

/** Version 1 checkpoints had no store checksums; they are still read (and their store checked by length). */
const MAGIC_V1 = 'LTLRUN1\n';
/** Version 2 checkpoints had no file hashes; they are still read (every slot's file then unknown). */
const MAGIC_V2 = 'LTLRUN2\n';
/** Version 3 adds each slot's file size and CRC-32 after the block checksums. */
const MAGIC = 'LTLRUN3\n';

/** Slots per checksummed block of the store: 256 rows are 1.3 MB at 1,280-d float32, 0.1 MB at 96-d. */
export const BLOCK_SLOTS = 256;

/** What resuming found in the store, checked against the checkpoint. */
export interface StoreCheck {
  /** Done slots whose rows were missing or damaged: marked to do again. */
  requeued: number;
  /** Blocks of slots whose checksum did not match. */
  damagedBlocks: number;
  /** Bytes the checkpoint says the store held, and what it holds now. */
  expectedBytes: number;
  actualBytes: number;
  /** The class sums were rebuilt from the intact rows (a damaged train row was in them). */
  sumsRebuilt: boolean;
}

export class RunState {
  readonly plan: RunPlan;
  readonly status: Uint8Array;
  readonly sums: ClassSums;
  readonly skipReasons = new Map<number, string>();
  done = 0;
  /** Checkpoints written; the newer of two stored states wins. */
  sequence = 0;
  readonly blockSlots: number;
  /**
   * CRC-32 per block of the rows of its done slots (in slot order), as they were on disk at the
   * last checkpoint; rows of slots still to do are left out, since they may be rewritten.
   */
  readonly blockCrcs: Uint32Array;
  /** Blocks with slots marked done since their checksum was taken. */
  private readonly dirtyBlocks = new Set<number>();
  /** The store's length in bytes at the last checkpoint. */
  storeBytes = 0;
  /**
   * CRC-32 of each done slot's image file as it was decoded, and its size in bytes, so an audit
   * can find byte-identical files (identicalFiles.ts). Size 0: unknown (not embedded, embedded
   * before hashes were kept, or its row lost); a hash of 0 is a real CRC when the size is known.
   */
  readonly fileHash: Uint32Array;
  readonly fileBytes: Float64Array;
  /** Read from a version-1 checkpoint: no checksums to check the store against, only its length. */
  private checksumsKnown = true;

  constructor(plan: RunPlan, blockSlots = BLOCK_SLOTS) {
    this.plan = plan;
    this.status = new Uint8Array(plan.slots);
    this.sums = new ClassSums(plan.numClasses, plan.dim);
    this.blockSlots = blockSlots;
    this.blockCrcs = new Uint32Array(Math.ceil(plan.slots / blockSlots));
    this.fileHash = new Uint32Array(plan.slots);
    this.fileBytes = new Float64Array(plan.slots);
  }

  get skipped(): number {
    return this.skipReasons.size;
  }

  /** Slots done or skipped. */
  get processed(): number {
    return this.done + this.skipReasons.size;
  }

  /**
   * Records slot's embedding (row `offset` of `rows`) and its file's CRC-32 and size (0: unknown).
   * A slot already done or skipped is left as it is, so a batch replayed after a resume cannot
   * count an image twice. Returns whether it counted.
   */
  recordEmbedding(slot: number, rows: ArrayLike<number>, offset = 0, fileHash = 0, fileBytes = 0): boolean {
    if (this.status[slot] !== SLOT_TODO) return false;
    this.status[slot] = SLOT_DONE;
    this.fileHash[slot] = fileHash;
    this.fileBytes[slot] = fileBytes;
    this.done++;
    this.dirtyBlocks.add(Math.floor(slot / this.blockSlots));
    if (this.plan.slotSplit[slot] === SPLIT_TRAIN) this.sums.add(rows, this.plan.slotClass[slot], offset);
    return true;
  }

  recordSkip(slot: number, reason: string): boolean {
    if (this.status[slot] !== SLOT_TODO) return false;
    this.status[slot] = SLOT_SKIPPED;
    this.skipReasons.set(slot, reason);
    return true;
  }

  /** Done slots of `split`, ascending. */
  doneSlots(split: SplitName | 'all'): Int32Array {
    return this.plan.slotsWhere(split, this.status);
  }

  /** Slots still to do, ascending. */
  todo(): Int32Array {
    const out = new Int32Array(this.plan.slots - this.processed);
    let k = 0;
    for (let s = 0; s < this.status.length; s++) if (this.status[s] === SLOT_TODO) out[k++] = s;
    return out;
  }

  /**
   * The checkpoint's bytes: a JSON header, the slot statuses, the sums and counts, the store's
   * block checksums, the files' sizes and CRC-32s, a CRC-32 of it all. `store` must hold every
   * done slot's row (flushed by saveState).
   */
  encode(store: RunStore): Uint8Array {
    for (const block of this.dirtyBlocks) this.blockCrcs[block] = this.blockCrc(store, block);
    this.dirtyBlocks.clear();
    this.storeBytes = store.byteLength();
    this.sequence++;
    const header = new TextEncoder().encode(
      JSON.stringify({
        key: this.plan.key,
        slots: this.plan.slots,
        dim: this.plan.dim,
        numClasses: this.plan.numClasses,
        sequence: this.sequence,
        done: this.done,
        skipped: [...this.skipReasons],
        storeBytes: this.storeBytes,
        blockSlots: this.blockSlots,
      }),
    );
    const headerEnd = align8(MAGIC.length + 4 + header.length);
    const statusEnd = align8(headerEnd + this.status.length);
    const sumsEnd = statusEnd + this.sums.sums.byteLength;
    const countsEnd = sumsEnd + this.sums.counts.byteLength;
    const crcsEnd = countsEnd + this.blockCrcs.byteLength;
    // Padded so the float64 column starts 8-aligned, as the sums do.
    const fileBytesAt = align8(crcsEnd);
    const fileHashAt = fileBytesAt + this.fileBytes.byteLength;
    const end = fileHashAt + this.fileHash.byteLength;
    const out = new Uint8Array(end + 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
    view.setUint32(MAGIC.length, header.length, true);
    out.set(header, MAGIC.length + 4);
    out.set(this.status, headerEnd);
    out.set(new Uint8Array(this.sums.sums.buffer, this.sums.sums.byteOffset, this.sums.sums.byteLength), statusEnd);
    out.set(new Uint8Array(this.sums.counts.buffer, this.sums.counts.byteOffset, this.sums.counts.byteLength), sumsEnd);
    out.set(new Uint8Array(this.blockCrcs.buffer), countsEnd);
    out.set(new Uint8Array(this.fileBytes.buffer), fileBytesAt);
    out.set(new Uint8Array(this.fileHash.buffer), fileHashAt);
    view.setUint32(end, crc32(out.subarray(0, end)), true);
    return out;
  }

  /** CRC-32 of `block`'s done rows as the store holds them now. */
  private blockCrc(store: RunStore, block: number): number {
    const done: number[] = [];
    for (let s = block * this.blockSlots, end = Math.min(this.plan.slots, s + this.blockSlots); s < end; s++) if (this.status[s] === SLOT_DONE) done.push(s);
    if (done.length === 0) return 0;
    const raw = store.readRaw(done);
    return crc32(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
  }

  /**
   * Checks the store against this (just decoded) checkpoint: its length, and each block's
   * checksum. A done slot whose row is missing or damaged goes back to do; when a train row was
   * damaged the class sums are rebuilt from the intact rows, so no image counts twice or wrongly.
   */
  checkStore(store: RunStore, onProgress?: (blocksChecked: number, blocks: number) => void): StoreCheck {
    const actualBytes = store.byteLength();
    const rowBytes = this.plan.dim * store.bytesPerValue;
    const blocks = this.blockCrcs.length;
    let requeued = 0;
    let damagedBlocks = 0;
    let trainDamaged = false;
    for (let block = 0; block < blocks; block++) {
      if (block % 64 === 0) onProgress?.(block, blocks);
      const first = block * this.blockSlots;
      const end = Math.min(this.plan.slots, first + this.blockSlots);
      let damaged: boolean;
      if (this.checksumsKnown) damaged = this.blockCrc(store, block) !== this.blockCrcs[block];
      else {
        // No checksum to compare: only rows that lie past the end of the store are known lost.
        damaged = false;
        for (let s = first; s < end; s++) if (this.status[s] === SLOT_DONE && (s + 1) * rowBytes > actualBytes) damaged = true;
      }
      if (!damaged) continue;
      damagedBlocks++;
      for (let s = first; s < end; s++) {
        if (this.status[s] !== SLOT_DONE) continue;
        this.status[s] = SLOT_TODO;
        // Embedded again, and hashed again: the file may have changed since.
        this.fileHash[s] = 0;
        this.fileBytes[s] = 0;
        this.done--;
        requeued++;
        if (this.plan.slotSplit[s] === SPLIT_TRAIN) trainDamaged = true;
      }
      this.blockCrcs[block] = 0;
    }
    if (trainDamaged) this.rebuildSums(store);
    if (!this.checksumsKnown) {
      for (let block = 0; block < blocks; block++) this.dirtyBlocks.add(block);
      this.checksumsKnown = true;
    }
    onProgress?.(blocks, blocks);
    return { requeued, damagedBlocks, expectedBytes: this.storeBytes, actualBytes, sumsRebuilt: trainDamaged };
  }

  /** The class sums and counts again from the stored rows of the done train slots. */
  private rebuildSums(store: RunStore): void {
    this.sums.sums.fill(0);
    this.sums.counts.fill(0);
    const slots = this.plan.slotsWhere('train', this.status);
    const chunk = 4096;
    for (let k = 0; k < slots.length; k += chunk) {
      const part = slots.subarray(k, k + chunk);
      const rows = store.readRows(part);
      for (let i = 0; i < part.length; i++) this.sums.add(rows, this.plan.slotClass[part[i]], i * this.plan.dim);
    }
  }

  /**
   * A state from checkpoint bytes, or the reason they do not fit this plan (another run, damaged,
   * cut short). Statuses and sums must agree: the done count is checked against the statuses.
   */
  static decode(plan: RunPlan, bytes: Uint8Array): RunState | string {
    if (bytes.length < MAGIC.length + 8) return 'the checkpoint is cut short';
    const magic = String.fromCharCode(...bytes.subarray(0, MAGIC.length));
    if (magic !== MAGIC && magic !== MAGIC_V2 && magic !== MAGIC_V1) return 'not a run checkpoint';
    const version1 = magic === MAGIC_V1;
    const withFiles = magic === MAGIC;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const crcAt = bytes.length - 4;
    if (view.getUint32(crcAt, true) !== crc32(bytes.subarray(0, crcAt))) return 'the checkpoint is damaged (checksum)';
    const headerLength = view.getUint32(MAGIC.length, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength))) as {
      key: string;
      slots: number;
      dim: number;
      numClasses: number;
      sequence: number;
      done: number;
      skipped: [number, string][];
      storeBytes?: number;
      blockSlots?: number;
    };
    if (header.key !== plan.key || header.slots !== plan.slots || header.dim !== plan.dim || header.numClasses !== plan.numClasses)
      return 'the checkpoint belongs to another run';
    const state = new RunState(plan, header.blockSlots ?? BLOCK_SLOTS);
    const headerEnd = align8(MAGIC.length + 4 + headerLength);
    const statusEnd = align8(headerEnd + plan.slots);
    const sumsBytes = plan.numClasses * plan.dim * 8;
    const countsEnd = statusEnd + sumsBytes + plan.numClasses * 4;
    const crcsEnd = countsEnd + (version1 ? 0 : state.blockCrcs.byteLength);
    const fileBytesAt = align8(crcsEnd);
    const fileHashAt = fileBytesAt + plan.slots * 8;
    if ((withFiles ? fileHashAt + plan.slots * 4 : crcsEnd) !== crcAt) return 'the checkpoint has the wrong length';
    state.status.set(bytes.subarray(headerEnd, headerEnd + plan.slots));
    new Uint8Array(state.sums.sums.buffer).set(bytes.subarray(statusEnd, statusEnd + sumsBytes));
    new Uint8Array(state.sums.counts.buffer).set(bytes.subarray(statusEnd + sumsBytes, countsEnd));
    if (version1) state.checksumsKnown = false;
    else new Uint8Array(state.blockCrcs.buffer).set(bytes.subarray(countsEnd, crcsEnd));
    if (withFiles) {
      new Uint8Array(state.fileBytes.buffer).set(bytes.subarray(fileBytesAt, fileHashAt));
      new Uint8Array(state.fileHash.buffer).set(bytes.subarray(fileHashAt, crcAt));
    }
    state.storeBytes = header.storeBytes ?? 0;
    for (const [slot, reason] of header.skipped) state.skipReasons.set(slot, reason);
    let done = 0;
    let skipped = 0;
    for (const s of state.status) {
      if (s === SLOT_DONE) done++;
      else if (s === SLOT_SKIPPED) skipped++;
    }
    if (done !== header.done || skipped !== state.skipReasons.size) return 'the checkpoint does not add up';
    state.done = done;
    state.sequence = header.sequence;
    return state;
  }

  /** The newest of several stored checkpoints that decodes for this plan (or null, with why not). */
  static newest(plan: RunPlan, candidates: (Uint8Array | null)[]): { state: RunState | null; index: number; problems: string[] } {
    let best: RunState | null = null;
    let index = -1;
    const problems: string[] = [];
    candidates.forEach((bytes, k) => {
      if (!bytes) return;
      const state = RunState.decode(plan, bytes);
      if (typeof state === 'string') problems.push(state);
      else if (!best || state.sequence > best.sequence) {
        best = state;
        index = k;
      }
    });
    return { state: best, index, problems };
  }
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/**
 * The one way a stored run is resumed: the newest checkpoint that decodes for `plan`, with the
 * store checked against it (missing or damaged rows go back to do), or a fresh state.
 */
export function resumeRun(
  plan: RunPlan,
  store: RunStore,
  onProgress?: (blocksChecked: number, blocks: number) => void,
): { state: RunState; resumed: boolean; problems: string[]; check: StoreCheck | null } {
  const { state, index, problems } = RunState.newest(plan, store.loadStates());
  if (!state) return { state: new RunState(plan), resumed: false, problems, check: null };
  store.resumedFrom(index);
  return { state, resumed: true, problems, check: state.checkStore(store, onProgress) };
}

/** The one way a checkpoint is made: rows durable first, then the state that counts them (with their checksums). */
export function saveCheckpoint(state: RunState, store: RunStore): void {
  store.flushRows();
  store.saveState(state.encode(store));
}
