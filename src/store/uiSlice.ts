import type { StateCreator } from 'zustand';
import { defaultBandSettings, type BandSettings } from '../core/stats/classStats.ts';
import type { LabState } from './index.ts';

export interface UiSlice {
  bands: BandSettings;
  setBands(update: Partial<BandSettings>): void;
}

export const createUiSlice: StateCreator<LabState, [], [], UiSlice> = (set) => ({
  bands: defaultBandSettings,
  setBands(update) {
    set((s) => ({ bands: { ...s.bands, ...update } }));
  },
});
