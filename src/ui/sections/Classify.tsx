import { lazy, Suspense, useEffect } from 'react';
import { useLab } from '../../store/index.ts';
import { CLASSIFIERS, type ClassifierKind } from '../../core/learn/classifiers.ts';
import type { MetricSummary } from '../../core/learn/metrics.ts';
import { autoTau, cancelClassify, evaluateCurrentTau, fitClassifier, setTau } from '../../store/actions.ts';
import { formatNumber } from '../format.ts';
import { NumberField } from '../widgets/NumberField.tsx';
import { StatReadout } from '../widgets/StatReadout.tsx';
import { TrainImageThumbnail } from '../widgets/TrainImageThumbnail.tsx';

const ClassifyCharts = lazy(() => import('./ClassifyCharts.tsx'));

const metricRows: { id: string; label: string; key: keyof MetricSummary; hint: string }[] = [
  { id: 'metric-top1', label: 'top-1 accuracy', key: 'top1', hint: 'correct / held-out images' },
  { id: 'metric-macro-f1', label: 'macro-F1', key: 'macroF1', hint: "mean F1 over classes (sklearn's average='macro'; the Kaggle metric)" },
  { id: 'metric-balanced-acc', label: 'balanced accuracy', key: 'balancedAccuracy', hint: 'mean recall over the classes present' },
  { id: 'metric-many', label: 'many-shot', key: 'many', hint: 'mean recall of the many-shot classes' },
  { id: 'metric-medium', label: 'medium-shot', key: 'medium', hint: 'mean recall of the medium-shot classes' },
  { id: 'metric-few', label: 'few-shot', key: 'few', hint: 'mean recall of the few-shot classes' },
];

const pct = (v: number) => (Number.isFinite(v) ? `${formatNumber(100 * v, 1)}%` : '—');
const raw = (v: number) => (Number.isFinite(v) ? String(v) : '');

