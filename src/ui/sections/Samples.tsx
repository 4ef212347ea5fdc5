import { useMemo, useState, type UIEvent } from 'react';
import { bandLimits, bandOf, type Band } from '../../core/stats/classStats.ts';
import { classMask, imageAccept, passingClasses, sampleImages } from '../../core/stats/selection.ts';
import { useLab } from '../../store/index.ts';
import { formatNumber } from '../format.ts';
import { NumberField } from '../widgets/NumberField.tsx';
import { ClassSearch } from '../widgets/ClassSearch.tsx';
import { FilterChips } from '../widgets/FilterChips.tsx';
import { TrainImageThumbnail } from '../widgets/TrainImageThumbnail.tsx';
import { Name } from '../widgets/Name.tsx';
import { shortName } from '../../core/text.ts';
import { openViewer } from '../../store/actions.ts';

const bands: Band[] = ['many', 'medium', 'few'];
/** A tile is 160 px wide: each name in its caption is cut shorter than elsewhere. */
const CAPTION_CHARS = 60;

/** Sample grids for whatever the chips select; one row per class in rows mode, virtualised. */
export function Samples() {
  const chips = useLab((s) => s.chips);
  const gridMode = useLab((s) => s.gridMode);
  const pageSize = useLab((s) => s.pageSize);
  const setGrid = useLab((s) => s.setGrid);
  const reshuffle = useLab((s) => s.reshuffle);
  const addChip = useLab((s) => s.addChip);
  const folder = useLab((s) => s.folder);
  const rows = gridMode === 'rows' || (gridMode === 'auto' && chips.some((c) => c.kind === 'genus'));
  return (
    <div className="samples">
      <ClassSearch />
      <div className="chip-bar">
        <FilterChips />
        <span className="band-filters">
          show band:{' '}
          {bands.map((b) => (
            <button key={b} type="button" className="button small" data-testid={`band-filter-${b}`} onClick={() => addChip({ kind: 'band', band: b })}>
              {b}
            </button>
          ))}
        </span>
      </div>
      <div className="grid-controls">
        <label>
          layout{' '}
          <select data-testid="grid-mode" value={gridMode} onChange={(e) => setGrid({ gridMode: e.target.value as typeof gridMode })}>
            <option value="auto">auto (rows for a genus)</option>
            <option value="samples">random samples</option>
            <option value="rows">one row per class</option>
          </select>
        </label>
        <NumberField label="images" testId="page-size" min={1} max={60} value={pageSize} onChange={(v) => setGrid({ pageSize: Math.max(1, Math.min(60, Math.round(v))) })} />
        <button type="button" className="button" data-testid="reshuffle" onClick={reshuffle}>
          Reshuffle
        </button>
      </div>
      {!folder && (
        <p className="note" data-testid="grid-needs-folder">
          Drop the image folder (the one holding <code>train_images/</code>, or the image folder itself) to see the
          images; captions and counts work without it.
        </p>
      )}
      {rows ? <ClassRows /> : <SampleTiles />}
    </div>
  );
}

function useSelection() {
  const dataset = useLab((s) => s.dataset)!;
  const chips = useLab((s) => s.chips);
  const bandSettings = useLab((s) => s.bands);
  return useMemo(() => {
    const limits = bandLimits(dataset.sizes, bandSettings);
    const classes = passingClasses(classMask(dataset.columns, dataset.sizes, limits, chips));
    return { classes, accept: imageAccept(dataset.columns, chips), limits };
  }, [dataset, chips, bandSettings]);
}

function SampleTiles() {
  const dataset = useLab((s) => s.dataset)!;
  const pageSize = useLab((s) => s.pageSize);
  const seed = useLab((s) => s.seed);
  const { classes, accept } = useSelection();
  const images = useMemo(
    () => sampleImages(dataset.byClass, classes, accept, pageSize, seed),
    [dataset, classes, accept, pageSize, seed],
  );
  return (
    <div data-testid="sample-grid" className="sample-grid" data-classes={classes.length}>
      {images.length === 0 ? <p className="note">No image matches these filters.</p> : Array.from(images, (i) => <SampleTile key={i} image={i} sequence={images} />)}
    </div>
  );
}

const rowHeight = 236;

function ClassRows() {
  const dataset = useLab((s) => s.dataset)!;
  const pageSize = useLab((s) => s.pageSize);
  const seed = useLab((s) => s.seed);
  const { classes, accept, limits } = useSelection();
  const [scrollTop, setScrollTop] = useState(0);
  const viewport = 3 * rowHeight;
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - 1);
  const last = Math.min(classes.length, Math.ceil((scrollTop + viewport) / rowHeight) + 1);
  const train = dataset.columns;
  const visible = [];
  for (let k = first; k < last; k++) {
    const c = classes[k];
    const images = sampleImages(dataset.byClass, [c], accept, pageSize, seed * 100_003 + c);
    visible.push(
      <div key={c} className="class-row" style={{ top: k * rowHeight, height: rowHeight }} data-testid="class-row" data-category-id={train.classCategoryId[c]}>
        <div className="class-row-head">
          <strong><Name text={train.className[c]} /></strong> · {formatNumber(dataset.sizes[c])} images · {bandOf(dataset.sizes[c], limits)}
        </div>
        <div className="class-row-tiles">{Array.from(images, (i) => <SampleTile key={i} image={i} sequence={images} />)}</div>
      </div>,
    );
  }
  return (
    <div
      data-testid="sample-grid"
      className="class-rows"
      data-classes={classes.length}
      style={{ height: Math.min(viewport, classes.length * rowHeight) }}
      onScroll={(e: UIEvent<HTMLDivElement>) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div style={{ height: classes.length * rowHeight, position: 'relative' }}>{visible}</div>
    </div>
  );
}

/** A tile opens the viewer; ← → there step through the tiles it came with. */
function SampleTile({ image, sequence }: { image: number; sequence: Int32Array }) {
  const dataset = useLab((s) => s.dataset)!;
  const train = dataset.columns;
  const c = train.imageClass[image];
  const id = dataset.ids.get(image);
  const family = train.familyName[train.classFamily[c]];
  const genus = train.genusName[train.classGenus[c]];
  const species = train.classSpecies[c] || train.className[c];
  const inst = train.imageInstitution[image];
  return (
    // The whole tile opens the viewer (its button gives keyboards the same: a click bubbles here).
    <figure className="sample" data-testid="sample" data-image-id={id} onClick={() => openViewer(image, sequence)}>
      <button type="button" className="tile-open" data-testid="open-viewer" aria-label={`open ${shortName(train.className[c])} (${shortName(id)}) in the viewer`}>
        <TrainImageThumbnail image={image} alt={shortName(train.className[c])} size={160} />
      </button>
      <figcaption>
        <Name className="cap-family" text={family} max={CAPTION_CHARS} /> · <Name className="cap-genus" text={genus} max={CAPTION_CHARS} /> · <Name className="cap-species" text={species} max={CAPTION_CHARS} />
        {inst >= 0 && (
          <>
            {' · '}
            <Name className="cap-institution" text={train.institutionName[inst]} max={CAPTION_CHARS} />
          </>
        )}
      </figcaption>
    </figure>
  );
}

