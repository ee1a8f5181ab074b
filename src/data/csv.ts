/**
 * Numeric delimited text (CSV, TSV, whitespace-separated): one example per line, one number per cell. Errors name the
 * file and the 1-based line number, e.g. `data.csv:17: 3 columns, expected 4`.
 *
 * - Delimiter: `options.delimiter`, else tab for `.tsv` files, else guessed from the first data line (the most
 *   frequent of `,` tab `;`, or runs of spaces when none occurs). `' '` means "runs of spaces/tabs".
 * - Header: `'auto'` (default) takes the first data line as column names when its cells are text (not numbers,
 *   NaN/Inf or empty — so `1,NaN` and `1,O` are bad data rows, not headers); `true` always, `false` never.
 * - Files are streamed line by line in bounded memory (data/limits.ts: line length, values per table).
 * - Blank lines and lines starting with `#` are skipped; CRLF, CR and LF line ends and a UTF-8 BOM are accepted.
 * - Cells may be double-quoted (`"1.5"`, `"a ""b"""`); quoted numbers are accepted. Cells are trimmed.
 * - Numbers are decimal (`-1`, `2.5e-3`, `.5`); empty cells, NaN and ±Infinity are rejected.
 */
import { GenlabError, badFile } from '../engine/errors.js';
import { fsError, openForReading, regularFileSize } from './idx.js';
import { DATASET_LIMIT_WHY, MAX_DATASET_VALUES, MAX_LINE_CHARS, formatCount } from './limits.js';

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
  const parser = new DelimitedParser(file, options, Float64Array);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let lineNo = 0;
  let at = 0;
  // Line by line without splitting the whole text into an array of lines first.
  const ends = /\r\n|\n|\r/g;
  for (let m = ends.exec(text); m; m = ends.exec(text)) {
    parser.line(text.slice(at, m.index), ++lineNo);
    at = m.index + m[0].length;
  }
  parser.line(text.slice(at), ++lineNo);
  const t = parser.finish();
  return { ...t, data: t.data as Float64Array };
}

/**
 * Reads and parses a delimited text file in bounded memory: the file is streamed (never held whole), only regular
 * files are read, lines are at most MAX_LINE_CHARS long and the table holds at most MAX_DATASET_VALUES numbers.
 * A missing file is a `not-found` GenlabError.
 */
export async function readDelimitedFile(path: string, options: DelimitedOptions = {}): Promise<DelimitedTable> {
  const t = await streamDelimited(path, options, Float64Array);
  return { ...t, data: t.data as Float64Array };
}

/** Like readDelimitedFile, with the values as float32 (each checked to fit), for datasets. */
export async function readDelimitedFloat32(path: string, options: DelimitedOptions = {}): Promise<Omit<DelimitedTable, 'data'> & { data: Float32Array }> {
  const t = await streamDelimited(path, options, Float32Array);
  return { ...t, data: t.data as Float32Array };
}

type ValueArray = typeof Float64Array | typeof Float32Array;
const FLOAT32_MAX = 3.4028234663852886e38;
/** Values per storage chunk: tables grow chunk by chunk, never by copying all they hold. */
const CHUNK = 1 << 20;

async function streamDelimited(path: string, options: DelimitedOptions, store: ValueArray): Promise<Omit<DelimitedTable, 'data'> & { data: Float64Array | Float32Array }> {
  const parser = new DelimitedParser(path, options, store);
  let lineNo = 0;
  for await (const line of readLines(path)) parser.line(line, ++lineNo);
  return parser.finish();
}

/**
 * The lines of a UTF-8 text file, read in chunks: a NUL byte (binary data), invalid UTF-8 or a line longer than
 * MAX_LINE_CHARS is a one-line error. CRLF, CR and LF end lines; a leading BOM is dropped.
 */
async function* readLines(path: string): AsyncGenerator<string> {
  await regularFileSize(path, Number.MAX_SAFE_INTEGER); // a FIFO or a device is refused before it is opened
  const handle = await openForReading(path);
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const buf = new Uint8Array(1 << 20);
    let pending = '';
    let first = true;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buf, 0, buf.length, null));
      } catch (e) {
        throw fsError(path, e);
      }
      const chunk = buf.subarray(0, bytesRead);
      if (chunk.includes(0)) throw badFile(path, 'binary data (NUL bytes), expected numbers as text');
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: bytesRead > 0 });
      } catch {
        throw badFile(path, 'not valid UTF-8 text, expected numbers as text');
      }
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      pending += text;
      const done = bytesRead === 0;
      let at = 0;
      const ends = /\r\n|\n|\r/g;
      for (let m = ends.exec(pending); m; m = ends.exec(pending)) {
        // A CR at the very end may be the first half of a CRLF split across reads.
        if (!done && m[0] === '\r' && m.index === pending.length - 1) break;
        yield pending.slice(at, m.index);
        at = m.index + m[0].length;
      }
      pending = pending.slice(at);
      if (pending.length > MAX_LINE_CHARS) throw badFile(path, `a line longer than ${formatCount(MAX_LINE_CHARS)} characters: not a table of numbers`);
      if (done) {
        yield pending;
        return;
      }
    }
  } finally {
    await handle.close();
  }
}

