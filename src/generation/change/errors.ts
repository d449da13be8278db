/**
 * A pair (or mask) the change metrics cannot be computed on: too small for SSIM, a mask whose size does not
 * match its image, mismatched buffers. `code` is stable so callers can turn it into an error row with a reason.
 */
export class ChangeMetricError extends Error {
  constructor(
    message: string,
    readonly code: 'E_TOO_SMALL' | 'E_MASK_SIZE' | 'E_BAD_BUFFER',
  ) {
    super(message);
    this.name = 'ChangeMetricError';
  }
}
