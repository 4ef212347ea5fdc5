import type { ReactNode } from 'react';
import { formatNumber } from '../format.ts';

interface StatReadoutProps {
  testId: string;
  label: string;
  /** The raw value, written to data-value; null when it does not apply yet. */
  value: number | string | null;
  digits?: number;
  /** What people read, when it is not the value itself (a percentage, a duration). */
  shown?: string;
  hint?: string;
  /** Under the label (e.g. the same metric at τ = 0). */
  children?: ReactNode;
  /** More data-* attributes for scripts (e.g. an interval's ends). */
  attributes?: Record<`data-${string}`, string>;
}

/** A labelled value whose raw form scripts read from `data-value`. */
export function StatReadout({ testId, label, value, digits = 0, shown, hint, children, attributes }: StatReadoutProps) {
  const text = shown ?? (value === null ? '—' : typeof value === 'number' ? formatNumber(value, digits) : value);
  return (
    <div className="stat" data-testid={testId} data-value={value === null ? '' : String(value)} title={hint} {...attributes}>
      <div className="stat-value">{text}</div>
      <div className="stat-label">{label}</div>
      {children}
    </div>
  );
}
