import type { RgbImage } from './types.js';

/**
 * OpenCV 4.6 `cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)` for a uint8 RGB image shrunk by a
 * non-integer factor (modules/imgproc/src/resize.cpp `computeResizeAreaTab` + `ResizeArea_Invoker`): each output
 * pixel is the area-weighted mean of the source pixels its cell covers, weights and sums in float32, rounded half
 * to even (`saturate_cast<uchar>`). An integer factor takes OpenCV's separate fast path and growing takes
 * INTER_CUBIC; neither is ported, so both are refused. Goldens: tools/parity/make_cv_area_goldens.py.
 */
export function cvResizeArea(img: RgbImage, width: number, height: number): RgbImage {
  if (width === img.width && height === img.height) return img;
  // resize(): inv_scale = dsize / ssize, scale = 1 / inv_scale (not ssize / dsize: the rounding differs)
  const scaleX = 1 / (width / img.width);
  const scaleY = 1 / (height / img.height);
  if (scaleX < 1 || scaleY < 1) throw new Error(`cv2 INTER_AREA is only ported for shrinking (${img.width}x${img.height} → ${width}x${height})`);
  if (Math.abs(scaleX - Math.round(scaleX)) < Number.EPSILON && Math.abs(scaleY - Math.round(scaleY)) < Number.EPSILON) {
    throw new Error(`cv2 INTER_AREA by an integer factor (${img.width}x${img.height} → ${width}x${height}) takes OpenCV's fast path, which is not ported`);
  }
  const xtab = areaTab(img.width, width, scaleX);
  const ytab = areaTab(img.height, height, scaleY);
  const out = new Uint8Array(width * height * 3);
  const buf = new Float32Array(width * 3);
  const sum = new Float32Array(width * 3);
  let prevDy = ytab[0].di;
  const flush = (dy: number) => {
    for (let i = 0; i < width * 3; i++) out[dy * width * 3 + i] = roundHalfEven(sum[i]);
  };
  for (const { di: dy, si: sy, alpha: beta } of ytab) {
    buf.fill(0);
    const row = sy * img.width * 3;
    for (const { di: dx, si: sx, alpha } of xtab) {
      for (let c = 0; c < 3; c++) buf[dx * 3 + c] = Math.fround(buf[dx * 3 + c] + Math.fround(img.data[row + sx * 3 + c] * alpha));
    }
    if (dy !== prevDy) {
      flush(prevDy);
      for (let i = 0; i < width * 3; i++) sum[i] = Math.fround(beta * buf[i]);
      prevDy = dy;
    } else {
      for (let i = 0; i < width * 3; i++) sum[i] = Math.fround(sum[i] + Math.fround(beta * buf[i]));
    }
  }
  flush(prevDy);
  return { width, height, data: out };
}

/** `computeResizeAreaTab`: for each output cell, the source pixels it overlaps and their weights (float32). */
function areaTab(ssize: number, dsize: number, scale: number): { di: number; si: number; alpha: number }[] {
  const tab: { di: number; si: number; alpha: number }[] = [];
  for (let dx = 0; dx < dsize; dx++) {
    const fsx1 = dx * scale;
    const fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, ssize - fsx1);
    let sx1 = Math.ceil(fsx1);
    let sx2 = Math.floor(fsx2);
    sx2 = Math.min(sx2, ssize - 1);
    sx1 = Math.min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) tab.push({ di: dx, si: sx1 - 1, alpha: Math.fround((sx1 - fsx1) / cellWidth) });
    for (let sx = sx1; sx < sx2; sx++) tab.push({ di: dx, si: sx, alpha: Math.fround(1 / cellWidth) });
    if (fsx2 - sx2 > 1e-3) tab.push({ di: dx, si: sx2, alpha: Math.fround(Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth) });
  }
  return tab;
}

/** `saturate_cast<uchar>(float)`: cvRound (half to even), clamped to 0..255. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  const rounded = Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  return rounded < 0 ? 0 : rounded > 255 ? 255 : rounded;
}

/**
 * The CrossEfficientViT test transform (cross-efficient-vit/test.py `create_base_transform`):
 * albumentations-style `IsotropicResize(max_side)` (transforms/albu.py: the long side to `max_side`, the other
 * `int(side * scale)`, INTER_AREA when shrinking) then `PadIfNeeded(max_side, max_side, BORDER_CONSTANT)`
 * (zeros, top/left = floor(pad / 2)).
 */
export function isotropicResizePad(img: RgbImage, maxSide: number): RgbImage {
  let { width: w, height: h } = img;
  if (Math.max(w, h) !== maxSide) {
    const scale = w > h ? maxSide / w : maxSide / h;
    if (scale > 1) throw new Error(`image ${w}x${h} is smaller than ${maxSide}: CrossEfficientViT grows it with cv2 INTER_CUBIC, which is not ported`);
    [w, h] = w > h ? [maxSide, Math.trunc(h * scale)] : [Math.trunc(w * scale), maxSide];
  }
  const resized = w === img.width && h === img.height ? img : cvResizeArea(img, w, h);
  if (w === maxSide && h === maxSide) return resized;
  const top = Math.floor((maxSide - h) / 2);
  const left = Math.floor((maxSide - w) / 2);
  const data = new Uint8Array(maxSide * maxSide * 3);
  for (let y = 0; y < h; y++) data.set(resized.data.subarray(y * w * 3, (y + 1) * w * 3), ((top + y) * maxSide + left) * 3);
  return { width: maxSide, height: maxSide, data };
}