/**
 * The parser behind parseDelimited and the streaming readers: fed one line at a time, it keeps only the values
 * (in chunks of the chosen float type), so the text never needs to be held whole.
 */
class DelimitedParser {
  private delimiter: Delimiter | undefined;
  private readonly header: 'auto' | boolean;
  private columns: string[] | null = null;
  private cols = -1;
  private rows = 0;
  private readonly chunks: (Float64Array | Float32Array)[] = [];
  private filled = 0;

  constructor(
    private readonly file: string,
    options: DelimitedOptions,
    private readonly store: ValueArray,
  ) {
    const { header = 'auto' } = options;
    if (options.delimiter !== undefined && ![',', '\t', ';', ' '].includes(options.delimiter)) {
      throw new GenlabError('bad-input', `${file}: unknown delimiter ${quote(String(options.delimiter))}, expected ",", tab, ";" or " "`);
    }
    if (header !== 'auto' && header !== true && header !== false) {
      throw new GenlabError('bad-input', `${file}: header option must be 'auto', true or false`);
    }
    this.delimiter = options.delimiter;
    this.header = header;
  }

  line(line: string, lineNo: number): void {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const where = `${this.file}:${lineNo}`;
    if (this.delimiter === undefined) this.delimiter = guessDelimiter(this.file, trimmed);
    const cells = splitLine(line, this.delimiter, where);
    if (this.cols < 0) {
      // First data line: header or data? A header is names only: a row with any number, NaN/Inf or empty cell among
      // text (`1,O`) is a (bad) data row, so a corrupt first row of a numeric file is reported, not taken as names.
      const isText = (c: string): boolean => c !== '' && !NUMBER.test(c) && !NON_FINITE.test(c);
      const isHeader = this.header === true || (this.header === 'auto' && cells.some(isText) && cells.every((c) => c === '' || isText(c)));
      this.cols = cells.length;
      if (isHeader) {
        if (cells.some((c) => c === '')) throw badFile(where, `header column ${cells.indexOf('') + 1} is empty`);
        this.columns = cells;
        return;
      }
    } else if (cells.length !== this.cols) {
      const { cols, columns } = this;
      throw badFile(where, `${cells.length} column${cells.length === 1 ? '' : 's'}, expected ${cols}${columns ? ` (${describeColumns(columns)})` : ''}`);
    }
    if ((this.rows + 1) * this.cols > MAX_DATASET_VALUES) {
      throw badFile(where, `more than ${formatCount(MAX_DATASET_VALUES)} numbers (${DATASET_LIMIT_WHY})`);
    }
    for (let j = 0; j < this.cols; j++) {
      const v = parseCell(cells[j]!, where, j, this.columns);
      if (this.store === Float32Array && Math.abs(v) > FLOAT32_MAX) throw badFile(this.file, `data row ${this.rows + 1}, column ${j + 1}: ${v} does not fit in float32`);
      this.push(v);
    }
    this.rows++;
  }

  private push(v: number): void {
    let last = this.chunks[this.chunks.length - 1];
    if (!last || this.filled === last.length) {
      last = new this.store(CHUNK);
      this.chunks.push(last);
      this.filled = 0;
    }
    last[this.filled++] = v;
  }

  finish(): Omit<DelimitedTable, 'data'> & { data: Float64Array | Float32Array } {
    const { file, cols, rows, columns } = this;
    if (cols < 0) throw badFile(file, 'empty file: no data rows (blank and # comment lines are skipped)');
    if (rows === 0) throw badFile(file, `header only, no data rows (header: ${describeColumns(columns ?? [])})`);
    const data = new this.store(rows * cols);
    let at = 0;
    for (const c of this.chunks) {
      const n = Math.min(c.length, data.length - at);
      data.set(c.subarray(0, n), at);
      at += n;
    }
    this.chunks.length = 0;
    return { columns, rows, cols, data };
  }
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
