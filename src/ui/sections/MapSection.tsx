import { useEffect, useMemo, useState } from 'react';
import { ScatterMap } from '../../charts/ScatterMap.tsx';
import { groupPoints, pointCodes, type PointCodes } from '../../core/project/colorGroups.ts';
import { PROJECTION_IDS, PROJECTION_NAMES, type ProjectionId } from '../../core/project/projectionNames.ts';
import { bandLimits, bandOf, type BandLimits } from '../../core/stats/classStats.ts';
import { pointHighlight } from '../../core/stats/selection.ts';
import { drawMap, downloadMap, openViewer, selectOnMap, setMapColor, setMapLayer, slotImageId } from '../../store/actions.ts';
import { useLab } from '../../store/index.ts';
import type { MapColor, MapLayer } from '../../store/mapSlice.ts';
import { formatNumber } from '../format.ts';
import { Name } from '../widgets/Name.tsx';

/** Categorical colours (Tableau 20), then the grey of points outside the filters. */
const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
  '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d', '#9edae5',
];
const GREY = '#dcdfdc';
/** Prototype dots by class size: log₂ buckets. */
const PROTOTYPE_SIZES = [3, 4, 5, 7, 9, 12, 15, 19, 24];

const COLORS: { id: MapColor; label: string }[] = [
  { id: 'band', label: 'band (many / medium / few-shot)' },
  { id: 'family', label: 'family' },
  { id: 'institution', label: 'institution' },
  { id: 'split', label: 'split (train / held-out / test)' },
  { id: 'correct', label: 'right / wrong under the fitted classifier' },
];

interface Drawn {
  x: Float32Array;
  y: Float32Array;
  colorIndex: Uint8Array;
  palette: string[];
  sizeIndex: Uint8Array | null;
  legend: { name: string; color: string; count: number }[];
}

/** Colour codes and a legend: the 19 largest groups keep a colour, the rest are "other"; points outside the filters are grey. */
function colourPoints(codes: PointCodes, highlight: Uint8Array | null): Pick<Drawn, 'colorIndex' | 'palette' | 'legend'> {
  const groups = groupPoints(codes, PALETTE.length, highlight);
  const n = codes.codes.length;
  const grey = groups.names.length;
  const colorIndex = new Uint8Array(n).fill(grey);
  for (let g = 0; g < grey; g++) for (let k = groups.starts[g]; k < groups.starts[g + 1]; k++) colorIndex[groups.order[k]] = g;
  const palette = [...PALETTE.slice(0, grey), GREY];
  const legend = groups.names.map((name, g) => ({ name, color: palette[g], count: groups.starts[g + 1] - groups.starts[g] }));
  if (highlight) {
    const out = n - groups.order.length;
    if (out) legend.push({ name: 'outside the filters', color: GREY, count: out });
  }
  return { colorIndex, palette, legend };
}

