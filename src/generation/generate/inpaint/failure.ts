/** The inpainting stage's name for a backend failure: the one class every generation backend throws. */
export { BackendFailure as InpaintFailure } from '../failure.js';
