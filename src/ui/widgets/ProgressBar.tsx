import { useLab } from '../../store/index.ts';
import { formatBytes, formatNumber } from '../format.ts';

/** Progress of the current load: bytes read and items parsed, or files indexed. */
export function LoadProgressBar() {
  const progress = useLab((s) => s.progress);
  if (!progress) return null;
  const { stage, done, total, unit, items } = progress;
  const amount =
    total > 0
      ? unit === 'bytes'
        ? `${formatBytes(done)} of ${formatBytes(total)}`
        : `${formatNumber(done)} of ${formatNumber(total)} ${unit}`
      : done > 0
        ? `${formatNumber(done)} ${unit}`
        : '';
  return (
    <div className="load-progress" data-testid="load-progress">
      <div className="load-progress-text">
        {stage} {amount && `· ${amount}`} {items !== undefined && `· ${formatNumber(items)} items parsed`}
      </div>
      <div
        className="bar"
        role="progressbar"
        aria-label={stage}
        aria-valuemin={0}
        aria-valuemax={total || undefined}
        aria-valuenow={total ? done : undefined}
      >
        <div className="bar-fill" style={{ width: total ? `${(100 * done) / total}%` : '100%' }} />
      </div>
    </div>
  );
}
