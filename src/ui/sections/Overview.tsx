import { useMemo } from 'react';
import { bandCounts, bandLimits } from '../../core/stats/classStats.ts';
import { useLab } from '../../store/index.ts';
import { formatNumber } from '../format.ts';
import { Name } from '../widgets/Name.tsx';
import { NumberField } from '../widgets/NumberField.tsx';
import { StatReadout } from '../widgets/StatReadout.tsx';

export function Overview() {
  const dataset = useLab((s) => s.dataset)!;
  const test = useLab((s) => s.test);
  const bands = useLab((s) => s.bands);
  const trainMatch = useLab((s) => s.trainMatch);
  const testMatch = useLab((s) => s.testMatch);
  const folder = useLab((s) => s.folder);
  const { overview, sizes } = dataset;
  const limits = useMemo(() => bandLimits(sizes, bands), [sizes, bands]);
  const counts = useMemo(() => bandCounts(sizes, limits), [sizes, limits]);
  // The classes behind the largest and smallest sizes (first by class order on a tie), named with their category id.
  const extremes = useMemo(() => {
    let largest = -1;
    let smallest = -1;
    for (let k = 0; k < sizes.length; k++) {
      if (sizes[k] === 0) continue;
      if (largest < 0 || sizes[k] > sizes[largest]) largest = k;
      if (smallest < 0 || sizes[k] < sizes[smallest]) smallest = k;
    }
    const tied = (k: number) => {
      let n = 0;
      for (let j = 0; j < sizes.length; j++) if (sizes[j] === sizes[k]) n++;
      return n - 1;
    };
    return { largest, smallest, tiedLargest: largest < 0 ? 0 : tied(largest), tiedSmallest: smallest < 0 ? 0 : tied(smallest) };
  }, [sizes]);
  const classLine = (k: number, others: number) =>
    k < 0 ? null : (
      <div className="stat-hint" data-class-index={k}>
        <Name text={dataset.columns.className[k]} max={28} /> (id {dataset.columns.classCategoryId[k]}){others > 0 ? ` and ${formatNumber(others)} more` : ''}
      </div>
    );
  const missing = folder && (trainMatch || testMatch) ? (trainMatch?.missing ?? 0) + (testMatch?.missing ?? 0) : null;

  return (
    <>
      <div className="stats">
        <StatReadout testId="stat-images" label="train images" value={overview.images} />
        <StatReadout
          testId="stat-classes"
          label="classes with images"
          value={overview.classes}
          hint={`${formatNumber(overview.declaredClasses)} categories declared`}
        />
        <StatReadout testId="stat-genera" label="genera" value={overview.genera} />
        <StatReadout testId="stat-families" label="families" value={overview.families} />
        <StatReadout testId="stat-institutions" label="institutions" value={overview.institutions} />
        <StatReadout testId="stat-max-class" label="largest class" value={overview.maxClass}>
          {classLine(extremes.largest, extremes.tiedLargest)}
        </StatReadout>
        <StatReadout testId="stat-min-class" label="smallest class" value={overview.minClass}>
          {classLine(extremes.smallest, extremes.tiedSmallest)}
        </StatReadout>
        <StatReadout testId="stat-imbalance-ratio" label="imbalance (max / min)" value={overview.imbalanceRatio} digits={2} />
        <StatReadout testId="stat-test-images" label="test images" value={test ? test.columns.imageCount : 0} />
        <StatReadout
          testId="stat-missing-files"
          label="missing files"
          value={missing}
          hint={folder ? 'metadata entries with no file in the folder' : 'drop the image folder to check'}
        />
      </div>
      {overview.declaredClasses > overview.classes && (
        <p className="note">
          {formatNumber(overview.declaredClasses - overview.classes)} declared categories have no train image and are
          left out of class statistics.
        </p>
      )}
      <h3>Head, medium and few-shot bands</h3>
      <div className="stats">
        <StatReadout testId="stat-many" label={`many-shot classes (> ${formatNumber(limits.manyAbove, 2)})`} value={counts.many} />
        <StatReadout
          testId="stat-medium"
          label={`medium classes (${formatNumber(limits.fewBelow, 2)}–${formatNumber(limits.manyAbove, 2)})`}
          value={counts.medium}
        />
        <StatReadout testId="stat-few" label={`few-shot classes (< ${formatNumber(limits.fewBelow, 2)})`} value={counts.few} />
      </div>
      <BandEditor />
    </>
  );
}

function BandEditor() {
  const bands = useLab((s) => s.bands);
  const setBands = useLab((s) => s.setBands);
  return (
    <fieldset className="band-editor" data-testid="band-editor">
      <legend>Band limits</legend>
      <label>
        <input
          type="radio"
          name="band-mode"
          data-testid="band-mode-fixed"
          checked={bands.mode === 'fixed'}
          onChange={() => setBands({ mode: 'fixed' })}
        />{' '}
        fixed sizes
      </label>
      <label>
        <input
          type="radio"
          name="band-mode"
          data-testid="band-mode-quantile"
          checked={bands.mode === 'quantile'}
          onChange={() => setBands({ mode: 'quantile' })}
        />{' '}
        class-size quantiles
      </label>
      {bands.mode === 'fixed' ? (
        <>
          <NumberField label="many-shot above" testId="band-many-above" min={0} value={bands.manyAbove} onChange={(v) => setBands({ manyAbove: v })} />
          <NumberField label="few-shot below" testId="band-few-below" min={0} value={bands.fewBelow} onChange={(v) => setBands({ fewBelow: v })} />
        </>
      ) : (
        <>
          <NumberField
            label="few-shot below quantile"
            testId="band-few-quantile"
            min={0}
            max={1}
            step={0.05}
            value={bands.fewQuantile}
            onChange={(v) => setBands({ fewQuantile: v })}
          />
          <NumberField
            label="many-shot above quantile"
            testId="band-many-quantile"
            min={0}
            max={1}
            step={0.05}
            value={bands.manyQuantile}
            onChange={(v) => setBands({ manyQuantile: v })}
          />
        </>
      )}
    </fieldset>
  );
}
