import { useDeferredValue, useMemo, useState, type KeyboardEvent } from 'react';
import type { FilterChip } from '../../core/stats/selection.ts';
import { useLab } from '../../store/index.ts';
import { Name } from './Name.tsx';

interface Hit {
  chip: FilterChip;
  kind: string;
  name: string;
}

const maxHits = 20;

/** Finds classes, genera and families by name as you type; a hit becomes a filter chip. */
export function ClassSearch() {
  const dataset = useLab((s) => s.dataset)!;
  const addChip = useLab((s) => s.addChip);
  const [query, setQuery] = useState('');
  // The highlighted hit (ArrowUp/ArrowDown), picked with Enter: the WAI-ARIA combobox pattern.
  const [active, setActive] = useState(0);
  const deferred = useDeferredValue(query);
  const train = dataset.columns;
  const lower = useMemo(
    () => ({
      family: train.familyName.map((n) => n.toLowerCase()),
      genus: train.genusName.map((n) => n.toLowerCase()),
      class: train.className.map((n) => n.toLowerCase()),
    }),
    [train],
  );
  const hits = useMemo(() => {
    const q = deferred.trim().toLowerCase();
    if (!q) return [];
    const out: Hit[] = [];
    const scan = (kind: 'family' | 'genus' | 'class', names: string[]) => {
      for (let i = 0; i < names.length && out.length < maxHits; i++)
        if (lower[kind][i].includes(q) && (kind !== 'class' || dataset.sizes[i] > 0))
          out.push({ chip: { kind, index: i }, kind, name: names[i] });
    };
    scan('family', train.familyName);
    scan('genus', train.genusName);
    scan('class', train.className);
    return out;
  }, [deferred, lower, train, dataset.sizes]);

  const current = Math.min(active, Math.max(0, hits.length - 1));
  const pick = (h: Hit) => {
    addChip(h.chip);
    setQuery('');
    setActive(0);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!hits.length) return;
      e.preventDefault();
      setActive((current + (e.key === 'ArrowDown' ? 1 : hits.length - 1)) % hits.length);
    } else if (e.key === 'Enter' && hits.length) {
      e.preventDefault();
      pick(hits[current]);
    } else if (e.key === 'Escape') {
      setQuery('');
      setActive(0);
    }
  };

  return (
    <div className="class-search">
      <input
        type="search"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={hits.length > 0}
        aria-controls="class-search-results"
        aria-activedescendant={hits.length ? `class-search-hit-${current}` : undefined}
        data-testid="class-search"
        placeholder="Find a class, genus or family…"
        aria-label="Find a class, genus or family (arrow keys to choose, Enter to filter by it)"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={onKeyDown}
      />
      {hits.length > 0 && (
        <ul className="search-results" role="listbox" id="class-search-results" aria-label="Matches">
          {hits.map((h, i) => (
            <li key={`${h.kind}${'index' in h.chip ? h.chip.index : ''}`} role="presentation">
              <button
                type="button"
                role="option"
                id={`class-search-hit-${i}`}
                aria-selected={i === current}
                className={i === current ? 'active' : undefined}
                data-testid="search-result"
                data-kind={h.kind}
                onMouseEnter={() => setActive(i)}
                onClick={() => pick(h)}
              >
                <span className="hit-kind">{h.kind}</span> <Name text={h.name} />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
