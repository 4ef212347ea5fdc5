import { useEffect, useState } from 'react';
import { BACKENDS, type BackendChoice } from '../../core/embed/backendChoice.ts';
import { CHECKPOINT_MS } from '../../core/embed/checkpoints.ts';
import { CUSTOM_MODEL_ID, IMAGENET_MOBILENET_V2, MODELS } from '../../core/embed/models.ts';
import { slotImage } from '../../core/embed/runState.ts';
import type { InputRange } from '../../core/embed/preprocess.ts';
import { StringTable } from '../../core/dataset/stringTable.ts';
import { useLab } from '../../store/index.ts';
import {
  cancelEmbedding,
  discardEmbedding,
  downloadRunFile,
  findStoredRun,
  importPrototypesFile,
  pauseEmbedding,
  resumeEmbedding,
  startEmbedding,
  takeOverRun,
} from '../../store/actions.ts';
import { FileButton } from '../widgets/FileButton.tsx';
import { Name } from '../widgets/Name.tsx';
import { StatReadout } from '../widgets/StatReadout.tsx';
import { formatNumber } from '../format.ts';
import { whenIdle } from '../idle.ts';

const SKIPS_SHOWN = 200;

function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Embeds every image with MobileNetV2 in this tab, resumably; prototypes and embeddings out. */
export function Embeddings() {
  const dataset = useLab((s) => s.dataset)!;
  const test = useLab((s) => s.test);
  const trainMatch = useLab((s) => s.trainMatch);
  const settings = useLab((s) => s.embedSettings);
  const setSettings = useLab((s) => s.setEmbedSettings);
  const run = useLab((s) => s.embedRun);
  const imported = useLab((s) => s.importedPrototypes);
  const [importError, setImportError] = useState<string | null>(null);
  const custom = settings.modelId === CUSTOM_MODEL_ID;
  const model = MODELS.find((m) => m.id === settings.modelId) ?? MODELS[0];
  const active = run.status === 'running';
  const hasFolder = trainMatch !== null && trainMatch.prefix != null;

  // A stored run of this dataset and these settings (a reload, a crash) is offered to resume.
  // Looked for once the page is idle: planning and fingerprinting an 840k-image run takes
  // 100–150 ms, which must not hold up the frame that shows a new dataset's readouts.
  useEffect(() => whenIdle(() => void findStoredRun()), [dataset, test, settings.modelId, settings.layer, settings.heldoutFraction, settings.splitSeed, settings.includeTest]);

  const onImport = async (files: File[]) => {
    const file = files[0];
    if (!file) return;
    setImportError(null);
    try {
      await importPrototypesFile(file);
    } catch (e) {
      setImportError((e as Error).message);
    }
  };

  const processed = run.done + run.skipped.length;
  return (
    <div className="embeddings">
      <div className="embed-settings">
        <label>
          Model{' '}
          <select data-testid="model-select" value={settings.modelId} disabled={active} onChange={(e) => setSettings({ modelId: e.target.value, layer: MODELS.find((m) => m.id === e.target.value)?.layers[0].layer ?? '' })}>
            {MODELS.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
            <option value={CUSTOM_MODEL_ID}>your own TensorFlow.js model (drop model.json + weights)</option>
          </select>
        </label>
        {!custom && model.layers.length > 1 && (
          <label>
            Feature layer{' '}
            <select data-testid="layer-select" value={settings.layer} disabled={active} onChange={(e) => setSettings({ layer: e.target.value })}>
              {model.layers.map((l) => (
                <option key={l.layer} value={l.layer}>
                  {l.label}
                </option>
              ))}
            </select>
          </label>
        )}
        {settings.modelId === IMAGENET_MOBILENET_V2.id && (
          <label>
            Model URL{' '}
            <input
              data-testid="model-url"
              type="url"
              placeholder="TF Hub (the package’s default)"
              value={settings.hubUrl}
              disabled={active}
              onChange={(e) => setSettings({ hubUrl: e.target.value })}
            />
          </label>
        )}
        {custom && (
          <>
            <FileButton testId="model-files" accept=".json,.bin" label={settings.customFiles ? `${settings.customFiles.length} model files` : 'model.json + .bin files'} onFiles={(files) => setSettings({ customFiles: files })} />
            <label>
              Layer or node to pool{' '}
              <input data-testid="model-node" value={settings.customNode} placeholder="the model's output" disabled={active} onChange={(e) => setSettings({ customNode: e.target.value })} />
            </label>
            <label>
              Input range{' '}
              <select data-testid="model-range" value={settings.customRange} disabled={active} onChange={(e) => setSettings({ customRange: e.target.value as InputRange })}>
                <option value="minus1to1">[−1, 1] (x/127.5 − 1)</option>
                <option value="zeroTo1">[0, 1]</option>
                <option value="zeroTo255">[0, 255]</option>
              </select>
            </label>
          </>
        )}
        <label>
          Backend{' '}
          <select data-testid="backend-select" value={settings.backend} disabled={active} onChange={(e) => setSettings({ backend: e.target.value as BackendChoice })}>
            <option value="auto">auto (timed)</option>
            {BACKENDS.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
        <label>
          Batch{' '}
          <input
            data-testid="batch-size"
            type="number"
            min={1}
            max={64}
            value={settings.batchSize}
            disabled={active}
            onChange={(e) => setSettings({ batchSize: Math.max(1, Math.min(64, Math.round(Number(e.target.value)) || 1)) })}
          />
        </label>
        <label>
          Held out per class{' '}
          <input
            data-testid="heldout-fraction"
            type="number"
            min={0}
            max={0.9}
            step={0.05}
            value={settings.heldoutFraction}
            disabled={active}
            onChange={(e) => setSettings({ heldoutFraction: Math.max(0, Math.min(0.9, Number(e.target.value) || 0)) })}
          />
        </label>
        {test && (
          <label>
            <input type="checkbox" data-testid="include-test" checked={settings.includeTest} disabled={active} onChange={(e) => setSettings({ includeTest: e.target.checked })} /> test images too (
            {formatNumber(test.columns.imageCount)})
          </label>
        )}
      </div>
      <p className="note">
        {custom ? 'Your model: its layer or node is average-pooled over space when it is a feature map.' : `${model.label}: ${model.origin}`}
        {run.modelOrigin && ` Loaded from: ${run.modelOrigin}.`} The held-out images (a seeded, stratified {Math.round(settings.heldoutFraction * 100)}% of each class; a class
        with one image keeps it) are embedded but never averaged into a prototype. Every image is resized whole to 224×224 (bilinear), RGB, scaled to{' '}
        {custom ? 'the input range you chose' : '[−1, 1]'}.
      </p>

      <div className="embed-controls">
        <button type="button" className="button" data-testid="embed-start" disabled={active || !hasFolder || run.status === 'paused'} onClick={() => void startEmbedding()}>
          {run.done > 0 && run.status !== 'done' ? 'Start (continue)' : 'Start'}
        </button>
        <button type="button" className="button" data-testid="embed-pause" disabled={!active} onClick={pauseEmbedding}>
          Pause
        </button>
        <button type="button" className="button" data-testid="embed-resume" disabled={run.status !== 'paused' || !hasFolder} onClick={() => void resumeEmbedding()}>
          Resume
        </button>
        <button type="button" className="button" data-testid="embed-cancel" disabled={!active && run.status !== 'paused'} onClick={() => void cancelEmbedding()}>
          Cancel
        </button>
        <button type="button" className="button small" data-testid="embed-discard" disabled={active || processed === 0} onClick={() => void discardEmbedding()}>
          Discard the stored run
        </button>
        {!hasFolder && <span className="note">Drop the image folder to embed its images.</span>}
      </div>

      <div className="embed-status" data-testid="embed-status" data-state={run.status} data-num-tensors={run.tensors ? `${run.tensors.min}-${run.tensors.max}` : ''}>
        <strong>{run.status}</strong> {run.activity && `· ${run.activity}`}
        {run.error && <span role="alert"> · {run.error}</span>}
      </div>
      <div
        className="bar"
        data-testid="embed-progress"
        role="progressbar"
        aria-label="Images embedded"
        aria-valuemin={0}
        aria-valuemax={run.total}
        aria-valuenow={processed}
      >
        <div className="bar-fill" style={{ width: run.total ? `${(100 * processed) / run.total}%` : '0%' }} />
      </div>
      <div className="stats">
        <StatReadout testId="stat-embedded" label={`embedded of ${formatNumber(run.total)}`} value={run.done} />
        <StatReadout testId="stat-skipped-images" label="skipped (unreadable)" value={run.skipped.length} />
        <StatReadout testId="stat-images-per-second" label="images / s" value={run.imagesPerSecond === null ? null : Math.round(run.imagesPerSecond * 10) / 10} digits={1} />
        <StatReadout testId="embed-eta" label="left" value={run.etaSeconds} shown={duration(run.etaSeconds)} />
        <StatReadout testId="backend" label="backend" value={run.backend} hint={run.backendReason} />
      </div>
      {run.backendReason && (
        <p className="note" data-testid="backend-reason">
          Backend {run.backend}: {run.backendReason}
        </p>
      )}
      <p className="note" data-testid="embed-storage" data-held-elsewhere={run.heldElsewhere ? 'true' : undefined}>
        {run.storage === 'opfs'
          ? `Checkpointed in this browser's private storage at most every ${CHECKPOINT_MS / 1000} s${run.lastCheckpoint ? ` (last: ${new Date(run.lastCheckpoint).toLocaleTimeString()})` : ''}: a reload or crash resumes from there.`
          : run.storageNote ?? ''}
        {run.heldElsewhere && (
          <>
            {' '}
            <button type="button" className="button small" data-testid="embed-take-over" onClick={() => void takeOverRun()}>
              Take the run over here
            </button>
          </>
        )}
      </p>
      {run.skipped.length > 0 && (
        <details data-testid="skipped-images" open={run.skipped.length <= 20}>
          <summary>
            {formatNumber(run.skipped.length)} images skipped{run.skipped.length > SKIPS_SHOWN ? ` (first ${SKIPS_SHOWN} listed)` : ''}
          </summary>
          <ul>
            {run.skipped.slice(0, SKIPS_SHOWN).map(([slot, reason]) => (
              <li key={slot} data-testid="skipped-image" data-image-id={slotImageId(slot)}>
                <code>
                  <Name text={slotImageId(slot)} />
                </code>{' '}
                (<Name text={slotFileName(slot)} />): {reason}
              </li>
            ))}
          </ul>
        </details>
      )}

      <div className="embed-downloads">
        <button type="button" className="button" data-testid="download-prototypes" disabled={run.done === 0 || active} onClick={() => void downloadRunFile('prototypes')}>
          prototypes.npz
        </button>
        <button type="button" className="button" data-testid="download-embeddings" disabled={run.done === 0 || active} onClick={() => void downloadRunFile('embeddings')}>
          embeddings.npz
        </button>
        <FileButton testId="import-prototypes" accept=".npz,.npy" label="Import prototypes (.npz, .npy)" onFiles={(files) => void onImport(files)} />
      </div>
      {importError && (
        <p role="alert" className="message message-error" data-testid="import-error">
          {importError}
        </p>
      )}
      {imported && (
        <p className="note" data-testid="imported-prototypes" data-classes={dataset.columns.classCategoryId.length - imported.missingClasses} data-dim={imported.dim}>
          Imported <Name text={imported.fileName} />: {formatNumber(dataset.columns.classCategoryId.length - imported.missingClasses)} categories × {imported.dim} features, matched by{' '}
          {imported.matchedBy}
          {imported.missingClasses ? `; ${formatNumber(imported.missingClasses)} declared categories have no row` : ''}.
        </p>
      )}
    </div>
  );
}

function slotImageId(slot: number): string {
  const { dataset, test } = useLab.getState();
  const image = slotImage(dataset?.columns.imageCount ?? 0, slot);
  if (!image.test) return dataset!.ids.get(image.index);
  if (!test) return String(slot);
  let ids = testIds.get(test.columns);
  if (!ids) testIds.set(test.columns, (ids = StringTable.fromData(test.columns.imageId)));
  return ids.get(image.index);
}
const testIds = new WeakMap<object, StringTable>();

function slotFileName(slot: number): string {
  const { dataset, test } = useLab.getState();
  const image = slotImage(dataset?.columns.imageCount ?? 0, slot);
  return image.test ? (test?.files.get(image.index) ?? '') : dataset!.files.get(image.index);
}
