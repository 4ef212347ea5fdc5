/**
 * The map, the neighbours and the image viewer, from the page's side: the embed worker projects
 * the run's embeddings and answers neighbour queries (src/workers/mapHandlers.ts); the page keeps
 * the typed arrays it gets back and turns selections into filter chips.
 */

import { StringTable } from '../core/dataset/stringTable.ts';
import { mapCsvChunks } from '../core/project/mapCsv.ts';
import { isJobError, type MapCommands, type ProjectionId } from '../workers/protocol.ts';
import type { CommandRunner } from '../workers/workerClient.ts';
import type { LabStore } from './index.ts';
import type { MapColor, MapView, NeighbourScope } from './mapSlice.ts';

export interface MapDeps {
  lab: LabStore;
  embed: CommandRunner<keyof MapCommands>;
  download(blob: Blob, name: string): void;
}

/** Neighbours the viewer shows. */
export const VIEWER_NEIGHBOURS = 12;

function explain(e: unknown): string {
  if (isJobError(e, 'no-run')) return 'no embedding run is open: embed the dataset in section 5 first (Start also reopens a stored run)';
  return (e as Error)?.message ?? String(e);
}

export function createMapActions({ lab, embed, download }: MapDeps) {
  const patch = (update: Partial<MapView>) => lab.getState().patchMap(update);
  let drawing: AbortController | null = null;
  let nextChipId = 1;
  let viewerRequest = 0;

  /** Projects every embedded image of the open run with the chosen projection. */
  async function drawMap(projection: ProjectionId = lab.getState().map.projection): Promise<void> {
    drawing?.abort();
    const controller = new AbortController();
    drawing = controller;
    const { key, done } = lab.getState().embedRun;
    patch({ projection, status: 'running', error: null, activity: 'reading the embeddings' });
    try {
      const result = await embed.run('mapProject', { projection, seed: 1 }, { signal: controller.signal, onProgress: (activity) => patch({ activity }) });
      if (drawing !== controller) return;
      patch({ result, status: 'done', activity: result.note, drawnFrom: key ? { key, done } : null });
      if (lab.getState().map.color === 'correct') await loadCorrectness();
    } catch (e) {
      if (drawing !== controller) return;
      if (isJobError(e, 'cancelled')) patch({ status: 'idle', activity: '' });
      else patch({ status: 'error', error: explain(e), activity: '' });
    } finally {
      if (drawing === controller) drawing = null;
    }
  }

  /** Right/wrong per validated image under the fitted classifier at the section's τ. */
  async function loadCorrectness(): Promise<void> {
    const { classify } = lab.getState();
    if (!classify.fit) {
      patch({ correctness: null });
      return;
    }
    try {
      const r = await embed.run('classifyCorrectness', { tau: classify.tau });
      patch({ correctness: r });
    } catch (e) {
      patch({ correctness: null, error: explain(e) });
    }
  }

  function setMapColor(color: MapColor): void {
    patch({ color });
    const { correctness, result } = lab.getState().map;
    const { fit, tau } = lab.getState().classify;
    if (color === 'correct' && result && fit && (!correctness || correctness.tau !== tau || correctness.label !== fit.label)) void loadCorrectness();
  }

  function setMapLayer(layer: MapView['layer']): void {
    patch({ layer });
  }

  /** The points a lasso or box took become a filter chip: the sample grid shows them. */
  function selectOnMap(points: Int32Array): void {
    const { result } = lab.getState().map;
    const { dataset } = lab.getState();
    if (!result || !dataset || points.length === 0) return;
    const slots = Int32Array.from(points, (p) => result.slots[p]).sort();
    const test = slots.filter((s) => s >= dataset.columns.imageCount).length;
    const label = `${slots.length.toLocaleString('en-US')} image${slots.length === 1 ? '' : 's'} on the ${result.projection.toUpperCase()} map${test ? ` (${test.toLocaleString('en-US')} test, not in the grid)` : ''}`;
    lab.getState().addChip({ kind: 'map', id: nextChipId++, slots, label });
  }

  /** The image id of a slot (train images, then test images). */
  function slotImageId(slot: number): string {
    const { dataset, test } = lab.getState();
    if (!dataset) return '';
    const n = dataset.columns.imageCount;
    if (slot < n) return dataset.ids.get(slot);
    return test ? testIds(test.columns.imageId).get(slot - n) : '';
  }
  const testTables = new WeakMap<object, StringTable>();
  function testIds(data: Parameters<typeof StringTable.fromData>[0]): StringTable {
    let table = testTables.get(data);
    if (!table) {
      table = StringTable.fromData(data);
      testTables.set(data, table);
    }
    return table;
  }

  function downloadMap(): void {
    const { result } = lab.getState().map;
    if (!result) return;
    const parts = [...mapCsvChunks((i) => slotImageId(result.slots[i]), result.x, result.y, result.projection)];
    download(new Blob(parts, { type: 'text/csv' }), 'map.csv');
  }

  /** Opens the viewer on a slot; ← and → step through `sequence` (see moveViewer). */
  function openViewer(slot: number, sequence: Int32Array | null = null): void {
    const previous = lab.getState().viewer;
    lab.setState({ viewer: { slot, sequence, trail: [], scope: previous?.scope ?? 'all', neighbours: null, neighboursError: null, prediction: null } });
    void loadViewer();
  }

  function closeViewer(): void {
    viewerRequest++;
    lab.getState().patchViewer(null);
  }

  /**
   * ← goes back along the trail of neighbours followed, else to the previous image of the
   * sequence; → goes to the next image of the sequence, else to the nearest neighbour.
   */
  function moveViewer(step: 1 | -1): void {
    const viewer = lab.getState().viewer;
    if (!viewer) return;
    const at = viewer.sequence ? viewer.sequence.indexOf(viewer.slot) : -1;
    if (step === -1 && viewer.trail.length) show(viewer.trail[viewer.trail.length - 1], viewer.trail.slice(0, -1));
    else if (at >= 0 && viewer.sequence!.length > 1) show(viewer.sequence![(at + step + viewer.sequence!.length) % viewer.sequence!.length], viewer.trail);
    else if (step === 1 && viewer.neighbours?.slots.length) showNeighbour(viewer.neighbours.slots[0]);
  }

  /** Moves the viewer to a neighbour of the image shown (← comes back). */
  function showNeighbour(slot: number): void {
    const viewer = lab.getState().viewer;
    if (viewer) show(slot, [...viewer.trail, viewer.slot]);
  }

  function show(slot: number, trail: number[]): void {
    lab.getState().patchViewer({ slot, trail, neighbours: null, neighboursError: null, prediction: null });
    void loadViewer();
  }

  function setNeighbourScope(scope: NeighbourScope): void {
    lab.getState().patchViewer({ scope, neighbours: null });
    void loadViewer();
  }

  /** The viewer's neighbours and, with a fitted classifier, its top-5 classes. */
  async function loadViewer(): Promise<void> {
    const request = ++viewerRequest;
    const viewer = lab.getState().viewer;
    const { embedRun, classify } = lab.getState();
    if (!viewer || !embedRun.key || embedRun.done === 0) return;
    const { slot, scope } = viewer;
    try {
      const r = await embed.run('mapNeighbours', { slot, k: VIEWER_NEIGHBOURS, scope });
      if (request !== viewerRequest) return;
      lab.getState().patchViewer({ neighbours: { slot, split: r.split, scope, slots: r.slots, splits: r.splits, cosines: r.cosines, ms: r.ms }, neighboursError: null });
    } catch (e) {
      if (request !== viewerRequest) return;
      lab.getState().patchViewer({ neighbours: null, neighboursError: explain(e) });
    }
    if (!classify.fit) return;
    try {
      const p = await embed.run('classifyImage', { slot, tau: classify.tau, k: 5 });
      if (request === viewerRequest) lab.getState().patchViewer({ prediction: { ...p, slot } });
    } catch {
      // A classifier fitted on another run state: the viewer just has no prediction.
    }
  }

  return { drawMap, setMapColor, setMapLayer, selectOnMap, downloadMap, openViewer, closeViewer, moveViewer, showNeighbour, setNeighbourScope, slotImageId };
}

export type MapActions = ReturnType<typeof createMapActions>;
