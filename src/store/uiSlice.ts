import type { StateCreator } from 'zustand';
import { defaultBandSettings, type BandSettings } from '../core/stats/classStats.ts';
import { sameChip, type FilterChip } from '../core/stats/selection.ts';
import type { LabState } from './index.ts';

export type GridMode = 'auto' | 'samples' | 'rows';

export interface UiSlice {
  bands: BandSettings;
  setBands(update: Partial<BandSettings>): void;
  /** Filters of the sample grid, shown as removable chips. */
  chips: FilterChip[];
  addChip(chip: FilterChip): void;
  removeChip(chip: FilterChip): void;
  clearChips(): void;
  /** Sample grid: images per page (per row in rows mode), the shuffle seed, the layout. */
  pageSize: number;
  seed: number;
  gridMode: GridMode;
  setGrid(update: Partial<Pick<UiSlice, 'pageSize' | 'gridMode'>>): void;
  reshuffle(): void;
  logLog: boolean;
  setLogLog(on: boolean): void;
}

export const createUiSlice: StateCreator<LabState, [], [], UiSlice> = (set) => ({
  bands: defaultBandSettings,
  setBands(update) {
    set((s) => ({ bands: { ...s.bands, ...update } }));
  },
  chips: [],
  addChip(chip) {
    set((s) => (s.chips.some((c) => sameChip(c, chip)) ? s : { chips: [...s.chips, chip] }));
  },
  removeChip(chip) {
    set((s) => ({ chips: s.chips.filter((c) => !sameChip(c, chip)) }));
  },
  clearChips() {
    set({ chips: [] });
  },
  pageSize: 6,
  seed: 1,
  gridMode: 'auto',
  setGrid(update) {
    set(update);
  },
  reshuffle() {
    set((s) => ({ seed: s.seed + 1 }));
  },
  logLog: false,
  setLogLog(logLog) {
    set({ logLog });
  },
});
