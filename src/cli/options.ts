/** Parsers for CLI option values: each names its flag and what it expected in a one-line GenlabError. */
import { existsSync } from 'node:fs';
import { badInput, BUILTIN_DATASETS, GenlabError } from '../index.js';
import { didYouMean } from './suggest.js';

/** A parser for a positive (or ≥ min) integer option, e.g. `-n`; a count has a `max` and says `why`. */
export function intOption(flag: string, min = 1, max = Number.MAX_SAFE_INTEGER, why = ''): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^[-+]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = Number.isSafeInteger(n) && n > max ? `from ${min} to ${max}${why ? ` (${why})` : ''}` : `>= ${min}`;
      throw badInput(flag, `expected an integer ${range}, got '${value}'`);
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

/** A parser for a number option that must be above 0 (a learning rate). */
export function positiveNumberOption(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw badInput(flag, `expected a number > 0, got '${value}'`);
    return n;
  };
}

/** A parser for `name=x,name=x` where each x is a number > 0 (e.g. `--group-lr discriminator=4e-4,generator=1e-4`). */
export function namedPositiveNumbersOption(flag: string): (value: string) => Record<string, number> {
  return (value: string) => {
    const out: Record<string, number> = {};
    for (const part of value.split(',')) {
      const m = /^\s*([A-Za-z][\w-]*)\s*=\s*(\S+)\s*$/.exec(part);
      if (!m) throw badInput(flag, `expected name=number pairs separated by commas (e.g. discriminator=4e-4,generator=1e-4), got '${value}'`);
      const [, name, number] = m as unknown as [string, string, string];
      if (Object.hasOwn(out, name)) throw badInput(flag, `'${name}' is given twice in '${value}'`);
      out[name] = positiveNumberOption(`${flag} ${name}`)(number);
    }
    return out;
  };
}

/** A parser for an option whose value must be one of `choices`. */
export function choiceOption<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) {
      const hint = didYouMean(value, choices);
      throw badInput(flag, `expected one of ${choices.join(', ')}, got '${value}'${hint ? ` (${hint})` : ''}`);
    }
    return value as T;
  };
}

/** A parser for a comma-separated list of positive integers, e.g. `--hidden 256,256`. */
export function listOption(flag: string): (value: string) => number[] {
  const one = intOption(flag);
  return (value: string) => value.split(',').map((v) => one(v.trim()));
}

const USER_DATA = 'a .csv, .tsv, .txt or .npy file, or a folder of PNG/JPEG images';

/**
 * Checks a dataset given on the command line before any work starts: a built-in name, or an existing file or folder.
 * A near miss of a name gets a suggestion (`mnsit` → mnist); something that looks like a path but is not there is
 * named as missing. `where` is the flag or argument (`--data`, `dataset`).
 */
export function checkDataset(spec: string, where = 'dataset'): string {
  if (BUILTIN_DATASETS.includes(spec) || existsSync(spec)) return spec;
  if (/[/\\.]/.test(spec)) throw new GenlabError('not-found', `${spec}: no such file or folder`);
  const hint = didYouMean(spec, BUILTIN_DATASETS);
  throw badInput(where, hint ? `unknown dataset '${spec}': ${hint} (datasets: ${BUILTIN_DATASETS.join(', ')}, or ${USER_DATA})` : `unknown dataset '${spec}': expected one of ${BUILTIN_DATASETS.join(', ')}, or ${USER_DATA}`);
}

/** A parser for a dataset option or argument (`checkDataset`). */
export function datasetOption(where: string): (value: string) => string {
  return (value: string) => checkDataset(value, where);
}
