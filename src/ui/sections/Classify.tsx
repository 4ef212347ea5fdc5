import { lazy, Suspense, useEffect } from 'react';
import { useLab } from '../../store/index.ts';
import { CLASSIFIERS, type ClassifierKind, type TestPrior, type ValidationMode } from '../../core/learn/classifiers.ts';
import type { MetricSummary } from '../../core/learn/metrics.ts';
import { autoTau, cancelClassify, evaluateCurrentTau, fitClassifier, openViewer, setTau } from '../../store/actions.ts';
import { formatNumber } from '../format.ts';
import { NumberField } from '../widgets/NumberField.tsx';
import { StatReadout } from '../widgets/StatReadout.tsx';
import { TrainImageThumbnail } from '../widgets/TrainImageThumbnail.tsx';
import { Name } from '../widgets/Name.tsx';
import { shortName } from '../../core/text.ts';

const ClassifyCharts = lazy(() => import('./ClassifyCharts.tsx'));

const metricRows: { id: string; label: string; key: keyof MetricSummary; hint: string }[] = [
  { id: 'metric-top1', label: 'top-1 accuracy', key: 'top1', hint: 'correct / validated images' },
  { id: 'metric-macro-f1', label: 'macro-F1', key: 'macroF1', hint: "mean F1 over classes (sklearn's average='macro'; the Kaggle metric)" },
  { id: 'metric-balanced-acc', label: 'balanced accuracy', key: 'balancedAccuracy', hint: 'mean recall over the classes present' },
  { id: 'metric-many', label: 'many-shot recall', key: 'many', hint: 'mean recall of the many-shot classes' },
  { id: 'metric-medium', label: 'medium-shot recall', key: 'medium', hint: 'mean recall of the medium-shot classes' },
  { id: 'metric-few', label: 'few-shot recall', key: 'few', hint: 'mean recall of the few-shot classes' },
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
        <label title="Kaggle's Herbarium test split is drawn like its train set; the CIFAR-10-LT / ImageNet-LT benchmarks test on a balanced set. Validation weighs its images to the mix you choose, so the chosen τ suits the test you will face.">
          Test set{' '}
          <select data-testid="test-prior" value={view.testPrior} disabled={!!busy} onChange={(e) => patch({ testPrior: e.target.value as TestPrior })}>
            <option value="train">drawn like the train set</option>
            <option value="balanced">balanced (every class equally)</option>
          </select>
        </label>
        <label>
          Validation{' '}
          <select data-testid="validation-mode" value={view.validation} disabled={!!busy} onChange={(e) => patch({ validation: e.target.value as ValidationMode })}>
            <option value="cross">every labelled image (leave-one-out / 5-fold), then refit on all</option>
            <option value="heldout">the held-out split (a fixed report; fit on the train split)</option>
          </select>
        </label>
        {(view.kind === 'probe' || view.kind === 'auto') && (
          <>
            <NumberField label="Probe iterations" testId="probe-epochs" value={view.probe.epochs} min={1} max={2000} step={1} onChange={(v) => patch({ probe: { ...view.probe, epochs: Math.max(1, Math.round(v)) } })} />
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
          Fit
        </button>
        <NumberField label="τ" testId="tau-input" value={view.tau} min={0} max={5} step={0.1} onChange={setTau} />
        <button type="button" className="button" data-testid="tau-auto" disabled={!canFit && !fit} onClick={() => void autoTau()}>
          Pick τ by validation
        </button>
        {/* Cancel stops whichever job runs (fit, sweep, export): last, apart from the steps. */}
        <button type="button" className="button" data-testid="classify-cancel" disabled={!busy} onClick={cancelClassify}>
          Cancel
        </button>
        {run.done === 0 && <span className="note">Embed the dataset in section 5 first.</span>}
      </div>
      <p className="note" data-testid="classify-status" data-state={busy ?? (view.error ? 'error' : fit ? 'fitted' : 'idle')}>
        {busy === 'fitting' && `${view.stage ?? 'Fitting'}${view.epoch ? ` (iteration ${view.epoch.epoch} of at most ${view.epoch.epochs})` : ''}…`}
        {busy === 'sweeping' && 'Reading the validated τ curve…'}
        {busy === 'evaluating' && 'Evaluating on the validated images…'}
        {busy === 'exporting' && 'Scoring the test images…'}
        {!busy &&
          fit &&
          `${fit.label}: validated by ${fit.validation.method} on ${formatNumber(fit.validation.images)} images of ${formatNumber(fit.validation.classes)} classes${fit.validation.sampledFrom ? ` (a uniform sample of ${formatNumber(fit.validation.sampledFrom)})` : ''}, then fitted on ${formatNumber(fit.trainRows)} images (${fit.refit === 'all-labelled' ? 'every labelled image' : 'the train split'}) of ${formatNumber(fit.classesWithTrain)} of ${formatNumber(fit.numClasses)} classes in ${formatNumber(fit.ms / 1000, 1)} s on ${fit.backendReason}.${fit.validation.singletonImages ? ` ${formatNumber(fit.validation.singletonImages)} images of one-image classes are fitted on but not validated: without them their class has nothing to learn from.` : ''}${fit.dropped ? ` ${formatNumber(fit.dropped)} images dropped by the audit (section 8) are left out of the fit and the validation.` : ''}`}
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
          data-requested={fit.requested}
          data-refit={fit.refit}
          data-validation={fit.validation.method}
          data-test-prior={fit.validation.testPrior}
          data-tau={fit.tau}
          data-backend={fit.backend}
          data-scale={fit.scale ?? ''}
          data-train-rows={fit.trainRows}
          data-probe-rows={fit.probeRows ?? ''}
          data-heldout-rows={fit.validation.images}
        >
          {fit.reason} Chosen: {fit.setting}, τ = {formatNumber(fit.tau, 2)}
          {fit.scale !== null && `, temperature s = ${formatNumber(fit.scale, 3)} (maximum likelihood, leave-one-out)${fit.scaleAtBound ? ' — at the end of its search interval' : ''}`}
          {fit.shrinkage !== null && `, Ledoit–Wolf shrinkage ${formatNumber(fit.shrinkage, 3)}`}.{' '}
          {fit.validation.testPrior === 'balanced'
            ? 'Validation weighs each image by 1/n of its class, as if the test set were balanced.'
            : 'Validation counts every image once: the test set is assumed to be drawn like the train set.'}{' '}
          {fit.validation.folds !== null &&
            `The probe was validated by stratified ${fit.validation.folds}-fold: a class of fewer than ${fit.validation.folds} images puts each image in a different fold, so it stays in every training fold. `}
          Logits at τ: {fit.kind === 'probe' ? 'xW + b − τ·log π' : 'score·s + (1 − τ)·log π'}; τ = 0 is the classifier as fitted.
        </p>
      )}
      {evaluation && (
        <div data-testid="metrics" data-tau={evaluation.at.tau} data-label={evaluation.label}>
          <h3>
            {evaluation.label} at τ = {formatNumber(evaluation.at.tau, 2)} ({fit ? `${fit.validation.method}, ${formatNumber(fit.validation.images)} images` : 'validated'})
          </h3>
          <div className="stats">
            {metricRows.map((m) => {
              const v = evaluation.at[m.key] as number;
              const v0 = evaluation.baseline[m.key] as number;
              const iv = m.key === 'macroF1' ? evaluation.macroF1Interval : null;
              return (
                <StatReadout
                  key={m.id}
                  testId={m.id}
                  label={m.label}
                  value={Number.isFinite(v) ? v : null}
                  shown={pct(v)}
                  hint={m.hint}
                  attributes={iv ? { 'data-ci-low': raw(iv.low), 'data-ci-high': raw(iv.high) } : undefined}
                >
                  {iv && (
                    <div className="note">
                      95%: {pct(iv.low)}–{pct(iv.high)}
                    </div>
                  )}
                  <div className="note" data-testid={`${m.id}-tau0`} data-value={raw(v0)}>
                    τ = 0: {pct(v0)}
                  </div>
                </StatReadout>
              );
            })}
          </div>
        </div>
      )}
      {evaluation?.taxonomy && (
        <p className="note" data-testid="taxonomy-accuracy" data-genus={raw(evaluation.taxonomy.genus)} data-family={raw(evaluation.taxonomy.family)} data-wrong-right-genus={raw(evaluation.taxonomy.wrongButRightGenus)}>
          Beside species: right genus {pct(evaluation.taxonomy.genus)}, right family {pct(evaluation.taxonomy.family)}{Number.isFinite(evaluation.taxonomy.wrongButRightGenus) ? `; of the wrong answers, ${pct(evaluation.taxonomy.wrongButRightGenus)} are at least the right genus.` : '; no wrong answers.'}
        </p>
      )}
      {sweep && (
        <p className="note" data-testid="tau-sweep" data-best-tau={sweep.bestTau} data-top1-at-0={raw(sweep.points[0]?.top1 ?? NaN)} data-macro-f1-best={raw(sweep.points.find((p) => p.tau === sweep.bestTau)?.macroF1 ?? NaN)}>
          Best validated macro-F1 at τ = {formatNumber(sweep.bestTau, 2)} over {formatNumber(sweep.heldoutRows)} images.
        </p>
      )}
      {(view.losses.length > 0 || sweep || evaluation) && (
        <Suspense fallback={<p className="waiting">Loading the charts…</p>}>
          <ClassifyCharts losses={view.losses} sweep={sweep?.points ?? null} tau={view.tau} byCount={evaluation?.byCount ?? null} />
        </Suspense>
      )}
      {evaluation && evaluation.pairs.length > 0 && (
        <>
          <h3>Most confused pairs (validated, at τ = {formatNumber(evaluation.at.tau, 2)})</h3>
          <table className="data-table" data-testid="confused-pairs">
            <thead>
              <tr>
                <th>true class</th>
                <th>an image it got wrong</th>
                <th>predicted as</th>
                <th>a train image of that class</th>
                <th>images</th>
              </tr>
            </thead>
            <tbody>
              {evaluation.pairs.slice(0, 10).map((p) => (
                <tr key={`${p.trueClass}-${p.predictedClass}`} data-testid="confused-pair" data-true={p.trueClass} data-predicted={p.predictedClass} data-example-id={p.example !== undefined ? imageIds?.get(p.example) : ''}>
                  <td>
                    <Name text={name(p.trueClass)} />
                  </td>
                  <td>
                    {p.example !== undefined && (
                      <button type="button" className="tile-open" data-testid="open-viewer" aria-label={`open this image of ${shortName(name(p.trueClass))} in the viewer`} onClick={() => openViewer(p.example!)}>
                        <TrainImageThumbnail image={p.example} alt={`${shortName(name(p.trueClass))}, predicted as ${shortName(name(p.predictedClass))}`} size={96} />
                      </button>
                    )}
                  </td>
                  <td>
                    <Name text={name(p.predictedClass)} />
                  </td>
                  <td>
                    {byClass && byClass.start[p.predictedClass + 1] > byClass.start[p.predictedClass] && (
                      <button type="button" className="tile-open" data-testid="open-viewer" aria-label={`open this image of ${shortName(name(p.predictedClass))} in the viewer`} onClick={() => openViewer(byClass.images[byClass.start[p.predictedClass]])}>
                        <TrainImageThumbnail image={byClass.images[byClass.start[p.predictedClass]]} alt={shortName(name(p.predictedClass))} size={96} />
                      </button>
                    )}
                  </td>
                  <td>{p.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {fit && fit.compared.length > 0 && (
        <>
          <h3>Candidates (validated macro-F1 with its 95% stratified bootstrap interval)</h3>
          <table className="data-table" data-testid="classifier-compare">
            <thead>
              <tr>
                <th>classifier</th>
                <th>chosen setting</th>
                <th>τ</th>
                <th>macro-F1</th>
                <th>95% interval</th>
                <th>top-1</th>
                <th>balanced</th>
                <th>vs the winner</th>
                <th>time</th>
              </tr>
            </thead>
            <tbody>
              {fit.compared.map((c) => (
                <tr
                  key={c.kind}
                  data-testid="compared-classifier"
                  data-kind={c.kind}
                  data-label={c.label}
                  data-macro-f1={raw(c.macroF1)}
                  data-ci-low={raw(c.ciLow)}
                  data-ci-high={raw(c.ciHigh)}
                  data-tau={c.tau}
                  data-winner={c.kind === fit.kind ? 'true' : 'false'}
                  data-resolved={c.kind === fit.kind ? '' : c.unresolved ? 'false' : 'true'}
                >
                  <td>{c.kind === fit.kind ? <strong>{c.label}</strong> : c.label}</td>
                  <td>{c.setting}</td>
                  <td>{formatNumber(c.tau, 2)}</td>
                  <td>{pct(c.macroF1)}</td>
                  <td>
                    {pct(c.ciLow)}–{pct(c.ciHigh)}
                  </td>
                  <td>{pct(c.top1)}</td>
                  <td>{pct(c.balancedAccuracy)}</td>
                  <td>{c.kind === fit.kind ? 'kept' : c.unresolved ? 'not resolved (intervals overlap)' : 'worse'}</td>
                  <td>{formatNumber(c.ms / 1000, 1)} s</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
