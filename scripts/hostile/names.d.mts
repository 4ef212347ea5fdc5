export const LONG_NAME: string;
export const FORMULA_NAME: string;
export const FORMULA_FAMILY: string;
export const FORMULA_GENUS: string;
export const QUOTED_INSTITUTION: string;
export const NFD_FILES: string[];
export function writeNamesDataset(dir: string): number;
export function writeCases(dir: string): string[];
