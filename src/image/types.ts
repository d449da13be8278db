/** An 8-bit RGB image in row-major HWC order, as PIL's `convert('RGB')` holds it. */
export interface RgbImage {
  width: number;
  height: number;
  /** length = width * height * 3 */
  data: Uint8Array;
}

/** A float32 tensor in CHW order (one image, no batch axis). */
export interface Chw {
  channels: number;
  height: number;
  width: number;
  data: Float32Array;
}
