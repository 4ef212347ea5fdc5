export interface HostileImage {
  name: string;
  buffer: Buffer;
  /** Words the image's skip reason contains. */
  reason: string;
}
export function blackPng(width: number, height: number): Buffer;
export function jpegHeader(width: number, height: number): Buffer;
export function gifHeader(width: number, height: number): Buffer;
export function webpHeader(width: number, height: number): Buffer;
export function bmpHeader(width: number, height: number): Buffer;
export function imageCases(): HostileImage[];
export function writeCases(dir: string): string[];
