import { useMemo } from 'react';
import { useLab } from '../../store/index.ts';
import { classifierInfo } from '../../core/learn/classifiers.ts';
import { downloadRunFile, downloadSubmission } from '../../store/actions.ts';
import { formatNumber } from '../format.ts';

/** Section 8: submission.csv from the fitted classifier at the chosen τ, and the run's files. */
export function Export() {
  const view = useLab((s) => s.classify);
  const run = useLab((s) => s.embedRun);
  const test = useLab((s) => s.test);
  const sub = view.submission;
  const kindLabel = view.fit?.label ?? classifierInfo(view.kind).short;
  const active = run.status === 'running';
  const columns = useLab((s) => s.dataset?.columns);
  const nameOf = useMemo(() => {
    const byId = new Map<number, string>();
    if (columns) columns.classCategoryId.forEach((id, k) => byId.set(id, columns.className[k]));
    return (id: number) => byId.get(id);
  }, [columns]);
  // A greyed-out button says why.
  const why = !test
    ? 'Load test_metadata.json (with the train metadata) to write a submission.'
    : run.done === 0
      ? 'Embed the images in section 5 first.'
      : active
        ? 'The embedding run is going: pause it or let it finish.'
        : view.busy
          ? 'Wait for the classifier job in section 6 to finish.'
          : null;
  return (
    <div className="export">
      <div className="embed-controls">
        <button type="button" className="button" data-testid="download-submission" disabled={why !== null} aria-describedby="submission-why" onClick={() => void downloadSubmission()}>
          Download submission.csv
        </button>
        <span className="note" id="submission-why">
          {why ?? `${formatNumber(test!.columns.imageCount)} test images; ${kindLabel} at τ = ${formatNumber(view.tau, 2)}${view.fit ? '' : ' (fitted when you download)'}.`}
        </span>
      </div>
      {view.busy === 'exporting' && <p className="note">Scoring the test images…</p>}
      {sub && (
        <div data-testid="submission-info" data-rows={sub.rows} data-not-embedded={sub.notEmbedded}>
          <p className="note">
            submission.csv: {formatNumber(sub.rows)} rows ({sub.label}, τ = {formatNumber(sub.tau, 2)});{' '}
            <span data-testid="stat-test-not-embedded" data-value={sub.notEmbedded}>
              {formatNumber(sub.notEmbedded)} test images had no embedding
            </span>
            {sub.notEmbedded > 0 && ` and were given the most frequent train class (category ${sub.fallbackCategoryId})`}.
          </p>
          <table className="data-table" data-testid="submission-preview">
            <thead>
              <tr>
                <th>Id</th>
                <th>top-5 classes: name (category id) logit</th>
              </tr>
            </thead>
            <tbody>
              {sub.preview.map((row) => (
                <tr key={row.id}>
                  <td>{row.id}</td>
                  <td>{row.embedded ? row.top.map((t) => `${nameOf(t.categoryId) ?? 'category'} (${t.categoryId}) ${formatNumber(t.score, 2)}`).join(', ') : 'no embedding: fallback class'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {view.error && (
        <p role="alert" className="message message-error" data-testid="export-error">
          {view.error}
        </p>
      )}
      <p className="note">
        The embedding run's files (section 5, <a href="#embeddings">Embeddings</a>):{' '}
        <button type="button" className="button small" data-testid="export-prototypes" disabled={run.done === 0 || active} onClick={() => void downloadRunFile('prototypes')}>
          prototypes.npz
        </button>{' '}
        <button type="button" className="button small" data-testid="export-embeddings" disabled={run.done === 0 || active} onClick={() => void downloadRunFile('embeddings')}>
          embeddings.npz
        </button>
      </p>
    </div>
  );
}
