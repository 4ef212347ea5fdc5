import { useMemo } from 'react';
import { bandCounts, bandLimits } from '../../core/stats/classStats.ts';
import { useLab } from '../../store/index.ts';
import { formatNumber } from '../format.ts';
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
        <StatReadout testId="stat-max-class" label="largest class" value={overview.maxClass} />
        <StatReadout testId="stat-min-class" label="smallest class" value={overview.minClass} />
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
  const number = (v: string, fallback: number) => (Number.isFinite(Number(v)) && v.trim() !== '' ? Number(v) : fallback);
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
          <label>
            many-shot above{' '}
            <input
              type="number"
              min={0}
              data-testid="band-many-above"
              value={bands.manyAbove}
              onChange={(e) => setBands({ manyAbove: number(e.target.value, bands.manyAbove) })}
            />
          </label>
          <label>
            few-shot below{' '}
            <input
              type="number"
              min={0}
              data-testid="band-few-below"
              value={bands.fewBelow}
              onChange={(e) => setBands({ fewBelow: number(e.target.value, bands.fewBelow) })}
            />
          </label>
        </>
      ) : (
        <>
          <label>
            few-shot below quantile{' '}
            <input
              type="number"
              min={0}
              max={1}
              step={0.05}
              data-testid="band-few-quantile"
              value={Number(bands.fewQuantile.toFixed(4))}
              onChange={(e) => setBands({ fewQuantile: number(e.target.value, bands.fewQuantile) })}
            />
          </label>
          <label>
            many-shot above quantile{' '}
            <input
              type="number"
              min={0}
              max={1}
              step={0.05}
              data-testid="band-many-quantile"
              value={Number(bands.manyQuantile.toFixed(4))}
              onChange={(e) => setBands({ manyQuantile: number(e.target.value, bands.manyQuantile) })}
            />
          </label>
        </>
      )}
    </fieldset>
  );
}
