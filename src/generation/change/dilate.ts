/**
 * `cv2.dilate(img, np.ones((k, k), np.uint8))` on a 0/1 image: a pixel becomes 1 if any pixel of the k×k square
 * centred on it is 1. OpenCV's default border for dilation (BORDER_CONSTANT with `morphologyDefaultBorderValue()`)
 * never adds foreground, so the square is simply clipped at the image edge. The square is separable: a
 * horizontal then a vertical sliding-window count.
 */
export function dilateSquare(binary: Uint8Array, width: number, height: number, size: number): Uint8Array {
  const radius = (size - 1) >> 1;
  const horizontal = new Uint8Array(width * height);
  for (let r = 0; r < height; r++) {
    const row = r * width;
    let count = 0;
    // Window [c - radius, c + radius]: prime with the right half for c = 0.
    for (let c = 0; c < Math.min(radius, width); c++) count += binary[row + c];
    for (let c = 0; c < width; c++) {
      if (c + radius < width) count += binary[row + c + radius];
      if (c - radius - 1 >= 0) count -= binary[row + c - radius - 1];
      horizontal[row + c] = count > 0 ? 1 : 0;
    }
  }
  const out = new Uint8Array(width * height);
  const counts = new Int32Array(width);
  for (let r = 0; r < Math.min(radius, height); r++) {
    const row = r * width;
    for (let c = 0; c < width; c++) counts[c] += horizontal[row + c];
  }
  for (let r = 0; r < height; r++) {
    const add = r + radius < height ? (r + radius) * width : -1;
    const sub = r - radius - 1 >= 0 ? (r - radius - 1) * width : -1;
    const row = r * width;
    for (let c = 0; c < width; c++) {
      let n = counts[c];
      if (add >= 0) n += horizontal[add + c];
      if (sub >= 0) n -= horizontal[sub + c];
      counts[c] = n;
      out[row + c] = n > 0 ? 1 : 0;
    }
  }
  return out;
}
