/**
 * Checks of model options, shared by every family: numbers in range, one of a list, and strict configs (an option
 * the kind does not use is an error naming the option and the kind). Messages name the option as the library spells
 * it (`batchSize`, `latent`); the CLI maps them to its flags.
 */
import { badInput } from '../engine/errors.js';

/** Checks a number option; `what` names it, `why` says why its upper bound is what it is. */
export function checkNumber(what: string, v: number, min: number, integer = false, max = Infinity, why?: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    // The bound that was crossed (both for a value that is not a number at all).
    const low = min > -Infinity ? `>= ${min}` : '(finite)';
    const range = typeof v === 'number' && v < min ? low : max < Infinity ? (min > -Infinity ? `in [${min}, ${max}]` : `<= ${max}`) : low;
    const shown = typeof v === 'string' ? JSON.stringify(v).slice(0, 40) : String(v).slice(0, 40);
    throw badInput(what, `expected ${integer ? 'an integer' : 'a number'} ${range}${why && v > max ? ` (${why})` : ''}, got ${shown}`);
  }
}

/** Checks that `v` is one of `choices`. */
export function checkChoice<T extends string>(what: string, v: string, choices: readonly T[]): asserts v is T {
  if (!(choices as readonly string[]).includes(v)) throw badInput(what, `expected one of ${choices.join(', ')}, got '${v}'`);
}

/** Throws unless every key of `options` is one of `known` (the options of `kind`), naming the first stranger. */
export function checkKnownOptions(kind: string, options: object, known: readonly string[]): void {
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || known.includes(key)) continue;
    throw badInput(key, `not an option of ${kind} (its options: ${known.join(', ')})`);
  }
}
