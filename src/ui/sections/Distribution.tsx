import { useDeferredValue, useMemo, useState } from 'react';
import { PlotlyChart, warmUpPlotly, type PlotlyPoint } from '../../charts/PlotlyChart.tsx';

export { warmUpPlotly };
import {
  cumulativeShareFigure,
  institutionFigure,
  rankFrequencyFigure,
  sizeHistogramFigure,
  spreadFigure,
  taxonomyTreemapFigure,
  TREEMAP_TILES,
  type TaxonomyLevel,
} from '../../charts/figures.ts';
import { bandLimits, type Band } from '../../core/stats/classStats.ts';
import { classTableCsv } from '../../core/stats/classTable.ts';
import { classShareHolding, cumulativeShare, gini, groupSpread, institutionBands, sizesDescending, taxonTotals } from '../../core/stats/distribution.ts';
import type { LoadedDataset } from '../../store/datasetSlice.ts';
import { useLab } from '../../store/index.ts';
import { downloadBlob } from '../../io/download.ts';
import { Name } from '../widgets/Name.tsx';

/**
 * Charts of the long tail; a click on a class, genus, family, institution or band filters the samples.
 * They follow a new dataset in a deferred render of their own: their figures take ~50–100 ms to
 * build at Herbarium scale, which must not hold up the task that shows the readouts.
 */
export default function Distribution() {
  const dataset = useDeferredValue(useLab((s) => s.dataset), null);
  if (!dataset) return <p className="note">Drawing the charts…</p>;
  return <DistributionCharts dataset={dataset} />;
}

