import type { FilterChip } from '../../core/stats/selection.ts';
import { shortName } from '../../core/text.ts';
import { useLab } from '../../store/index.ts';
import { Name } from './Name.tsx';

/** The active filters as removable chips (names shown as text, never as HTML). */
export function FilterChips() {
  const dataset = useLab((s) => s.dataset)!;
  const chips = useLab((s) => s.chips);
  const removeChip = useLab((s) => s.removeChip);
  const clearChips = useLab((s) => s.clearChips);
  const train = dataset.columns;
  const label = (c: FilterChip) => {
    switch (c.kind) {
      case 'class':
        return train.className[c.index];
      case 'genus':
        return train.genusName[c.index];
      case 'family':
        return train.familyName[c.index];
      case 'institution':
        return train.institutionName[c.index];
      case 'band':
        return `${c.band}-shot classes`;
      case 'map':
        return c.label;
    }
  };
  if (chips.length === 0) return <span className="note">All classes (no filter).</span>;
  return (
    <span className="chips" data-testid="filter-chips">
      {chips.map((c) => (
        <span key={`${c.kind}:${c.kind === 'band' ? c.band : c.kind === 'map' ? c.id : c.index}`} className="chip" data-testid="chip" data-kind={c.kind}>
          <span className="chip-kind">{c.kind}</span> <Name text={label(c)} max={60} />
          <button type="button" aria-label={`Remove filter ${shortName(label(c))}`} onClick={() => removeChip(c)}>
            ×
          </button>
        </span>
      ))}
      {chips.length > 1 && (
        <button type="button" className="button small" onClick={clearChips}>
          clear
        </button>
      )}
    </span>
  );
}
