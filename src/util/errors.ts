/**
 * A mistake the user can fix (bad flag, bad manifest, missing file). The CLI prints its message on one line
 * and exits non-zero; anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code: string = 'E_USAGE',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** The message of any thrown value, for error rows and summaries. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A run that stopped part way for a reason outside the user's inputs (a detector's inference worker died): the
 * rows scored so far are saved and rerunning the same command resumes. The CLI prints it on one line, exit 3.
 */
export class RunStopped extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RunStopped';
  }
}
