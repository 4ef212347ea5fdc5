import { useDeferredValue, useMemo, useState } from 'react';
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

  return (
    <div className="class-search">
      <input
        type="search"
        data-testid="class-search"
        placeholder="Find a class, genus or family…"
        aria-label="Find a class, genus or family"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {hits.length > 0 && (
        <ul className="search-results" role="listbox" aria-label="Matches">
          {hits.map((h) => (
            <li key={`${h.kind}${'index' in h.chip ? h.chip.index : ''}`}>
              <button
                type="button"
                role="option"
                aria-selected={false}
                data-testid="search-result"
                data-kind={h.kind}
                onClick={() => {
                  addChip(h.chip);
                  setQuery('');
                }}
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
