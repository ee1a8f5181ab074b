/**
 * Numeric delimited text (CSV, TSV, whitespace-separated): one example per line, one number per cell. Errors name the
 * file and the 1-based line number, e.g. `data.csv:17: 3 columns, expected 4`.
 *
 * - Delimiter: `options.delimiter`, else tab for `.tsv` files, else guessed from the first data line (the most
 *   frequent of `,` tab `;`, or runs of spaces when none occurs). `' '` means "runs of spaces/tabs".
 * - Header: `'auto'` (default) takes the first data line as column names when any of its cells is text (not a
 *   number, NaN/Inf or empty — so `1,NaN` is a bad data row, not a header); `true` always, `false` never.
 * - Blank lines and lines starting with `#` are skipped; CRLF, CR and LF line ends and a UTF-8 BOM are accepted.
 * - Cells may be double-quoted (`"1.5"`, `"a ""b"""`); quoted numbers are accepted. Cells are trimmed.
 * - Numbers are decimal (`-1`, `2.5e-3`, `.5`); empty cells, NaN and ±Infinity are rejected.
 */
import { readFile } from 'node:fs/promises';
import { GenlabError, badFile } from '../engine/errors.js';
import { fsError } from './idx.js';

export type Delimiter = ',' | '\t' | ';' | ' ';

export interface DelimitedOptions {
  delimiter?: Delimiter;
  header?: 'auto' | boolean;
}

export interface DelimitedTable {
  /** Column names from the header row, or null when the file has none. */
  columns: string[] | null;
  rows: number;
  cols: number;
  /** rows × cols values, row-major. */
  data: Float64Array;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** Parses numeric delimited text; `file` names it in errors (and picks tab for `.tsv`). */
export function parseDelimited(text: string, file: string, options: DelimitedOptions = {}): DelimitedTable {
  const { header = 'auto' } = options;
  if (options.delimiter !== undefined && ![',', '\t', ';', ' '].includes(options.delimiter)) {
    throw new GenlabError('bad-input', `${file}: unknown delimiter ${quote(String(options.delimiter))}, expected ",", tab, ";" or " "`);
  }
  if (header !== 'auto' && header !== true && header !== false) {
    throw new GenlabError('bad-input', `${file}: header option must be 'auto', true or false`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\n|\r/);
  let delimiter = options.delimiter;
  let columns: string[] | null = null;
  let cols = -1;
  let data = new Float64Array(0);
  let rows = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const where = `${file}:${i + 1}`;
    if (delimiter === undefined) delimiter = guessDelimiter(file, trimmed);
    const cells = splitLine(line, delimiter, where);
    if (cols < 0) {
      // First data line: header or data?
      // A cell that is a number, NaN/Inf or empty is a (possibly bad) data cell; any other text makes a header.
      const isHeader = header === true || (header === 'auto' && cells.some((c) => c !== '' && !NUMBER.test(c) && !NON_FINITE.test(c)));
      cols = cells.length;
      // Grown by doubling: a size guessed from the line count could be huge for a wide header over short lines.
      data = new Float64Array(Math.min(lines.length - i, 1024) * cols);
      if (isHeader) {
        if (cells.some((c) => c === '')) {
          const k = cells.indexOf('');
          throw badFile(where, `header column ${k + 1} is empty`);
        }
        columns = cells;
        continue;
      }
    } else if (cells.length !== cols) {
      throw badFile(where, `${cells.length} column${cells.length === 1 ? '' : 's'}, expected ${cols}${columns ? ` (${describeColumns(columns)})` : ''}`);
    }
    const base = rows * cols;
    if (base + cols > data.length) {
      const grown = new Float64Array(Math.max(2 * data.length, base + cols));
      grown.set(data);
      data = grown;
    }
    for (let j = 0; j < cols; j++) {
      const cell = cells[j]!;
      data[base + j] = parseCell(cell, where, j, columns);
    }
    rows++;
  }
  if (cols < 0) throw badFile(file, 'empty file: no data rows (blank and # comment lines are skipped)');
  if (rows === 0) throw badFile(file, `header only, no data rows (header: ${describeColumns(columns ?? [])})`);
  return { columns, rows, cols, data: data.slice(0, rows * cols) };
}

/** Reads and parses a delimited text file; a missing file is a `not-found` GenlabError. */
export async function readDelimitedFile(path: string, options: DelimitedOptions = {}): Promise<DelimitedTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw fsError(path, e);
  }
  return parseDelimited(text, path, options);
}