/** Section 6: fit a classifier on the run's embeddings, choose τ, read the held-out metrics. */
export function Classify() {
  const view = useLab((s) => s.classify);
  const patch = useLab((s) => s.patchClassify);
  const run = useLab((s) => s.embedRun);
  const className = useLab((s) => s.dataset?.columns.className);
  const byClass = useLab((s) => s.dataset?.byClass);
  const imageIds = useLab((s) => s.dataset?.ids);
  const { fit, evaluation, sweep, busy } = view;
  const canFit = run.done > 0 && run.status !== 'running' && !busy;

  // Evaluate at a typed τ once typing pauses.
  useEffect(() => {
    if (!fit || busy || !evaluation || evaluation.at.tau === view.tau) return;
    const timer = setTimeout(() => void evaluateCurrentTau(), 300);
    return () => clearTimeout(timer);
  }, [fit, busy, evaluation, view.tau]);

  const name = (k: number) => className?.[k] ?? `class ${k}`;

  return (
    <div className="classify">
      <div className="embed-settings">
        <label>
          Classifier{' '}
          <select data-testid="classifier-select" value={view.kind} disabled={!!busy} onChange={(e) => patch({ kind: e.target.value as ClassifierKind })}>
            {CLASSIFIERS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.title}
              </option>
            ))}
          </select>
        </label>
        {view.kind === 'probe' && (
          <>
            <NumberField label="Epochs" testId="probe-epochs" value={view.probe.epochs} min={1} max={500} step={1} onChange={(v) => patch({ probe: { ...view.probe, epochs: Math.max(1, Math.round(v)) } })} />
            <label>
              <input
                type="checkbox"
                data-testid="probe-logit-adjusted"
                checked={view.probe.loss === 'logitAdjusted'}
                onChange={(e) => patch({ probe: { ...view.probe, loss: e.target.checked ? 'logitAdjusted' : 'crossEntropy' } })}
              />{' '}
              logit-adjusted loss
            </label>
            <label>
              <input
                type="checkbox"
                data-testid="probe-class-balanced"
                checked={view.probe.sampling === 'classBalanced'}
                onChange={(e) => patch({ probe: { ...view.probe, sampling: e.target.checked ? 'classBalanced' : 'instance' } })}
              />{' '}
              class-balanced sampling
            </label>
          </>
        )}
      </div>
      <div className="embed-controls">
        <button type="button" className="button" data-testid="classify-fit" disabled={!canFit} onClick={() => void fitClassifier()}>
          Fit on the train split
        </button>
        <button type="button" className="button" data-testid="classify-cancel" disabled={!busy} onClick={cancelClassify}>
          Cancel
        </button>
        <NumberField label="τ" testId="tau-input" value={view.tau} min={0} max={5} step={0.1} onChange={setTau} />
        <button type="button" className="button" data-testid="tau-auto" disabled={!fit || !!busy} onClick={() => void autoTau()}>
          Pick τ on the held-out split
        </button>
        {run.done === 0 && <span className="note">Embed the dataset in section 5 first.</span>}
      </div>
      <p className="note" data-testid="classify-status" data-state={busy ?? (view.error ? 'error' : fit ? 'fitted' : 'idle')}>
        {busy === 'fitting' && (view.epoch ? `Training the probe: epoch ${view.epoch.epoch} of ${view.epoch.epochs}…` : 'Fitting…')}
        {busy === 'sweeping' && 'Sweeping τ = 0, 0.1, …, 2 on the held-out split…'}
        {busy === 'evaluating' && 'Evaluating on the held-out split…'}
        {busy === 'exporting' && 'Scoring the test images…'}
        {!busy && fit && `${fit.label}: fitted on ${formatNumber(fit.trainRows)} train images of ${formatNumber(fit.classesWithTrain)} of ${formatNumber(fit.numClasses)} classes in ${formatNumber(fit.ms / 1000, 1)} s on ${fit.backendReason}; evaluated on ${formatNumber(fit.heldoutRows)} held-out images.${fit.probeRows !== null && fit.probeRows < fit.trainRows ? ` The probe learned from a uniform sample of ${formatNumber(fit.probeRows)} of them: all would not fit in the 1 GiB it may hold.` : ''}`}
      </p>
      {view.error && (
        <p role="alert" className="message message-error" data-testid="classify-error">
          {view.error}
        </p>
      )}
      {fit && (
        <p
          className="note"
          data-testid="classifier-info"
          data-kind={fit.kind}
          data-backend={fit.backend}
          data-scale={fit.scale ?? ''}
          data-train-rows={fit.trainRows}
          data-probe-rows={fit.probeRows ?? ''}
          data-heldout-rows={fit.heldoutRows}
        >
          {fit.scale !== null &&
            `Temperature s = ${formatNumber(fit.scale, 3)} (fitted by maximum likelihood on train images, leave-one-out)${fit.scaleAtBound ? ' — at the end of its search interval' : ''}. `}
          Logits at τ: {fit.kind === 'probe' ? 'xW + b − τ·log π' : 'similarity·s + (1 − τ)·log π'}; τ = 0 is the classifier as trained.
        </p>
      )}
      {evaluation && (
        <div data-testid="metrics" data-tau={evaluation.at.tau} data-label={evaluation.label}>
          <h3>
            {evaluation.label} at τ = {formatNumber(evaluation.at.tau, 2)} (held-out, {formatNumber(evaluation.at.images)} images)
          </h3>
          <div className="stats">
            {metricRows.map((m) => {
              const v = evaluation.at[m.key] as number;
              const v0 = evaluation.baseline[m.key] as number;
              return (
                <StatReadout key={m.id} testId={m.id} label={m.label} value={Number.isFinite(v) ? v : null} shown={pct(v)} hint={m.hint}>
                  <div className="note" data-testid={`${m.id}-tau0`} data-value={raw(v0)}>
                    τ = 0: {pct(v0)}
                  </div>
                </StatReadout>
              );
            })}
          </div>
        </div>
      )}
      {sweep && (
        <p className="note" data-testid="tau-sweep" data-best-tau={sweep.bestTau} data-top1-at-0={raw(sweep.points[0]?.top1 ?? NaN)} data-macro-f1-best={raw(sweep.points.find((p) => p.tau === sweep.bestTau)?.macroF1 ?? NaN)}>
          Best macro-F1 at τ = {formatNumber(sweep.bestTau, 2)} over {formatNumber(sweep.heldoutRows)} held-out images.
        </p>
      )}
      {(view.losses.length > 0 || sweep || evaluation) && (
        <Suspense fallback={<p className="waiting">Loading the charts…</p>}>
          <ClassifyCharts losses={view.losses} sweep={sweep?.points ?? null} tau={view.tau} byCount={evaluation?.byCount ?? null} />
        </Suspense>
      )}
      {evaluation && evaluation.pairs.length > 0 && (
        <>
          <h3>Most confused pairs (held-out, at τ = {formatNumber(evaluation.at.tau, 2)})</h3>
          <table className="data-table" data-testid="confused-pairs">
            <thead>
              <tr>
                <th>true class</th>
                <th>a held-out image it got wrong</th>
                <th>predicted as</th>
                <th>a train image of that class</th>
                <th>images</th>
              </tr>
            </thead>
            <tbody>
              {evaluation.pairs.slice(0, 10).map((p) => (
                <tr key={`${p.trueClass}-${p.predictedClass}`} data-testid="confused-pair" data-true={p.trueClass} data-predicted={p.predictedClass} data-example-id={p.example !== undefined ? imageIds?.get(p.example) : ''}>
                  <td>{name(p.trueClass)}</td>
                  <td>{p.example !== undefined && <TrainImageThumbnail image={p.example} alt={`${name(p.trueClass)}, predicted as ${name(p.predictedClass)}`} size={96} />}</td>
                  <td>{name(p.predictedClass)}</td>
                  <td>{byClass && byClass.start[p.predictedClass + 1] > byClass.start[p.predictedClass] && <TrainImageThumbnail image={byClass.images[byClass.start[p.predictedClass]]} alt={name(p.predictedClass)} size={96} />}</td>
                  <td>{p.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {view.compared.length > 0 && (
        <>
          <h3>Classifiers evaluated so far (held-out)</h3>
          <table className="data-table" data-testid="classifier-compare">
            <thead>
              <tr>
                <th>classifier</th>
                <th>τ</th>
                <th>top-1</th>
                <th>macro-F1</th>
                <th>balanced</th>
                <th>many</th>
                <th>medium</th>
                <th>few</th>
                <th>macro-F1 at τ = 0</th>
              </tr>
            </thead>
            <tbody>
              {view.compared.map((c) => (
                <tr key={c.label} data-testid="compared-classifier" data-label={c.label}>
                  <td>{c.label}</td>
                  <td>{formatNumber(c.tau, 2)}</td>
                  <td>{pct(c.at.top1)}</td>
                  <td>{pct(c.at.macroF1)}</td>
                  <td>{pct(c.at.balancedAccuracy)}</td>
                  <td>{pct(c.at.many)}</td>
                  <td>{pct(c.at.medium)}</td>
                  <td>{pct(c.at.few)}</td>
                  <td>{pct(c.baseline.macroF1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
