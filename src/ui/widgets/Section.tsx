import type { ReactNode } from 'react';
import { ErrorBoundary } from '../ErrorBoundary.tsx';

interface SectionProps {
  number: number;
  id: string;
  title: string;
  /** Shown instead of the content until the section's inputs exist. */
  waitingFor?: string | null;
  children?: ReactNode;
}

/** One numbered notebook section. */
export function Section({ number, id, title, waitingFor, children }: SectionProps) {
  return (
    <section className="section" id={id} aria-labelledby={`${id}-title`} data-testid={`section-${id}`}>
      <h2 id={`${id}-title`}>
        <span className="section-number">{number}</span> {title}
      </h2>
      {/* A section that fails to draw says so; the others stay usable. */}
      {waitingFor ? <p className="waiting">{waitingFor}</p> : <ErrorBoundary>{children}</ErrorBoundary>}
    </section>
  );
}