/** Section 7: a map of every embedded image (or of the class prototypes), linked to the filters and the viewer. */
export function MapSection() {
  const dataset = useLab((s) => s.dataset)!;
  const map = useLab((s) => s.map);
  const run = useLab((s) => s.embedRun);
  const chips = useLab((s) => s.chips);
  const bands = useLab((s) => s.bands);
  const fit = useLab((s) => s.classify.fit);
  const [hover, setHover] = useState<number | null>(null);
  const [drawnCount, setDrawnCount] = useState(0);
  const [selectShape, setSelectShape] = useState<'lasso' | 'box'>('lasso');
  const { result } = map;
  const limits = useMemo(() => bandLimits(dataset.sizes, bands), [dataset, bands]);
  const train = dataset.columns;

  // The map draws itself once a run has embeddings and no map exists yet (PCA: one read of the store).
  const canDraw = run.key !== null && run.done > 0 && run.status !== 'running';
  useEffect(() => {
    if (canDraw && map.status === 'idle' && !map.result) void drawMap();
  }, [canDraw, map.status, map.result]);

  const drawn: Drawn | null = useMemo(() => {
    if (!result) return null;
    if (map.layer === 'prototypes') {
      const p = result.prototypes;
      const k = p.classIndex.length;
      const points = { slots: new Int32Array(k), split: new Uint8Array(k), classOf: p.classIndex };
      // A class has no split or institution of its own: prototypes are coloured by band or family.
      const coloring = map.color === 'family' ? 'family' : 'band';
      const codes = pointCodes(points, coloring, train, dataset.sizes, limits, null);
      const sizeIndex = Uint8Array.from(p.count, (c) => Math.min(PROTOTYPE_SIZES.length - 1, Math.floor(Math.log2(Math.max(1, c)))));
      return { x: p.x, y: p.y, sizeIndex, ...colourPoints(codes, null) };
    }
    const codes = pointCodes(result, map.color, train, dataset.sizes, limits, map.correctness?.status ?? null);
    const highlight = pointHighlight(result.slots, train, dataset.sizes, limits, chips);
    return { x: result.x, y: result.y, sizeIndex: null, ...colourPoints(codes, highlight) };
  }, [result, map.layer, map.color, map.correctness, chips, train, dataset.sizes, limits]);

  const stale = result && map.drawnFrom && (map.drawnFrom.key !== run.key || map.drawnFrom.done !== run.done);
  const running = map.status === 'running';

  return (
    <div className="map-section">
      <div className="grid-controls">
        <label>
          projection{' '}
          <select data-testid="map-projection" value={map.projection} disabled={running} onChange={(e) => void drawMap(e.target.value as ProjectionId)}>
            {PROJECTION_IDS.map((id) => (
              <option key={id} value={id}>
                {PROJECTION_NAMES[id]}
              </option>
            ))}
          </select>
        </label>
        <label>
          colour by{' '}
          <select data-testid="map-color" value={map.color} onChange={(e) => setMapColor(e.target.value as MapColor)}>
            {COLORS.map((c) => (
              <option key={c.id} value={c.id} disabled={c.id === 'correct' && !fit}>
                {c.label}
                {c.id === 'correct' && !fit ? ' (fit a classifier first)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          points{' '}
          <select data-testid="map-layer" value={map.layer} onChange={(e) => setMapLayer(e.target.value as MapLayer)}>
            <option value="images">every embedded image</option>
            <option value="prototypes">one per class (its mean, sized by its images)</option>
          </select>
        </label>
        <label>
          Shift + drag draws{' '}
          <select data-testid="map-select-shape" value={selectShape} onChange={(e) => setSelectShape(e.target.value as 'lasso' | 'box')}>
            <option value="lasso">a lasso</option>
            <option value="box">a box</option>
          </select>
        </label>
        <button type="button" className="button" data-testid="map-draw" disabled={!canDraw || running} onClick={() => void drawMap()} title={canDraw ? undefined : 'Embed images in section 5 first'}>
          {result ? 'Redraw' : 'Draw the map'}
        </button>
        <button type="button" className="button" data-testid="download-map" disabled={!result} onClick={downloadMap} title={result ? undefined : 'Draw the map first'}>
          Download map.csv
        </button>
      </div>
      {!canDraw && !result && <p className="note">The map needs embeddings: start (or resume) a run in section 5.</p>}
      {running && (
        <p className="note" data-testid="map-activity" aria-live="polite">
          Projecting: {map.activity}
        </p>
      )}
      {map.error && (
        <p className="error" role="alert" data-testid="map-error">
          {map.error}
        </p>
      )}
      {result && (
        <p className="note" data-testid="map-note">
          {result.note} ({formatNumber(result.ms / 1000, 1)} s).{' '}
          {stale && (
            <strong data-testid="map-stale">
              Drawn from {formatNumber(map.drawnFrom!.done)} embedded images; the run now has {formatNumber(run.done)}: redraw to include them.
            </strong>
          )}
        </p>
      )}
      {map.color === 'correct' && map.correctness && map.layer === 'images' && (
        <p className="note">
          Right / wrong under {map.correctness.label} at τ = {formatNumber(map.correctness.tau, 2)}, on validated images only (held out, or out of fold); the rest are “not validated”.
        </p>
      )}
      {drawn && (
        <div className="map-frame">
          <div
            className="map-canvas"
            data-testid="embedding-map"
            data-points={drawnCount}
            data-projection={result!.projection}
            data-layer={map.layer}
          >
            <ScatterMap
              x={drawn.x}
              y={drawn.y}
              colorIndex={drawn.colorIndex}
              palette={drawn.palette}
              sizeIndex={drawn.sizeIndex}
              sizes={PROTOTYPE_SIZES}
              selectShape={selectShape}
              label={`${result!.projection.toUpperCase()} map of ${formatNumber(drawn.x.length)} ${map.layer === 'prototypes' ? 'class prototypes' : 'embedded images'}; its coordinates are in map.csv`}
              onHover={setHover}
              onPick={(i) => {
                if (map.layer === 'images') openViewer(result!.slots[i]);
                else {
                  const c = result!.prototypes.classIndex[i];
                  if (dataset.byClass.start[c + 1] > dataset.byClass.start[c]) openViewer(dataset.byClass.images[dataset.byClass.start[c]]);
                }
              }}
              onLasso={(points) => {
                if (map.layer === 'images') selectOnMap(points);
                else for (const i of points.slice(0, 50)) useLab.getState().addChip({ kind: 'class', index: result!.prototypes.classIndex[i] });
              }}
              onDrawn={setDrawnCount}
            />
            <HoverCard point={hover} layer={map.layer} limits={limits} />
          </div>
          <ul className="map-legend" data-testid="map-legend" aria-label="legend">
            {drawn.legend.map((g) => (
              <li key={g.name}>
                <span className="swatch" style={{ background: g.color }} aria-hidden="true" /> <Name text={g.name} max={40} /> <span className="muted">{formatNumber(g.count)}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {drawn && (
        <p className="note">
          Drag to pan, scroll to zoom, <kbd>Shift</kbd> + drag to select points with a lasso or a box (they become a filter chip: the sample grid shows them, and
          the other filters grey out what they leave aside); click a point to open it in the viewer.
        </p>
      )}
    </div>
  );
}

/** What the pointer is over: the class and image id (or the class and its size, for prototypes). */
function HoverCard({ point, layer, limits }: { point: number | null; layer: MapLayer; limits: BandLimits }) {
  const dataset = useLab((s) => s.dataset)!;
  const result = useLab((s) => s.map.result);
  const train = dataset.columns;
  if (point === null || !result) return null;
  if (layer === 'prototypes') {
    const c = result.prototypes.classIndex[point];
    if (c === undefined) return null;
    return (
      <div className="map-hover" data-testid="map-hover">
        <Name text={train.className[c]} max={60} /> · {formatNumber(result.prototypes.count[point])} images · {bandOf(dataset.sizes[c], limits)}
      </div>
    );
  }
  const slot = result.slots[point];
  if (slot === undefined) return null;
  const c = result.classOf[point];
  return (
    <div className="map-hover" data-testid="map-hover">
      <Name text={c >= 0 ? train.className[c] : 'test image (no label)'} max={60} /> · id <Name text={slotImageId(slot)} max={40} />
    </div>
  );
}
