/** Parsers for CLI option values: each names its flag and what it expected in a one-line GenlabError. */
import { badInput } from '../index.js';

/** A parser for a positive (or ≥ min) integer option, e.g. `-n`. */
export function intOption(flag: string, min = 1): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^[-+]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw badInput(flag, `expected an integer >= ${min}, got '${value}'`);
    }
    return n;
  };
}

/** A parser for a finite number option, optionally bounded. */
export function numberOption(flag: string, min = -Infinity, max = Infinity): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      const range = min > -Infinity || max < Infinity ? ` in [${min}, ${max}]` : '';
      throw badInput(flag, `expected a number${range}, got '${value}'`);
    }
    return n;
  };
}

/** A parser for an option whose value must be one of `choices`. */
export function choiceOption<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw badInput(flag, `expected one of ${choices.join(', ')}, got '${value}'`);
    }
    return value as T;
  };
}

/** A parser for a comma-separated list of positive integers, e.g. `--hidden 256,256`. */
export function listOption(flag: string): (value: string) => number[] {
  const one = intOption(flag);
  return (value: string) => value.split(',').map((v) => one(v.trim()));
}
