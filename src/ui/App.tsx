import { lazy, Suspense } from 'react';
import { useLab } from '../store/index.ts';
import { LoadData } from './sections/LoadData.tsx';
import { Overview } from './sections/Overview.tsx';
import { Samples } from './sections/Samples.tsx';
import { Embeddings } from './sections/Embeddings.tsx';
import { Classify } from './sections/Classify.tsx';
import { Export } from './sections/Export.tsx';
import { whenIdle } from './idle.ts';
import { Section } from './widgets/Section.tsx';
import { ImageViewer } from './widgets/ImageViewer.tsx';

// plotly is 1.3 MB: it loads and warms up while the page waits for its first dataset, never
// while a load runs (its set-up tasks would break the load's rule of no main-thread task over
// 100 ms, and would slow the load on a busy CPU).
const loadDistribution = () => import('./sections/Distribution.tsx');
const Distribution = lazy(loadDistribution);
whenIdle(() => void loadDistribution().then((m) => m.warmUpPlotly(() => !useLab.getState().busy)));
// The map's WebGL renderer loads with its section, once a dataset is there.
const MapSection = lazy(() => import('./sections/MapSection.tsx').then((m) => ({ default: m.MapSection })));
// The audit's charts share plotly's chunk with the Distribution section.
const AuditSection = lazy(() => import('./sections/AuditSection.tsx').then((m) => ({ default: m.AuditSection })));

/** The notebook: numbered sections, each usable as soon as its inputs exist. */
export function App() {
  const hasDataset = useLab((s) => s.dataset !== null);
  const needDataset = hasDataset ? null : 'Load a dataset above first.';
  return (
    <>
      <header className="app-header">
        <h1>Long-Tail Lab</h1>
        <p>Look into a long-tailed image dataset and fix what the tail does to a classifier, all in this browser tab.</p>
      </header>
      <main>
        <Section number={1} id="load" title="Load data">
          <LoadData />
        </Section>
        <Section number={2} id="overview" title="Overview" waitingFor={needDataset}>
          <Overview />
        </Section>
        <Section number={3} id="distribution" title="Distribution" waitingFor={needDataset}>
          <Suspense fallback={<p className="waiting">Loading the charts…</p>}>
            <Distribution />
          </Suspense>
        </Section>
        <Section number={4} id="samples" title="Samples" waitingFor={needDataset}>
          <Samples />
        </Section>
        <Section number={5} id="embeddings" title="Embeddings" waitingFor={needDataset}>
          <Embeddings />
        </Section>
        <Section number={6} id="classify" title="Classify" waitingFor={needDataset}>
          <Classify />
        </Section>
        <Section number={7} id="map" title="Map" waitingFor={needDataset}>
          <Suspense fallback={<p className="waiting">Loading the map…</p>}>
            <MapSection />
          </Suspense>
        </Section>
        <Section number={8} id="audit" title="Audit" waitingFor={needDataset}>
          <Suspense fallback={<p className="waiting">Loading the audit…</p>}>
            <AuditSection />
          </Suspense>
        </Section>
        <Section number={9} id="export" title="Export" waitingFor={needDataset}>
          <Export />
        </Section>
      </main>
      {hasDataset && <ImageViewer />}
      <footer className="app-footer">
        Everything runs locally: files are read in this tab and never uploaded.
      </footer>
    </>
  );
}
