export const DEFAULT_FIXTURE_DIR: string;
export const FIXTURE_MISSING: string[];
export function makeFixture(outDir?: string): string;
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer;
export const IMAGEFOLDER_CLASSES: Record<string, number>;
export const IMAGEFOLDER_TEST_IMAGES: number;
export const FIXTURE_CLASSES: [number, string, string, string, number][];
export function fixtureClassColor(classIndex: number): [number, number, number];
export const FIXTURE_TEST_IMAGES: number;