function guessDelimiter(file: string, line: string): Delimiter {
  if (/\.tsv$/i.test(file)) return '\t';
  let best: Delimiter = ' ';
  let bestCount = 0;
  for (const d of [',', '\t', ';'] as const) {
    const n = line.split(d).length - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/** Splits one line into trimmed, unquoted cells. */
function splitLine(line: string, delimiter: Delimiter, where: string): string[] {
  if (delimiter === ' ' && !line.includes('"')) return line.trim().split(/[ \t]+/);
  const cells: string[] = [];
  let i = 0;
  const n = line.length;
  const isSep = (ch: string): boolean => (delimiter === ' ' ? ch === ' ' || ch === '\t' : ch === delimiter);
  if (delimiter === ' ') while (i < n && isSep(line[i]!)) i++;
  for (;;) {
    // Leading spaces of a cell (not when they are the delimiter).
    while (i < n && (line[i] === ' ' || line[i] === '\t') && !isSep(line[i]!)) i++;
    let cell = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) throw badFile(where, 'unterminated quoted cell');
        const ch = line[i]!;
        if (ch === '"') {
          if (line[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        cell += ch;
        i++;
      }
      while (i < n && (line[i] === ' ' || line[i] === '\t') && !isSep(line[i]!)) i++;
      if (i < n && !isSep(line[i]!)) throw badFile(where, `unexpected ${quote(line[i]!)} after a quoted cell`);
    } else {
      const start = i;
      while (i < n && !isSep(line[i]!)) i++;
      cell = line.slice(start, i).trim();
    }
    cells.push(cell);
    if (i >= n) break;
    // Skip the separator (a run of spaces for whitespace-delimited lines).
    i++;
    if (delimiter === ' ') {
      while (i < n && isSep(line[i]!)) i++;
      if (i >= n) break;
    }
  }
  return cells;
}

function parseCell(cell: string, where: string, j: number, columns: string[] | null): number {
  if (NUMBER.test(cell)) {
    const v = Number(cell);
    if (Number.isFinite(v)) return v;
    throw badFile(where, `${columnName(j, columns)}: ${quote(cell)} overflows (not a finite number)`);
  }
  if (cell === '') throw badFile(where, `${columnName(j, columns)}: empty cell, expected a number`);
  if (NON_FINITE.test(cell)) throw badFile(where, `${columnName(j, columns)}: ${quote(cell)} is not a finite number (NaN and Infinity are not allowed)`);
  throw badFile(where, `${columnName(j, columns)}: ${quote(cell)} is not a number`);
}

function columnName(j: number, columns: string[] | null): string {
  const name = columns?.[j];
  return name === undefined ? `column ${j + 1}` : `column ${j + 1} (${quote(name)})`;
}

function describeColumns(columns: string[]): string {
  const shown = columns.slice(0, 8).map((c) => quote(c)).join(', ');
  return columns.length > 8 ? `${shown}, … ${columns.length} in all` : shown;
}

/**
 * A short, one-line, double-quoted rendering of untrusted text for error messages: control and line-separator
 * characters escaped, long text cut.
 */
export function quote(s: string, max = 40): string {
  const cut = s.length > max ? s.slice(0, max) + '…' : s;
  // eslint-disable-next-line no-control-regex
  return '"' + cut.replace(/["\\]/g, (c) => '\\' + c).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) + '"';
}
