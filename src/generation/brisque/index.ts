export { brisqueFeatures } from './features.js';
export { brisqueFromFeatures, brisqueScore } from './score.js';
