/**
 * RFC 4180 CSV as every file the page writes: fields with a comma, quote or line break are
 * quoted, quotes doubled; CRLF rows. A text cell that a spreadsheet would run as a formula
 * (starting with =, +, -, @, tab or CR; OWASP's list) gets a leading apostrophe, which Excel,
 * LibreOffice and Google Sheets show as text; numbers the app writes are left as numbers.
 * Where exact text is the point (submission.csv's test ids) exactCsvField only quotes.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

export function exactCsvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvField(value: string | number): string {
  return exactCsvField(typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : value);
}

export function toCsv(header: string[], rows: Iterable<(string | number)[]>): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return lines.join('\r\n') + '\r\n';
}

/**
 * The rows of a CSV (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks;
 * rows end in CRLF or LF). For reading back what the app wrote, in tests and checks.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\n' || (ch === '\r' && text[i + 1] === '\n')) {
      if (ch === '\r') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) row.push(field), rows.push(row);
  return rows;
}
