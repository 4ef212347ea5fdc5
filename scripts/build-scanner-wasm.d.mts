export function compileScannerWasm(): Promise<Buffer>;
export function renderModule(bytes: Buffer): string;