function DistributionCharts({ dataset }: { dataset: LoadedDataset }) {
  const bands = useLab((s) => s.bands);
  const logLog = useLab((s) => s.logLog);
  const setLogLog = useLab((s) => s.setLogLog);
  const addChip = useLab((s) => s.addChip);
  const { columns: train, sizes, overview } = dataset;
  const limits = useMemo(() => bandLimits(sizes, bands), [sizes, bands]);

  const order = useMemo(() => {
    const classes = Int32Array.from(sizes.keys()).filter((c) => sizes[c] > 0);
    return classes.sort((a, b) => sizes[b] - sizes[a] || a - b);
  }, [sizes]);
  const totals = useMemo(() => taxonTotals(train, sizes), [train, sizes]);
  const shares = useMemo(() => {
    const desc = sizesDescending(sizes);
    return { desc, curve: cumulativeShare(desc), half: classShareHolding(desc, 0.5), eighty: classShareHolding(desc, 0.8), gini: gini(desc) };
  }, [sizes]);

  const rankFigure = useMemo(() => rankFrequencyFigure(order, sizes, train.className, limits, logLog), [order, sizes, train, limits, logLog]);
  const histogramFigure = useMemo(
    () => sizeHistogramFigure(shares.desc, shares.gini, overview.imbalanceRatio),
    [shares, overview.imbalanceRatio],
  );
  const cumulativeFigure = useMemo(
    () => cumulativeShareFigure(shares.curve.classShare, shares.curve.imageShare, shares.half, shares.eighty, shares.gini),
    [shares],
  );
  // The treemap's level belongs to the dataset it was chosen in.
  const [tree, setTree] = useState<{ of: typeof train; level: TaxonomyLevel }>({ of: train, level: { kind: 'all' } });
  const treeLevel: TaxonomyLevel = tree.of === train ? tree.level : { kind: 'all' };
  const setTreeLevel = (level: TaxonomyLevel) => setTree({ of: train, level });
  const treemapFigure = useMemo(
    () =>
      taxonomyTreemapFigure(
        {
        familyName: train.familyName,
        genusName: train.genusName,
        genusFamily: train.genusFamily,
        className: train.className,
        classGenus: train.classGenus,
        sizes,
        familyImages: totals.familyImages,
        genusImages: totals.genusImages,
        },
        treeLevel,
      ),
    [train, sizes, totals, treeLevel],
  );
  const familySpread = useMemo(
    () => {
      const { groups, boxes } = groupSpread(train.classFamily, totals.familyImages, sizes, 25);
      return spreadFigure('Class sizes in the 25 largest families', train.familyName, groups, boxes);
    },
    [train, sizes, totals],
  );
  const genusSpread = useMemo(
    () => {
      const { groups, boxes } = groupSpread(train.classGenus, totals.genusImages, sizes, 25);
      return spreadFigure('Class sizes in the 25 largest genera', train.genusName, groups, boxes);
    },
    [train, sizes, totals],
  );
  const institutionsFigure = useMemo(
    () => (train.institutionName.length ? institutionFigure(train.institutionName, institutionBands(train, sizes, limits)) : null),
    [train, sizes, limits],
  );

  // A tile filters the samples to its taxon and drills into it; the level's own tile goes up;
  // "smaller ones" goes on to the children past those shown.
  const levelUp = (): TaxonomyLevel =>
    treeLevel.skip
      ? { ...treeLevel, skip: Math.max(0, treeLevel.skip - TREEMAP_TILES) }
      : treeLevel.kind === 'genus'
        ? { kind: 'family', index: train.genusFamily[treeLevel.index] }
        : { kind: 'all' };
  const onTreemapClick = (p: PlotlyPoint) => {
    const id = String(p.id ?? '');
    const index = Number(id.slice(1));
    if (id === 'more') setTreeLevel({ ...treeLevel, skip: (treeLevel.skip ?? 0) + TREEMAP_TILES });
    else if (id === 'all' || (treeLevel.kind !== 'all' && id === `${treeLevel.kind[0]}${treeLevel.index}`)) setTreeLevel(levelUp());
    else if (id.startsWith('f')) {
      addChip({ kind: 'family', index });
      setTreeLevel({ kind: 'family', index });
    } else if (id.startsWith('g')) {
      addChip({ kind: 'genus', index });
      setTreeLevel({ kind: 'genus', index });
    } else if (id.startsWith('c')) addChip({ kind: 'class', index });
  };

  return (
    <div className="distribution">
      <div className="chart-toolbar">
        <label>
          <input type="checkbox" data-testid="log-log" checked={logLog} onChange={(e) => setLogLog(e.target.checked)} /> log–log rank axis
        </label>
        <span className="note">
          Band limits are set in the Overview. Click a point, bar, box or tile to show its images below.
        </span>
        <button
          type="button"
          className="button"
          data-testid="download-class-table"
          onClick={() => downloadBlob(new Blob([classTableCsv(train, sizes, limits)], { type: 'text/csv' }), 'class-table.csv')}
        >
          Class table (CSV)
        </button>
      </div>
      <PlotlyChart
        testId="chart-rank-frequency"
        figure={rankFigure}
        onPointClick={(p) => addChip({ kind: 'class', index: Number(p.customdata) })}
      />
      <div className="chart-row">
        <PlotlyChart testId="chart-size-histogram" figure={histogramFigure} />
        <PlotlyChart testId="chart-cumulative-share" figure={cumulativeFigure} />
      </div>
      <div className="chart-toolbar">
        <button type="button" className="button small" data-testid="treemap-up" disabled={treeLevel.kind === 'all' && !treeLevel.skip} onClick={() => setTreeLevel(levelUp())}>
          ↑ up one level
        </button>
        <span className="note" data-testid="treemap-level" data-kind={treeLevel.kind}>
          {treeLevel.kind === 'all' ? 'all families' : <Name text={treeLevel.kind === 'family' ? train.familyName[treeLevel.index] : train.genusName[treeLevel.index]} />}
          {treeLevel.skip ? ` (after the ${treeLevel.skip} largest)` : ''}
        </span>
      </div>
      <PlotlyChart testId="chart-taxonomy" figure={treemapFigure} onPointClick={onTreemapClick} />
      <div className="chart-row">
        <PlotlyChart
          testId="chart-family-spread"
          figure={familySpread}
          onPointClick={(p) => addChip({ kind: 'family', index: Number(p.customdata) })}
        />
        <PlotlyChart
          testId="chart-genus-spread"
          figure={genusSpread}
          onPointClick={(p) => addChip({ kind: 'genus', index: Number(p.customdata) })}
        />
      </div>
      {institutionsFigure ? (
        <PlotlyChart
          testId="chart-institutions"
          figure={institutionsFigure}
          onPointClick={(p) => {
            addChip({ kind: 'institution', index: Number(p.customdata) });
            addChip({ kind: 'band', band: (['many', 'medium', 'few'] as Band[])[p.curveNumber] });
          }}
        />
      ) : (
        <p className="note">This dataset names no institutions.</p>
      )}
    </div>
  );
}
