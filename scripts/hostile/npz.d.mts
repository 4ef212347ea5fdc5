export interface HostilePrototypes {
  name: string;
  buffer: Buffer;
  /** Words the refusal contains, besides the file name. */
  says: string[];
  /** Driven through the page by e2e/hostile-npz.spec.ts. */
  fixture?: boolean;
}
export const FEATURES: number;
export const CATEGORY_IDS: number[];
export function crc32(bytes: Uint8Array): number;
export function npyHeader(dict: string): Buffer;
export function npyFloat32(shape: number[], values: ArrayLike<number>): Buffer;
export function npyInt64(values: number[], shape?: number[]): Buffer;
export function zip(members: { name: string; data: Buffer; method: number; size: number; crc: number; localSize?: number }[]): Buffer;
export function npz(arrays: Record<string, Buffer>): Buffer;
export function npzCases(): HostilePrototypes[];
export function writeCases(dir: string): string[];
