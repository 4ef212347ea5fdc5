import { useEffect, useRef, useState } from 'react';
import { SPLIT_HELDOUT, SPLIT_TEST } from '../../core/embed/runState.ts';
import { shortName } from '../../core/text.ts';
import { closeViewer, moveViewer, setNeighbourScope, showNeighbour } from '../../store/actions.ts';
import { useLab } from '../../store/index.ts';
import type { NeighbourScope } from '../../store/mapSlice.ts';
import { formatNumber } from '../format.ts';
import { Name } from './Name.tsx';
import { Thumbnail } from './Thumbnail.tsx';
import { useSlot } from './SlotThumbnail.tsx';

const SPLIT_NAMES = ['train', 'held-out', 'test'];

/** The image itself at full resolution (an object URL of the dropped file, revoked when it goes). */
function LargeImage({ file, alt }: { file: File | undefined; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!file) return setUrl(null);
    const u = URL.createObjectURL(file);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [file]);
  if (!file) return <div className="viewer-missing">The image folder does not hold this file (drop the folder to see it).</div>;
  return url ? <img className="viewer-image" src={url} alt={alt} /> : null;
}

function NeighbourTile({ slot, cosine, split }: { slot: number; cosine: number; split: number }) {
  const info = useSlot(slot);
  const key = info.file ? `${info.fileName}#${info.file.size}:${info.file.lastModified}` : `missing:${info.id}`;
  return (
    <button
      type="button"
      className="neighbour"
      data-testid="neighbour"
      data-image-id={info.id}
      data-cosine={cosine.toFixed(6)}
      onClick={() => showNeighbour(slot)}
      title={`${info.className ?? 'test image'} · cosine ${cosine.toFixed(4)}`}
    >
      <Thumbnail imageKey={key} file={info.file} alt={shortName(info.className ?? `test image ${info.id}`)} size={104} />
      <span className="neighbour-caption">
        <Name text={info.className ?? 'test (no label)'} max={28} />
        <br />
        cos {cosine.toFixed(3)} · {SPLIT_NAMES[split] ?? ''}
      </span>
    </button>
  );
}

const SCOPES: { id: NeighbourScope; label: string }[] = [
  { id: 'all', label: 'any class' },
  { id: 'same', label: 'the same class' },
  { id: 'other', label: 'other classes' },
];

/**
 * The image viewer: one image large with its names, its predicted classes when a classifier is
 * fitted, and its nearest neighbours (cosine on the run's embeddings). ← → move, Esc closes.
 */
export function ImageViewer() {
  const viewer = useLab((s) => s.viewer);
  if (!viewer) return null;
  return <ViewerDialog />;
}

