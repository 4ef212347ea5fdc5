/** Where in a JSON file a problem was found. */
export interface JsonLocation {
  byteOffset: number;
  /** Top-level key of the array or value (null for a root array). */
  key?: string | null;
  /** Element index inside that array. */
  index?: number;
  /** Set for a UTF-16 file, which is read transcoded: `byteOffset` then counts its text as UTF-8. */
  textEncoding?: 'utf-16le' | 'utf-16be';
}

/** A JSON file that cannot be read as asked; carries the byte offset and array position. */
export class JsonReadError extends Error {
  readonly location: JsonLocation;
  constructor(message: string, location: JsonLocation) {
    super(message);
    this.name = 'JsonReadError';
    this.location = location;
  }
}
