export type { Chw, RgbImage } from './types.js';
export type { OpName, PreprocessOp, ResampleFilter } from './ops.js';
export { decodeImage, ImageDecodeError, type DecodeOptions } from './decode.js';
export { applyImageOps, preprocess, validateOps } from './pipeline.js';
export { centerCrop, centerCropBox, centerCropFloor, cropBox, cropToEven, roundHalfEven } from './crop.js';
export { clamp, normalize, toTensor } from './tensor.js';
export { jpegRoundTrip, type ChromaSubsampling } from './jpeg.js';
export { pilResize, resizedOutputSize, tvResize, tvResizeCenterCrop, RESAMPLE_FILTERS } from './resize.js';
export { boxBlur, gaussianBlur, gaussianBoxRadius } from './blur.js';
