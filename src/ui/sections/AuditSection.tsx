import { useEffect, useMemo, useState } from 'react';
import { PlotlyChart } from '../../charts/PlotlyChart.tsx';
import { institutionShareFigure, nearestCosineFigure } from '../../charts/figures.ts';
import { pairsAbove, pairsOfKind, slotsToDrop } from '../../core/audit/auditLists.ts';
import { pairKind } from '../../core/audit/pairs.ts';
import { SHORTCUT_MIN_IMAGES, shareHistogram } from '../../core/audit/shortcuts.ts';
import { SPLIT_HELDOUT, SPLIT_TEST } from '../../core/embed/runState.ts';
import { bandLimits } from '../../core/stats/classStats.ts';
import { classMask } from '../../core/stats/selection.ts';
import { shortName } from '../../core/text.ts';
import {
  cancelAudit,
  currentShortcuts,
  downloadDuplicates,
  downloadLabelIssues,
  downloadShortcuts,
  dropFlaggedAndRefit,
  loadStoredAudit,
  openViewer,
  restoreDropped,
  runAudit,
  setAuditThreshold,
  setShortcutShare,
  showAuditList,
  slotImageId,
} from '../../store/actions.ts';
import type { AuditList, AuditResult } from '../../store/auditSlice.ts';
import { useLab } from '../../store/index.ts';
import { formatNumber } from '../format.ts';
import { Name } from '../widgets/Name.tsx';
import { NumberField } from '../widgets/NumberField.tsx';
import { SlotThumbnail } from '../widgets/SlotThumbnail.tsx';
import { StatReadout } from '../widgets/StatReadout.tsx';

/** Entries a list shows at first; "show more" adds as many again. */
const PAGE = 48;
const SPLIT_WORDS = ['train', 'held-out', 'test'];
const HISTOGRAM_FROM = 0.8;
const HISTOGRAM_BIN = 0.005;

const pct = (v: number, digits = 1) => (Number.isFinite(v) ? `${formatNumber(100 * v, digits)}%` : '—');

const LISTS: { id: AuditList; label: string }[] = [
  { id: 'duplicates', label: 'Near duplicates' },
  { id: 'leaks', label: 'Leaks across splits' },
  { id: 'labels', label: 'Label issues' },
  { id: 'novel', label: 'Novel test images' },
  { id: 'shortcuts', label: 'Institution shortcuts' },
];

