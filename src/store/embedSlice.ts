import type { StateCreator } from 'zustand';
import type { BackendChoice, BackendName } from '../core/embed/backendChoice.ts';
import { BUNDLED_MOBILENET_V2 } from '../core/embed/models.ts';
import type { ImportedPrototypes } from '../core/embed/importPrototypes.ts';
import type { InputRange } from '../core/embed/preprocess.ts';
import type { LabState } from './index.ts';

export type EmbedStatus = 'idle' | 'running' | 'paused' | 'done' | 'error';

export interface EmbedSettings {
  /** A MODELS id, or CUSTOM_MODEL_ID for a dropped model. */
  modelId: string;
  layer: string;
  /** ImageNet MobileNetV2's URL; empty: the package's TF Hub address. */
  hubUrl: string;
  /** A dropped TensorFlow.js model: model.json + shards, the layer or node to pool, its input range. */
  customFiles: File[] | null;
  customNode: string;
  customRange: InputRange;
  backend: BackendChoice;
  batchSize: number;
  heldoutFraction: number;
  splitSeed: number;
  includeTest: boolean;
}

export interface EmbedRunView {
  status: EmbedStatus;
  /** What the run is doing now, for people ("timing wasm", "checkpointing"). */
  activity: string;
  key: string | null;
  total: number;
  done: number;
  skipped: [number, string][];
  backend: BackendName | null;
  backendReason: string;
  storage: 'opfs' | 'memory' | null;
  storageNote: string | null;
  imagesPerSecond: number | null;
  etaSeconds: number | null;
  lastCheckpoint: number | null;
  /** tf.memory().numTensors after each batch: the first seen and the range. */
  tensors: { first: number; min: number; max: number; last: number } | null;
  error: string | null;
  /** The run was found in storage and continued (or offered). */
  resumed: boolean;
  /** Where the model came from. */
  modelOrigin: string;
  /** Another tab of this browser has this run open (it owns the run; this one may ask for it). */
  heldElsewhere: boolean;
}

export interface EmbedSlice {
  /** Prototypes loaded from a file (import-prototypes): checked against the dataset and shown; no classifier reads them yet. */
  importedPrototypes: (ImportedPrototypes & { fileName: string }) | null;
  setImportedPrototypes(p: (ImportedPrototypes & { fileName: string }) | null): void;
  embedSettings: EmbedSettings;
  setEmbedSettings(update: Partial<EmbedSettings>): void;
  embedRun: EmbedRunView;
  patchEmbedRun(update: Partial<EmbedRunView>): void;
  resetEmbedRun(): void;
}

export const idleRun: EmbedRunView = {
  status: 'idle',
  activity: '',
  key: null,
  total: 0,
  done: 0,
  skipped: [],
  backend: null,
  backendReason: '',
  storage: null,
  storageNote: null,
  imagesPerSecond: null,
  etaSeconds: null,
  lastCheckpoint: null,
  tensors: null,
  error: null,
  resumed: false,
  modelOrigin: '',
  heldElsewhere: false,
};

export const createEmbedSlice: StateCreator<LabState, [], [], EmbedSlice> = (set) => ({
  embedSettings: {
    modelId: BUNDLED_MOBILENET_V2.id,
    layer: BUNDLED_MOBILENET_V2.layers[0].layer,
    hubUrl: '',
    customFiles: null,
    customNode: '',
    customRange: 'minus1to1',
    backend: 'auto',
    batchSize: 16,
    heldoutFraction: 0.2,
    splitSeed: 0,
    includeTest: true,
  },
  setEmbedSettings(update) {
    set((s) => ({ embedSettings: { ...s.embedSettings, ...update } }));
  },
  importedPrototypes: null,
  setImportedPrototypes(importedPrototypes) {
    set({ importedPrototypes });
  },
  embedRun: idleRun,
  patchEmbedRun(update) {
    set((s) => ({ embedRun: { ...s.embedRun, ...update } }));
  },
  resetEmbedRun() {
    set({ embedRun: idleRun });
  },
});
