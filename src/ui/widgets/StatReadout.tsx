import { formatNumber } from '../format.ts';

interface StatReadoutProps {
  testId: string;
  label: string;
  /** The raw number, written to data-value; null when it does not apply yet. */
  value: number | null;
  digits?: number;
  hint?: string;
}

/** A labelled number whose raw value scripts read from `data-value`. */
export function StatReadout({ testId, label, value, digits = 0, hint }: StatReadoutProps) {
  return (
    <div className="stat" data-testid={testId} data-value={value === null ? '' : String(value)} title={hint}>
      <div className="stat-value">{value === null ? '—' : formatNumber(value, digits)}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}