/** Section 8: the audit of the embedded dataset. */
export function AuditSection() {
  const dataset = useLab((s) => s.dataset)!;
  const audit = useLab((s) => s.audit);
  const run = useLab((s) => s.embedRun);
  const chips = useLab((s) => s.chips);
  const bands = useLab((s) => s.bands);
  const { result, threshold } = audit;
  const train = dataset.columns;
  const running = audit.status === 'running';
  const canRun = run.key !== null && run.done > 0 && run.status !== 'running' && !running;
  // A run opened (or resumed) here brings its stored audit back.
  useEffect(() => {
    if (run.key && run.status !== 'running') void loadStoredAudit();
  }, [run.key, run.status]);

  // Filters: the class, genus, family and band chips (as the sample grid and the map use them).
  const passes = useMemo(() => {
    const relevant = chips.filter((c) => c.kind === 'class' || c.kind === 'genus' || c.kind === 'family' || c.kind === 'band');
    if (!relevant.length) return null;
    const mask = classMask(train, dataset.sizes, bandLimits(dataset.sizes, bands), relevant);
    return (c: number) => c >= 0 && mask[c] === 1;
  }, [chips, train, dataset.sizes, bands]);
  const classOfSlot = (slot: number) => (slot < train.imageCount ? train.imageClass[slot] : -1);

  const counts = useMemo(() => {
    if (!result) return null;
    const n = pairsAbove(result.pairs, threshold);
    let duplicates = 0;
    let leaks = 0;
    let identical = 0;
    for (let i = 0; i < n; i++) {
      const kind = pairKind(result.slotSplit[result.pairs.a[i]], result.slotSplit[result.pairs.b[i]]);
      if (kind === 'duplicate') duplicates++;
      else if (kind === 'leak') leaks++;
      if (kind && result.pairs.identical[i]) identical++;
    }
    return { duplicates, leaks, identical };
  }, [result, threshold]);
  const shortcuts = useMemo(() => currentShortcuts(), [result, audit.shortcutShare, dataset]); // eslint-disable-line react-hooks/exhaustive-deps
  const stale = result && run.key === audit.ranOn?.key && run.done !== audit.ranOn?.done;

  return (
    <div className="audit">
      <p className="note">
        Finds what hurts the tail most, on the run's embeddings: near-identical images within a split and copies across splits (an IVF search: k-means cells,
        each image compared with its cell and the nearest cells, never all pairs), byte-identical files (a CRC-32 taken while each file was decoded), images
        whose label the classifier doubts (confident learning on leave-one-out class-mean probabilities), classes that one institution dominates, and test
        images far from every labelled one.
      </p>
      <div className="embed-controls">
        <button type="button" className="button primary" data-testid="audit-run" disabled={!canRun} onClick={() => void runAudit()}>
          {result ? 'Run the audit again' : 'Run the audit'}
        </button>
        <button type="button" className="button" data-testid="audit-cancel" disabled={!running} onClick={cancelAudit}>
          Cancel
        </button>
        {run.done === 0 && <span className="note">Embed the dataset in section 5 first.</span>}
      </div>
      <p className="note" data-testid="audit-status" data-state={audit.status}>
        {audit.status === 'running' && 'Auditing…'}
        {audit.status === 'done' && result && `Audited ${formatNumber(result.embedded)} embedded images${result.restored ? ' (the stored audit of this run)' : ''}.`}
        {audit.status === 'idle' && !result && 'Not audited yet.'}
      </p>
      <AuditProgressLine />
      {audit.error && (
        <p role="alert" className="message message-error" data-testid="audit-error">
          {audit.error}
        </p>
      )}
      {stale && (
        <p className="note" data-testid="audit-stale">
          {formatNumber(Math.abs(run.done - audit.ranOn!.done))} images were embedded since this audit ran: run it again to include them.
        </p>
      )}
      <div className="stats">
        <StatReadout testId="stat-duplicate-pairs" label={`near-duplicate pairs within a split (cosine ≥ ${threshold.toFixed(3)})`} value={counts ? counts.duplicates : null} />
        <StatReadout testId="stat-leak-pairs" label="leaks: train–test or train–held-out pairs" value={counts ? counts.leaks : null} />
        <StatReadout testId="stat-label-issues" label="label-issue candidates" value={result ? result.labelIssues.slot.length : null} />
        <StatReadout testId="stat-shortcut-classes" label={`classes with ≥ ${pct(audit.shortcutShare, 0)} of their images from one institution`} value={shortcuts ? shortcuts.classes.length : null} />
        <StatReadout testId="stat-identical-files" label="of the pairs, byte-identical files" value={counts ? counts.identical : null} hint={result ? `file hashes known for ${formatNumber(result.hashedSlots)} of ${formatNumber(result.embedded)} embedded images` : undefined} />
      </div>
      {result && <SearchNote result={result} />}
      {result && (
        <div className="embed-controls">
          <NumberField label="Cosine threshold" testId="audit-threshold" value={threshold} min={result.floor} max={1} step={0.005} onChange={setAuditThreshold} />
          <button type="button" className="button small" onClick={() => setAuditThreshold(result.suggestedThreshold)}>
            back to {result.suggestedThreshold.toFixed(3)}
          </button>
          <span className="note" data-testid="audit-threshold-note">
            Starts at {result.suggestedThreshold.toFixed(3)}: {result.thresholdNote}. Pairs down to {result.floor.toFixed(3)} are kept, so lowering it to there needs no new run.
          </span>
        </div>
      )}
      {result && <NearestChart result={result} threshold={threshold} />}
      <div className="embed-downloads">
        <button type="button" className="button" data-testid="download-duplicates" disabled={!result} onClick={downloadDuplicates}>
          duplicates.csv
        </button>
        <button type="button" className="button" data-testid="download-label-issues" disabled={!result} onClick={downloadLabelIssues}>
          label-issues.csv
        </button>
        <button type="button" className="button" data-testid="download-shortcuts" disabled={!train.institutionName.length} onClick={downloadShortcuts}>
          shortcuts.csv
        </button>
        {!result && <span className="note">The duplicates and label issues come with an audit run; shortcuts.csv needs only the metadata.</span>}
      </div>
      {result && <CleanedView />}
      <p className="note audit-filter" data-testid="audit-filter-note">
        {passes ? 'The lists show entries of the classes the filter chips (section 4) keep.' : 'The lists show every entry; the class, genus, family and band chips of section 4 filter them.'}
      </p>
      <div role="tablist" aria-label="audit lists" className="audit-tabs">
        {LISTS.map((l) => (
          <button key={l.id} type="button" role="tab" aria-selected={audit.list === l.id} className={`button small${audit.list === l.id ? ' active' : ''}`} data-testid={`audit-list-${l.id}`} onClick={() => showAuditList(l.id)}>
            {l.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" data-testid="audit-panel" data-list={audit.list}>
        {audit.list === 'shortcuts' ? (
          <ShortcutsPanel />
        ) : !result ? (
          <p className="note">Run the audit to see this list.</p>
        ) : audit.list === 'labels' ? (
          <LabelIssueList result={result} passes={passes} />
        ) : audit.list === 'novel' ? (
          <NoveltyList result={result} />
        ) : (
          <PairList result={result} kind={audit.list === 'duplicates' ? 'duplicate' : 'leak'} passes={passes} classOfSlot={classOfSlot} />
        )}
      </div>
    </div>
  );
}

function AuditProgressLine() {
  const progress = useLab((s) => s.audit.progress);
  if (!progress) return null;
  const { stage, done, total } = progress;
  return (
    <div className="load-progress" data-testid="audit-progress">
      <div className="load-progress-text">
        {stage}
        {total > 0 && ` · ${formatNumber(done)} of ${formatNumber(total)}`}
      </div>
      <div className="bar" role="progressbar" aria-label={stage} aria-valuemin={0} aria-valuemax={total || undefined} aria-valuenow={total ? done : undefined}>
        <div className="bar-fill" style={{ width: total ? `${(100 * done) / total}%` : '100%' }} />
      </div>
    </div>
  );
}

function SearchNote({ result }: { result: AuditResult }) {
  const { search } = result;
  const seconds = result.stages.reduce((s, x) => s + x.ms, 0) / 1000;
  return (
    <p className="note" data-testid="audit-search-note" data-cells={search.cells} data-probe={search.probe}>
      Searched {formatNumber(result.embedded)} embedded images in {formatNumber(search.cells)} cells, each compared with its own and the {search.probe - 1} nearest
      cells: {formatNumber(search.comparisons)} dot products, {pct(search.comparisons / Math.max(1, search.bruteForce), 2)} of all pairs
      {search.reducedFrom ? ` (on ${search.dim}-d projections of the ${search.reducedFrom}-d embeddings, every pair found checked on the full ones)` : ''}; in{' '}
      {formatNumber(seconds, 1)} s. Label issues: {formatNumber(result.labelIssues.assessed)} images assessed
      {result.labelIssues.notAssessed ? `, ${formatNumber(result.labelIssues.notAssessed)} not (their class has no other fitting image)` : ''}; novelty is the
      distance to the {result.novelty.k}-th nearest labelled image.
    </p>
  );
}

function NearestChart({ result, threshold }: { result: AuditResult; threshold: number }) {
  const figure = useMemo(() => {
    const bins = Math.round((1 - HISTOGRAM_FROM) / HISTOGRAM_BIN);
    const counts = new Int32Array(bins);
    for (const v of result.nearestCosines) if (v >= HISTOGRAM_FROM) counts[Math.min(bins - 1, Math.floor((v - HISTOGRAM_FROM) / HISTOGRAM_BIN))]++;
    return nearestCosineFigure(counts, HISTOGRAM_FROM, HISTOGRAM_BIN, threshold);
  }, [result, threshold]);
  return <PlotlyChart figure={figure} testId="chart-nearest-cosine" />;
}

/** "Drop these from train": what it leaves out, and the validated macro-F1 before and after. */
function CleanedView() {
  const audit = useLab((s) => s.audit);
  const busy = useLab((s) => s.classify.busy);
  const validation = useLab((s) => s.classify.validation);
  const result = audit.result!;
  const drops = useMemo(() => slotsToDrop(result.pairs, audit.threshold, result.slotSplit, result.labelIssues.slot), [result, audit.threshold]);
  const { cleaned } = audit;
  return (
    <div className="audit-cleaned" data-testid="audit-cleaned">
      <div className="embed-controls">
        <button type="button" className="button" data-testid="audit-drop" disabled={!!busy || cleaned?.busy || drops.length === 0} onClick={() => void dropFlaggedAndRefit()}>
          Drop these {formatNumber(drops.length)} images from train and refit
        </button>
        {cleaned && !cleaned.busy && (
          <button type="button" className="button" data-testid="audit-restore" disabled={!!busy} onClick={() => void restoreDropped()}>
            Put them back
          </button>
        )}
        <span className="note">
          Drops every label-issue candidate, the second image of each near-duplicate pair, and the held-out image of each train–held-out leak; test images stay.
          {validation === 'cross'
            ? ' With cross-validation the dropped images leave the validation too (choose the held-out split in section 6 to compare on the same images).'
            : ' The held-out images that stay are validated as before.'}
        </span>
      </div>
      {cleaned?.busy && <p className="note">Refitting…</p>}
      {cleaned?.error && (
        <p role="alert" className="message message-error">
          {cleaned.error}
        </p>
      )}
      {cleaned?.before && cleaned.after && (
        <div className="stats">
          <StatReadout testId="stat-macro-f1-before" label={`validated macro-F1 with every image (${formatNumber(cleaned.before.validated)} validated)`} value={cleaned.before.macroF1} shown={pct(cleaned.before.macroF1)} />
          <StatReadout testId="stat-macro-f1-after" label={`without the ${formatNumber(cleaned.dropped.length)} dropped (${formatNumber(cleaned.after.validated)} validated)`} value={cleaned.after.macroF1} shown={pct(cleaned.after.macroF1)} />
          <StatReadout testId="stat-macro-f1-change" label="change (percentage points)" value={cleaned.after.macroF1 - cleaned.before.macroF1} shown={`${cleaned.after.macroF1 >= cleaned.before.macroF1 ? '+' : ''}${formatNumber(100 * (cleaned.after.macroF1 - cleaned.before.macroF1), 2)}`} />
        </div>
      )}
    </div>
  );
}

/** Shows PAGE entries, then more on request. */
function usePaged(total: number): [number, () => void] {
  const [shown, setShown] = useState(PAGE);
  return [Math.min(total, shown), () => setShown((n) => n + PAGE)];
}

function MoreButton({ shown, total, more }: { shown: number; total: number; more: () => void }) {
  if (shown >= total) return null;
  return (
    <button type="button" className="button small" data-testid="audit-more" onClick={more}>
      show {formatNumber(Math.min(PAGE, total - shown))} more of {formatNumber(total - shown)}
    </button>
  );
}

function SlotCaption({ slot }: { slot: number }) {
  const dataset = useLab((s) => s.dataset)!;
  const train = dataset.columns;
  const c = slot < train.imageCount ? train.imageClass[slot] : -1;
  return (
    <span className="audit-caption">
      <Name text={c >= 0 ? train.className[c] : 'test image (no label)'} max={26} />
      <span className="note"> · {shortName(slotImageId(slot), 18)}</span>
    </span>
  );
}

/** A thumbnail that opens the viewer, stepping through `sequence`. */
function OpenableSlot({ slot, sequence, label }: { slot: number; sequence: Int32Array; label: string }) {
  return (
    <button type="button" className="tile-open" data-testid="audit-image" data-image-id={slotImageId(slot)} aria-label={`open ${label} in the viewer`} onClick={() => openViewer(slot, sequence)}>
      <SlotThumbnail slot={slot} size={110} alt={label} />
    </button>
  );
}

function PairList({ result, kind, passes, classOfSlot }: { result: AuditResult; kind: 'duplicate' | 'leak'; passes: ((c: number) => boolean) | null; classOfSlot: (s: number) => number }) {
  const threshold = useLab((s) => s.audit.threshold);
  const list = useMemo(() => {
    const all = pairsOfKind(result.pairs, threshold, result.slotSplit, kind);
    return passes ? all.filter((i) => passes(classOfSlot(result.pairs.a[i])) || passes(classOfSlot(result.pairs.b[i]))) : all;
  }, [result, threshold, kind, passes, classOfSlot]);
  const [shown, more] = usePaged(list.length);
  const sequence = useMemo(() => Int32Array.from(Array.from(list.subarray(0, shown)).flatMap((i) => [result.pairs.a[i], result.pairs.b[i]])), [list, shown, result]);
  if (list.length === 0) return <p className="note">No {kind === 'duplicate' ? 'near-duplicate' : 'leak'} pair at this threshold{passes ? ' among the filtered classes' : ''}.</p>;
  return (
    <div>
      <div className="audit-grid" data-testid={kind === 'duplicate' ? 'duplicate-grid' : 'leak-grid'} data-count={list.length}>
        {Array.from(list.subarray(0, shown), (i) => {
          const a = result.pairs.a[i];
          const b = result.pairs.b[i];
          return (
            <figure key={i} className="audit-pair" data-testid="audit-pair" data-image-a={slotImageId(a)} data-image-b={slotImageId(b)} data-cosine={result.pairs.cosine[i].toFixed(6)}>
              <div className="audit-pair-images">
                <OpenableSlot slot={a} sequence={sequence} label={`image ${slotImageId(a)}`} />
                <OpenableSlot slot={b} sequence={sequence} label={`image ${slotImageId(b)}`} />
              </div>
              <figcaption>
                cosine {result.pairs.cosine[i].toFixed(4)}
                {result.pairs.identical[i] ? ' · identical files' : ''} · {SPLIT_WORDS[result.slotSplit[a]]}–{SPLIT_WORDS[result.slotSplit[b]]}
                <br />
                <SlotCaption slot={a} />
                <br />
                <SlotCaption slot={b} />
              </figcaption>
            </figure>
          );
        })}
      </div>
      <MoreButton shown={shown} total={list.length} more={more} />
    </div>
  );
}

/** A few train images of a class, as examples beside a candidate. */
function ClassExamples({ classIndex, except, count = 2 }: { classIndex: number; except: number; count?: number }) {
  const dataset = useLab((s) => s.dataset)!;
  const { start, images } = dataset.byClass;
  const picks: number[] = [];
  for (let k = start[classIndex]; k < start[classIndex + 1] && picks.length < count; k++) if (images[k] !== except) picks.push(images[k]);
  const sequence = Int32Array.from(picks);
  return (
    <>
      {picks.map((i) => (
        <OpenableSlot key={i} slot={i} sequence={sequence} label={`an example of ${shortName(dataset.columns.className[classIndex])}`} />
      ))}
    </>
  );
}

function LabelIssueList({ result, passes }: { result: AuditResult; passes: ((c: number) => boolean) | null }) {
  const dataset = useLab((s) => s.dataset)!;
  const train = dataset.columns;
  const issues = result.labelIssues;
  const list = useMemo(() => {
    const all = Int32Array.from(issues.slot.keys());
    return passes ? all.filter((r) => passes(issues.given[r]) || passes(issues.suggested[r])) : all;
  }, [issues, passes]);
  const [shown, more] = usePaged(list.length);
  const sequence = useMemo(() => Int32Array.from(list.subarray(0, shown), (r) => issues.slot[r]), [list, shown, issues]);
  if (list.length === 0) return <p className="note">No label-issue candidate{passes ? ' among the filtered classes' : ''}.</p>;
  return (
    <div>
      <p className="note">
        Each candidate beside two train images of its given class and two of the class confident learning suggests. Score = 1 − p(given class), out of sample
        (its own class's mean taken without it; temperature {formatNumber(issues.scale, 1)}).
      </p>
      <div className="audit-grid" data-testid="label-issue-grid" data-count={list.length}>
        {Array.from(list.subarray(0, shown), (r) => {
          const slot = issues.slot[r];
          const given = issues.given[r];
          const suggested = issues.suggested[r];
          return (
            <figure key={slot} className="audit-issue" data-testid="label-issue" data-image-id={slotImageId(slot)} data-given={train.classCategoryId[given]} data-suggested={train.classCategoryId[suggested]} data-score={issues.score[r].toFixed(6)}>
              <div className="audit-pair-images">
                <OpenableSlot slot={slot} sequence={sequence} label={`image ${slotImageId(slot)}, labelled ${shortName(train.className[given])}`} />
                <span className="audit-examples" aria-label="examples of the given class">
                  <ClassExamples classIndex={given} except={slot} />
                </span>
                <span className="audit-examples" aria-label="examples of the suggested class">
                  <ClassExamples classIndex={suggested} except={slot} />
                </span>
              </div>
              <figcaption>
                score {issues.score[r].toFixed(3)}
                {result.slotSplit[slot] === SPLIT_HELDOUT ? ' · held out' : ''}
                <br />
                given <Name text={train.className[given]} max={28} /> ({train.classCategoryId[given]})
                <br />
                suggested <Name text={train.className[suggested]} max={28} /> ({train.classCategoryId[suggested]})
              </figcaption>
            </figure>
          );
        })}
      </div>
      <MoreButton shown={shown} total={list.length} more={more} />
    </div>
  );
}

function NoveltyList({ result }: { result: AuditResult }) {
  const novelty = result.novelty;
  const [shown, more] = usePaged(novelty.slot.length);
  const sequence = useMemo(() => novelty.slot.subarray(0, shown), [novelty, shown]);
  if (novelty.slot.length === 0) return <p className="note">No test image is embedded in this run.</p>;
  return (
    <div>
      <p className="note">
        The test images farthest from the labelled ones: distance to the {novelty.k}-th nearest labelled image, √(2 − 2·cos) on unit-length embeddings (Sun et al.,
        ICML 2022). Each beside its nearest labelled image.
      </p>
      <div className="audit-grid" data-testid="novelty-grid" data-count={novelty.slot.length}>
        {Array.from(sequence, (slot, r) => (
          <figure key={slot} className="audit-pair" data-testid="novel-image" data-image-id={slotImageId(slot)} data-score={novelty.score[r].toFixed(6)}>
            <div className="audit-pair-images">
              <OpenableSlot slot={slot} sequence={sequence} label={`test image ${slotImageId(slot)}`} />
              {novelty.nearest[r] >= 0 && <OpenableSlot slot={novelty.nearest[r]} sequence={Int32Array.of(novelty.nearest[r])} label={`its nearest labelled image ${slotImageId(novelty.nearest[r])}`} />}
            </div>
            <figcaption>
              distance {novelty.score[r].toFixed(3)} · nearest cosine {novelty.nearestCosine[r].toFixed(3)}
              <br />
              <SlotCaption slot={slot} />
              {result.slotSplit[slot] !== SPLIT_TEST && ' (not a test image)'}
            </figcaption>
          </figure>
        ))}
      </div>
      <MoreButton shown={shown} total={novelty.slot.length} more={more} />
    </div>
  );
}

function ShortcutsPanel() {
  const dataset = useLab((s) => s.dataset)!;
  const audit = useLab((s) => s.audit);
  const train = dataset.columns;
  const shortcuts = useMemo(() => currentShortcuts(), [audit.result, audit.shortcutShare, dataset]); // eslint-disable-line react-hooks/exhaustive-deps
  const [shown, more] = usePaged(shortcuts?.classes.length ?? 0);
  const figure = useMemo(() => (shortcuts ? institutionShareFigure(shareHistogram(shortcuts.concentration, 20, SHORTCUT_MIN_IMAGES), audit.shortcutShare, SHORTCUT_MIN_IMAGES) : null), [shortcuts, audit.shortcutShare]);
  if (!train.institutionName.length) return <p className="note">This dataset names no institution per image.</p>;
  if (!shortcuts) return null;
  const accuracy = audit.result?.institutions.accuracy ?? null;
  return (
    <div>
      <div className="embed-controls">
        <NumberField label="Share from one institution at least" testId="shortcut-share" value={audit.shortcutShare} min={0.5} max={1} step={0.05} onChange={setShortcutShare} />
        <span className="note">over classes of at least {SHORTCUT_MIN_IMAGES} images (fewer say little about a pattern).</span>
      </div>
      {accuracy && accuracy.classes > 0 ? (
        <p className="note" data-testid="institution-accuracy" data-main={accuracy.mainAccuracy} data-other={accuracy.otherAccuracy} data-classes={accuracy.classes}>
          Over the {formatNumber(accuracy.classes)} classes with validated images both from their main institution and from another, the fitted classifier is right on{' '}
          {pct(accuracy.mainAccuracy)} of the main institution's images ({formatNumber(accuracy.mainImages)}) and on {pct(accuracy.otherAccuracy)} of the others (
          {formatNumber(accuracy.otherImages)}), class-balanced: a large gap says the classes are learnt partly from the institution.
        </p>
      ) : (
        <p className="note" data-testid="institution-accuracy">
          {audit.result ? 'No class has validated images from both its main and another institution (or no classifier was fitted when the audit ran).' : 'Fit a classifier in section 6, then run the audit, to compare accuracy across institutions.'}
        </p>
      )}
      {figure && <PlotlyChart figure={figure} testId="chart-institution-share" />}
      <table className="audit-table" data-testid="shortcut-table">
        <thead>
          <tr>
            <th scope="col">class</th>
            <th scope="col">category id</th>
            <th scope="col">main institution</th>
            <th scope="col">share</th>
            <th scope="col">images</th>
          </tr>
        </thead>
        <tbody>
          {Array.from(shortcuts.classes.subarray(0, shown), (c) => (
            <tr key={c} data-testid="shortcut-row" data-category-id={train.classCategoryId[c]}>
              <td>
                <Name text={train.className[c]} max={40} />
              </td>
              <td>{train.classCategoryId[c]}</td>
              <td>
                <Name text={train.institutionName[shortcuts.concentration.mainInstitution[c]] ?? '—'} max={30} />
              </td>
              <td>{pct(shortcuts.concentration.share[c])}</td>
              <td>{formatNumber(shortcuts.concentration.images[c])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <MoreButton shown={shown} total={shortcuts.classes.length} more={more} />
    </div>
  );
}
