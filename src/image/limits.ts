/**
 * Largest image decoded, in pixels (width x height, read from the header before any pixel is decoded): 4096 x 4096.
 * A full-resolution detector (npr-residual, npr) needs about 60-75 bytes per pixel between the decoded image, its
 * float tensor and onnxruntime's intermediates, so this keeps one image near 1.2 GB and a default run under 2 GB
 * (bench/memory.ts). Semi-Truths images are far smaller. Larger images get an error row; raise the limit with the
 * `maxImagePixels` config key when the machine has the memory.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 4096 * 4096;
