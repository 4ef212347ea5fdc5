export interface HostileFile {
  name: string;
  buffer: Buffer;
}
export const SURROGATE_IDS: string[];
export function duplicateKeys(): HostileFile;
export function surrogateIds(): HostileFile;
export function nanValues(): HostileFile;
export function utf16NoBom(order?: 'le' | 'be'): HostileFile;
export function latin1Names(): HostileFile;
export function cases(): HostileFile[];
export function writeCases(dir: string): string[];