function ViewerDialog() {
  const viewer = useLab((s) => s.viewer)!;
  const dataset = useLab((s) => s.dataset)!;
  const run = useLab((s) => s.embedRun);
  const info = useSlot(viewer.slot);
  const box = useRef<HTMLDivElement>(null);
  const returnTo = useRef<Element | null>(document.activeElement);

  useEffect(() => {
    box.current?.focus();
    const back = returnTo.current;
    return () => {
      if (back instanceof HTMLElement && back.isConnected) back.focus();
    };
  }, []);

  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') closeViewer();
    else if (e.key === 'ArrowRight') moveViewer(1);
    else if (e.key === 'ArrowLeft') moveViewer(-1);
    else return;
    e.preventDefault();
  };
  const { neighbours, prediction } = viewer;
  const split = neighbours && neighbours.slot === viewer.slot ? SPLIT_NAMES[neighbours.split] : viewer.slot >= dataset.columns.imageCount ? 'test' : null;
  const className = (c: number) => dataset.columns.className[c];

  return (
    <div className="viewer-backdrop" onClick={(e) => e.target === e.currentTarget && closeViewer()}>
      <div
        className="viewer"
        role="dialog"
        aria-modal="true"
        aria-label={`Image ${info.id}`}
        data-testid="image-viewer"
        data-image-id={info.id}
        tabIndex={-1}
        ref={box}
        onKeyDown={onKey}
      >
        <div className="viewer-head">
          <button type="button" className="button small" data-testid="viewer-previous" onClick={() => moveViewer(-1)} aria-label="previous image (←)">
            ←
          </button>
          <button type="button" className="button small" data-testid="viewer-next" onClick={() => moveViewer(1)} aria-label="next image (→)">
            →
          </button>
          <span className="viewer-title">
            <Name text={info.className ?? 'test image (no label)'} max={80} />
          </span>
          <button type="button" className="button small" data-testid="viewer-close" onClick={closeViewer} aria-label="close the viewer (Esc)">
            ✕
          </button>
        </div>
        <div className="viewer-body">
          <LargeImage file={info.file} alt={shortName(info.className ?? `test image ${info.id}`)} />
          <dl className="viewer-facts" data-testid="viewer-facts">
            <dt>image id</dt>
            <dd data-testid="viewer-id"><Name text={info.id} max={60} /></dd>
            <dt>file</dt>
            <dd><Name text={info.fileName} max={60} /></dd>
            {info.className !== null && (
              <>
                <dt>class</dt>
                <dd data-testid="viewer-class"><Name text={info.className} max={60} /> (id {dataset.columns.classCategoryId[info.classIndex]})</dd>
                <dt>genus</dt>
                <dd><Name text={info.genus ?? ''} max={60} /></dd>
                <dt>family</dt>
                <dd><Name text={info.family ?? ''} max={60} /></dd>
              </>
            )}
            {info.institution !== null && (
              <>
                <dt>institution</dt>
                <dd><Name text={info.institution} max={60} /></dd>
              </>
            )}
            <dt>split</dt>
            <dd data-testid="viewer-split">{split ?? (run.key ? 'not embedded yet' : 'train (no run yet)')}</dd>
            {prediction && prediction.slot === viewer.slot && (
              <>
                <dt>predicted</dt>
                <dd data-testid="viewer-prediction">
                  <ol className="viewer-top">
                    {prediction.top.map((t) => (
                      <li key={t.classIndex} data-class-index={t.classIndex}>
                        <Name text={className(t.classIndex)} max={48} /> · {formatNumber(100 * t.probability, 1)}%
                      </li>
                    ))}
                  </ol>
                  <span className="muted">
                    {prediction.label}, τ = {formatNumber(prediction.tau, 2)}
                    {split === 'train' ? ' (an image it was fitted on)' : split === SPLIT_NAMES[SPLIT_HELDOUT] || split === SPLIT_NAMES[SPLIT_TEST] ? ' (not fitted on)' : ''}
                  </span>
                </dd>
              </>
            )}
          </dl>
        </div>
        <div className="viewer-neighbours">
          <div className="viewer-neighbours-head">
            <strong>Nearest neighbours</strong> (cosine on the run&apos;s embeddings) from{' '}
            <span role="group" aria-label="neighbours from">
              {SCOPES.map((s) => (
                <button
                  key={s.id}
                  type="button"
                  className={`button small${viewer.scope === s.id ? ' active' : ''}`}
                  aria-pressed={viewer.scope === s.id}
                  data-testid={`neighbour-scope-${s.id}`}
                  onClick={() => setNeighbourScope(s.id)}
                >
                  {s.label}
                </button>
              ))}
            </span>
            {neighbours && neighbours.slot === viewer.slot && <span className="muted"> · {formatNumber(neighbours.ms, 0)} ms</span>}
          </div>
          {viewer.neighboursError && (
            <p className="note" data-testid="neighbours-error">
              No neighbours: {viewer.neighboursError}.
            </p>
          )}
          {!run.key && <p className="note">Neighbours need embeddings: run section 5 first.</p>}
          <div className="neighbour-row" data-testid="neighbours" data-slot={neighbours?.slot ?? ''}>
            {neighbours &&
              neighbours.slot === viewer.slot &&
              Array.from(neighbours.slots, (s, k) => <NeighbourTile key={s} slot={s} cosine={neighbours.cosines[k]} split={neighbours.splits[k]} />)}
          </div>
        </div>
      </div>
    </div>
  );
}
