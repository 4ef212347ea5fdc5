/**
 * The embedding map's renderer: regl-scatterplot (WebGL), chosen over plotly's scattergl by
 * measurement (bench/map/render: at 1,050,179 points a pan step 0.72 s against 2.35 s on
 * SwiftShader, its selection 45× faster, 72 KiB of JS against 484 KiB). It gets the points as
 * typed columns in [-1, 1] and a palette index per point; the legend, the hover card and the
 * selection's meaning are the page's (regl-scatterplot only draws and reports).
 */

import { useEffect, useMemo, useRef, useState } from 'react';
import createScatterplot from 'regl-scatterplot';
import { pointsInPolygon } from '../core/project/region.ts';

type Scatterplot = ReturnType<typeof createScatterplot>;

export interface ScatterMapProps {
  x: Float32Array;
  y: Float32Array;
  /** Per point: an index into `palette` (the categorical colour). */
  colorIndex: Uint8Array;
  palette: string[];
  /** Per point: an index into `sizes` (prototypes sized by count); null: one size for all. */
  sizeIndex?: Uint8Array | null;
  sizes?: number[];
  /** Spoken and shown when the points cannot be seen (the map's accessible name). */
  label: string;
  onHover(point: number | null): void;
  onPick(point: number): void;
  /** What Shift + drag draws: a free lasso or a box. */
  selectShape: 'lasso' | 'box';
  /** The points a lasso or box (Shift + drag) took. */
  onLasso(points: Int32Array): void;
  /** After each draw of all the points (for the readout and tests). */
  onDrawn(count: number): void;
}

/** Points scaled into [-1, 1] about their bounding box's centre, one scale for both axes. */
export function normalizedPoints(x: Float32Array, y: Float32Array): { x: Float32Array; y: Float32Array } {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < x0) x0 = x[i];
    if (x[i] > x1) x1 = x[i];
    if (y[i] < y0) y0 = y[i];
    if (y[i] > y1) y1 = y[i];
  }
  const span = Math.max(x1 - x0, y1 - y0);
  const scale = span > 0 ? 1.9 / span : 1;
  const cx = (x0 + x1) / 2 || 0;
  const cy = (y0 + y1) / 2 || 0;
  const nx = new Float32Array(x.length);
  const ny = new Float32Array(y.length);
  for (let i = 0; i < x.length; i++) {
    nx[i] = (x[i] - cx) * scale;
    ny[i] = (y[i] - cy) * scale;
  }
  return { x: nx, y: ny };
}

/** Dots shrink as points grow in number, so a million stay readable as density. */
function dotSize(n: number): number {
  return n < 2_000 ? 6 : n < 20_000 ? 4 : n < 200_000 ? 3 : 2;
}

const HEIGHT = 520;

export function ScatterMap(props: ScatterMapProps) {
  const { x, y, colorIndex, palette, sizeIndex = null, sizes, label, selectShape } = props;
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<Scatterplot | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [drawError, setDrawError] = useState<string | null>(null);
  const drawing = useRef<Promise<unknown>>(Promise.resolve());
  const handlers = useRef(props);
  handlers.current = props;
  const points = useMemo(() => normalizedPoints(x, y), [x, y]);
  const pointsRef = useRef(points);
  pointsRef.current = points;

  // One scatterplot per mounted map; it follows its container's width.
  useEffect(() => {
    const canvas = canvasRef.current!;
    const box = boxRef.current!;
    let plot: Scatterplot;
    try {
      plot = createScatterplot({
        canvas,
        width: Math.max(200, box.clientWidth),
        height: HEIGHT,
        backgroundColor: '#ffffff',
        lassoInitiator: false,
        deselectOnDblClick: false,
        showReticle: false,
        lassoColor: '#1f5f3f',
      });
    } catch (e) {
      setFailure(`This browser gave no WebGL context, so the map cannot be drawn here (${(e as Error)?.message ?? e}); map.csv can still be downloaded.`);
      return;
    }
    plotRef.current = plot;
    let lassoing = false;
    // destroy() drops these subscriptions with the rest.
    plot.subscribe('pointOver', (i: number) => handlers.current.onHover(i));
    plot.subscribe('pointOut', () => handlers.current.onHover(null));
    plot.subscribe('lassoStart', () => (lassoing = true));
    // A click selects the point under it: that opens the viewer. The lasso's own selection is
    // replaced by the page's (its 'select' comes just before 'lassoEnd').
    plot.subscribe('select', ({ points: picked }: { points: number[] }) => {
      if (!lassoing && picked.length === 1) handlers.current.onPick(picked[0]);
      plot.deselect({ preventEvent: true });
    });
    plot.subscribe('lassoEnd', ({ coordinates }: { coordinates: unknown[] }) => {
      lassoing = false;
      const { x: px, y: py } = pointsRef.current;
      // Vertices in the points' own space: pairs in 1.16 (its types say a flat list; both are read).
      const flat = typeof coordinates[0] === 'number' ? (coordinates as number[]) : (coordinates as [number, number][]).flat();
      const taken = pointsInPolygon(px, py, flat.filter((_, k) => k % 2 === 0), flat.filter((_, k) => k % 2 === 1));
      plot.deselect({ preventEvent: true });
      if (taken.length) handlers.current.onLasso(taken);
    });
    const resize = new ResizeObserver(() => plot.set({ width: Math.max(200, box.clientWidth) }));
    resize.observe(box);
    return () => {
      resize.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
  }, []);

  useEffect(() => {
    // lassoType is in 1.16's set() but not yet in its types.
    plotRef.current?.set({ lassoType: selectShape === 'box' ? 'rectangle' : 'freeform' } as Parameters<Scatterplot['set']>[0]);
  }, [selectShape]);

  useEffect(() => {
    const plot = plotRef.current;
    if (!plot) return;
    let stale = false;
    const n = points.x.length;
    const columns: { x: Float32Array; y: Float32Array; valueA: Uint8Array; valueB?: Uint8Array } = { x: points.x, y: points.y, valueA: colorIndex };
    if (sizeIndex) columns.valueB = sizeIndex;
    // regl-scatterplot refuses a draw while the last one runs (seconds at a million points): draws
    // wait their turn, and one superseded while waiting is skipped.
    const drawn = drawing.current.then(async () => {
      if (stale) return;
      plot.set({
        pointColor: palette,
        colorBy: 'valueA',
        pointSize: sizeIndex && sizes ? sizes : dotSize(n),
        sizeBy: sizeIndex && sizes ? 'valueB' : null,
        opacity: n > 200_000 ? 0.6 : 0.9,
      });
      await plot.draw(columns, { zDataType: 'categorical', wDataType: 'categorical' });
      if (!stale) {
        setDrawError(null);
        handlers.current.onDrawn(n);
      }
    });
    drawing.current = drawn.catch(() => undefined);
    drawn.catch((e: unknown) => {
      if (!stale) setDrawError(`The map could not be drawn: ${(e as Error)?.message ?? e}`);
    });
    return () => {
      stale = true;
    };
  }, [points, colorIndex, palette, sizeIndex, sizes]);

  return (
    <div className="scatter-map" ref={boxRef}>
      {(failure ?? drawError) && (
        <p className="error" role="alert" data-testid="map-failure">
          {failure ?? drawError}
        </p>
      )}
      <canvas ref={canvasRef} role="img" aria-label={label} style={{ width: '100%', height: HEIGHT, display: failure ? 'none' : 'block' }} />
    </div>
  );
}
