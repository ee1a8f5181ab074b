/** Turning user data into a validated float64 row-major block: the boundary where bad points are caught. */
import { badInput } from '../../engine/errors.js';
import type { DataInput, Matrix } from './types.js';

/** Validated points: float64, row-major, every value finite. */
export interface Points {
  rows: number;
  cols: number;
  /** [rows, cols] row-major. */
  data: Float64Array;
}

function isMatrix(input: DataInput): input is Matrix {
  return !Array.isArray(input) && typeof input === 'object' && input !== null && 'data' in input;
}

/**
 * Checks `input` and returns it as float64 points (a Float64Array input is used as is, not copied). `where` names the
 * caller in error messages (e.g. 'GaussianMixture.fit'). Throws a GenlabError naming the first bad row/column.
 */
export function toPoints(input: DataInput, where: string): Points {
  let points: Points;
  if (isMatrix(input)) {
    const { rows, cols, data } = input;
    if (!Number.isSafeInteger(rows) || rows < 0) throw badInput(where, `data.rows must be a non-negative integer, got ${rows}`);
    if (!Number.isSafeInteger(cols) || cols < 1) throw badInput(where, `data.cols must be an integer >= 1, got ${cols}`);
    if (!(data instanceof Float64Array || data instanceof Float32Array)) {
      throw badInput(where, 'data.data must be a Float64Array or Float32Array');
    }
    if (data.length !== rows * cols) {
      throw badInput(where, `data.data has ${data.length} values, expected rows × cols = ${rows} × ${cols} = ${rows * cols}`);
    }
    points = { rows, cols, data: data instanceof Float64Array ? data : Float64Array.from(data) };
  } else if (Array.isArray(input)) {
    const rows = input.length;
    const first = input[0];
    const cols = first ? first.length : 0;
    if (rows > 0 && cols < 1) throw badInput(where, 'data rows must have at least one value, row 0 is empty');
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = input[i]!;
      if (!Array.isArray(row) || row.length !== cols) {
        throw badInput(where, `data row ${i} has ${Array.isArray(row) ? row.length : 'no'} values, expected ${cols} like row 0`);
      }
      for (let j = 0; j < cols; j++) {
        const v = row[j];
        if (typeof v !== 'number') throw badInput(where, `data has a non-number value (${String(v)}) at row ${i}, column ${j}`);
        data[i * cols + j] = v;
      }
    }
    points = { rows, cols: Math.max(cols, 1), data };
  } else {
    throw badInput(where, 'data must be { rows, cols, data: Float64Array | Float32Array } or an array of rows');
  }
  if (points.rows === 0) throw badInput(where, 'data has 0 rows, expected at least one point');
  const { data, cols } = points;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw badInput(where, `data has a non-finite value (${data[i]}) at row ${Math.floor(i / cols)}, column ${i % cols}`);
    }
  }
  return points;
}

/** Row-major [rows, cols] values as an array of rows. */
export function toNested(data: ArrayLike<number>, rows: number, cols: number, offset = 0): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const row: number[] = new Array<number>(cols);
    for (let j = 0; j < cols; j++) row[j] = data[offset + i * cols + j]!;
    out.push(row);
  }
  return out;
}
