import { useState, type DragEvent } from 'react';
import { formatLabels } from '../../core/dataset/types.ts';
import { filesFromDrop } from '../../io/droppedFiles.ts';
import { useLab } from '../../store/index.ts';
import { loadDemo, loadFolderInput, loadMetadataInput, loadPathedFiles, reportIssues } from '../../store/actions.ts';
import { formatBytes, formatNumber } from '../format.ts';
import { FileButton } from '../widgets/FileButton.tsx';
import { MessageList } from '../widgets/MessageList.tsx';
import { LoadProgressBar } from '../widgets/ProgressBar.tsx';
import { Name } from '../widgets/Name.tsx';

export function LoadData() {
  const [dragging, setDragging] = useState(false);
  const busy = useLab((s) => s.busy);
  const actionsDone = useLab((s) => s.actionsDone);

  const onDrop = async (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    try {
      const { setProgress } = useLab.getState();
      const files = await filesFromDrop(event.dataTransfer, (n) =>
        setProgress({ stage: 'Listing the dropped folder', done: n, total: 0, unit: 'files' }),
      );
      setProgress(null);
      await loadPathedFiles(files);
    } catch (e) {
      reportIssues([{ severity: 'error', file: 'Dropped items', message: `could not be read: ${(e as Error).message}` }]);
    }
  };

  return (
    <>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        data-testid="dropzone"
        data-actions-done={actionsDone}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p className="dropzone-title">Drop metadata files or an image folder here</p>
        <p className="dropzone-hint">
          Herbarium 2022 <code>train_metadata.json</code> (+ <code>test_metadata.json</code>), Herbarium 2021 or
          iNaturalist COCO-style JSON, or a folder: the Kaggle layout with <code>train_images/</code> and{' '}
          <code>test_images/</code>, or one subfolder per class. Nothing is uploaded; files are read in this tab.
        </p>
        <div className="load-buttons">
          <FileButton label="Metadata JSON…" testId="metadata-input" accept=".json,application/json" onFiles={(f) => void loadMetadataInput(f)} />
          <FileButton label="Image folder…" testId="folder-input" folder onFiles={(f) => void loadFolderInput(f)} />
          <button type="button" className="button primary" data-testid="load-demo" disabled={busy} onClick={() => void loadDemo()}>
            Load the demo dataset
          </button>
        </div>
        <p className="demo-note">
          Demo: emoji images, one class per Unicode emoji subcategory (a long tail), from Twemoji (CC-BY 4.0) and Noto Emoji
          (Apache-2.0).
        </p>
      </div>
      <LoadProgressBar />
      <MessageList />
      <LoadedSummary />
    </>
  );
}

function LoadedSummary() {
  const dataset = useLab((s) => s.dataset);
  const test = useLab((s) => s.test);
  const files = useLab((s) => s.loadedFiles);
  const folderName = useLab((s) => s.folderName);
  const folder = useLab((s) => s.folder);
  const trainMatch = useLab((s) => s.trainMatch);
  const testMatch = useLab((s) => s.testMatch);
  const attribution = useLab((s) => s.demoAttribution);
  if (!dataset && !test && !folder) return null;
  const missing = [...(trainMatch?.missingExamples ?? []), ...(testMatch?.missingExamples ?? [])].slice(0, 20);
  const normalised = (trainMatch?.matchedByNormalisation ?? 0) + (testMatch?.matchedByNormalisation ?? 0);
  const extraImages = folder ? Math.max(0, folder.imageCount - (trainMatch?.matched ?? 0) - (testMatch?.matched ?? 0)) : 0;
  return (
    <div className="loaded">
      {dataset && (
        <p>
          Format: <strong data-testid="dataset-format" data-value={dataset.columns.format}>{formatLabels[dataset.columns.format]}</strong>{' '}
          from <code><Name text={dataset.columns.source} /></code>
        </p>
      )}
      {files.length > 0 && (
        <ul className="file-list">
          {files.map((f) => (
            <li key={f.name}>
              <code><Name text={f.name} /></code>: {f.role}, {formatBytes(f.bytes)}, {formatNumber(f.items)} items in {f.ms < 1000 ? `${formatNumber(f.ms)} ms` : `${formatNumber(f.ms / 1000, 1)} s`}
            </li>
          ))}
        </ul>
      )}
      {!dataset && test && <p>Test metadata loaded ({formatNumber(test.columns.imageCount)} images); waiting for the train metadata.</p>}
      {folder && (
        <p data-testid="folder-summary">
          Folder <code><Name text={folderName ?? ''} /></code>: {formatNumber(folder.size)} files, {formatNumber(folder.imageCount)} images.
          {trainMatch && ` Train: ${formatNumber(trainMatch.matched)} of ${formatNumber(trainMatch.total)} found`}
          {trainMatch?.prefix ? ` under ${trainMatch.prefix}` : ''}
          {testMatch && `; test: ${formatNumber(testMatch.matched)} of ${formatNumber(testMatch.total)} found`}
          {(trainMatch || testMatch) && (
            <>
              ;{' '}
              <span data-testid="folder-extra-images" data-value={extraImages}>
                {formatNumber(extraImages)}
              </span>{' '}
              images not in the metadata.
            </>
          )}
          {normalised > 0 && (
            <>
              {' '}
              <span data-testid="folder-normalised-matches" data-value={normalised}>
                {formatNumber(normalised)}
              </span>{' '}
              matched only once file and metadata names were in the same Unicode form (NFC; macOS writes folder names decomposed, NFD).
            </>
          )}
        </p>
      )}
      {missing.length > 0 && (
        <details className="missing" data-testid="missing-files" open>
          <summary>First missing files (paths as written in the metadata)</summary>
          <ul>
            {missing.map((m) => (
              <li key={m}>
                <code>
                  <Name text={m} />
                </code>
              </li>
            ))}
          </ul>
        </details>
      )}
      {attribution && dataset && (
        <p className="attribution" data-testid="demo-attribution">
          {attribution}
        </p>
      )}
    </div>
  );
}
