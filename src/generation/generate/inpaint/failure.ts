/**
 * Why an inpainting backend gave no usable image. `reason` is a short stable category ('timeout', 'http 500',
 * 'not an image', 'wrong size', 'blank image', ...) so a run can count failures per reason; the message adds
 * the details for the failed row.
 */
export class InpaintFailure extends Error {
  constructor(
    readonly reason: string,
    detail: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(`${reason}: ${detail}`, options);
    this.name = 'InpaintFailure';
    this.retryable = options?.retryable ?? false;
  }

  /** A server error or a timeout, worth another try; a bad answer is not. */
  readonly retryable: boolean;
}
