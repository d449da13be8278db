/**
 * Why a generation backend (inpainting or prompt-based editing) gave no usable image. `reason` is a short stable
 * category ('timeout', 'http 500', 'not an image', 'wrong size', 'blank image', ...) so a run can count failures
 * per reason; the message adds the details for the failed row. `retryable` marks server errors and timeouts,
 * worth another try later.
 */
export class BackendFailure extends Error {
  readonly retryable: boolean;

  constructor(
    readonly reason: string,
    detail: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(`${reason}: ${detail}`, options);
    this.name = 'BackendFailure';
    this.retryable = options?.retryable ?? false;
  }
}
