import type { StateCreator } from 'zustand';
import type { ClassifyImageResult, MapProjectResult, ProjectionId } from '../workers/protocol.ts';
import type { LabState } from './index.ts';

export type MapColor = 'band' | 'family' | 'institution' | 'split' | 'correct';
export type MapLayer = 'images' | 'prototypes';
export type NeighbourScope = 'all' | 'same' | 'other';

/**
 * The map (section 7): its settings, the projection of the run's embedded images (typed arrays
 * from the embed worker, one entry per point), and the correct/incorrect codes per slot.
 */
export interface MapView {
  projection: ProjectionId;
  color: MapColor;
  layer: MapLayer;
  status: 'idle' | 'running' | 'done' | 'error';
  activity: string;
  error: string | null;
  result: MapProjectResult | null;
  /** The run and its done count the map was drawn from (a map of an older state is marked as such). */
  drawnFrom: { key: string; done: number } | null;
  /** Per slot (classifyCorrectness): 0 not validated, 1 right, 2 wrong; with the classifier and τ. */
  correctness: { label: string; tau: number; status: Uint8Array } | null;
}

/** The image viewer: the image (a slot of the run's layout: train images, then test images). */
export interface ViewerView {
  slot: number;
  /** What ← and → step through (the grid's tiles); null: → goes to the nearest neighbour. */
  sequence: Int32Array | null;
  /** Images left by going to a neighbour (← goes back). */
  trail: number[];
  scope: NeighbourScope;
  neighbours: { slot: number; split: number; scope: NeighbourScope; slots: Int32Array; splits: Uint8Array; cosines: Float32Array; ms: number } | null;
  neighboursError: string | null;
  prediction: (ClassifyImageResult & { slot: number }) | null;
}

export interface MapSlice {
  map: MapView;
  patchMap(update: Partial<MapView>): void;
  viewer: ViewerView | null;
  patchViewer(update: Partial<ViewerView> | null): void;
}

export const initialMap: MapView = {
  projection: 'pca',
  color: 'band',
  layer: 'images',
  status: 'idle',
  activity: '',
  error: null,
  result: null,
  drawnFrom: null,
  correctness: null,
};

export const createMapSlice: StateCreator<LabState, [], [], MapSlice> = (set) => ({
  map: initialMap,
  patchMap(update) {
    set((s) => ({ map: { ...s.map, ...update } }));
  },
  viewer: null,
  patchViewer(update) {
    set((s) => ({ viewer: update === null ? null : s.viewer ? { ...s.viewer, ...update } : null }));
  },
});
