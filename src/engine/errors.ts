/**
 * The one error type of genlab. `code` is stable (for programs), `message` is one line naming the input and what
 * was expected (for people). The CLI prints the message and exits with `exitCode`.
 */
export type ErrorCode =
  | 'bad-input' // a file, flag or value the user gave is wrong
  | 'bad-file' // a file exists but its content is malformed
  | 'not-found' // a file, dataset or run does not exist
  | 'numeric' // training or fitting produced NaN/Inf
  | 'unsupported' // the request is valid but this build or backend cannot do it
  | 'interrupted' // the user stopped a run (Ctrl-C) after it saved a checkpoint
  | 'internal'; // a bug: report it

export class GenlabError extends Error {
  override readonly name = 'GenlabError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** Exit status the CLI uses: 2 for anything the user can fix, 1 for internal failures, 130 (128 + SIGINT) for Ctrl-C. */
  get exitCode(): number {
    if (this.code === 'interrupted') return 130;
    return this.code === 'internal' ? 1 : 2;
  }
}

/** Shorthand for the most common case: bad input named by `where` (a file, flag or parameter). */
export function badInput(where: string, what: string): GenlabError {
  return new GenlabError('bad-input', `${where}: ${what}`);
}

/** A malformed file: `file` is its path (or name), `what` says what was wrong and what was expected. */
export function badFile(file: string, what: string): GenlabError {
  return new GenlabError('bad-file', `${file}: ${what}`);
}
