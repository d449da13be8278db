/**
 * The two inner loops of resample.ts (Resample.c ImagingResampleHorizontal_8bpc / ImagingResampleVertical_8bpc)
 * as a tiny WebAssembly SIMD module, so they run as fast as Pillow's C (and faster: one i32x4 multiply-add per
 * tap covers a whole RGB pixel). Same int32 sums, same tap order, same `clip8` (shift by PRECISION_BITS, then
 * saturating narrow to 0..255), so the bytes are those of the JavaScript port it replaced.
 *
 * No WebAssembly toolchain is a dependency: the module is assembled here from the opcodes of the WebAssembly
 * 2.0 spec (core + fixed-width SIMD), with the loops written out below in wat-like order.
 */

const I32 = 0x7f;
const V128 = 0x7b;
const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);

/** Unsigned / signed LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

// Core instructions (spec §5.4); memargs are align 0 (byte access is always valid), offset 0.
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const i32c = (v: number): number[] => [0x41, ...sleb(v)];
const add = [0x6a];
const mul = [0x6c];
const geU = [0x4f];
const load = [0x28, 0, 0];
const store = [0x36, 0, 0];
/** `block (loop …body…)`: inside body, `br 0` continues the loop and `br_if 1` leaves it. */
const loop = (...body: number[][]): number[] => [0x02, 0x40, 0x03, 0x40, ...body.flat(), 0x0b, 0x0b];
const exitIf = [0x0d, 1];
const again = [0x0c, 0];
// SIMD instructions (0xfd prefix, LEB opcode).
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const load8x8U = simd(0x02, 0, 0); // 8 bytes → i16x8, zero-extended
const load32Splat = simd(0x09, 0, 0);
const i32x4Splat = simd(0x11);
const extractLane0 = simd(0x1b, 0);
const store64Lane0 = simd(0x5b, 0, 0, 0);
const narrowI16U8 = simd(0x66); // i8x16.narrow_i16x8_u: saturates to 0..255
const narrowI32S16 = simd(0x85); // i16x8.narrow_i32x4_s
const extendLowU = simd(0xa9); // i32x4.extend_low_i16x8_u
const extendHighU = simd(0xaa);
const shrS = simd(0xac);
const vAdd = simd(0xae);
const vMul = simd(0xb5);
const half = [...i32c(HALF), ...i32x4Splat];
/** `(sum >> PRECISION_BITS)` clamped to 0..255 for two i32x4 sums, as the low 8 bytes of a v128. */
const clip8 = (a: number[], b: number[]): number[] => [
  ...a, ...i32c(PRECISION_BITS), ...shrS, ...b, ...i32c(PRECISION_BITS), ...shrS, ...narrowI32S16, ...simd(0x0c, ...new Array(16).fill(0)), ...narrowI16U8,
];

/**
 * horizontal(src, srcStride, rows, dst, outWidth, startP, sizeP, kP, ksizeBytes): for each of `rows` rows and
 * each output column x, sum `size[x]` taps `k[x * ksize + t]` over the RGB pixels from byte `start[x]` of the row
 * (start already ×3 and relative to the row). Writes 3 bytes per pixel (4 stored; the 4th is overwritten next).
 */
function horizontalBody(): number[] {
  const [src, srcStride, rows, dst, outWidth, startP, sizeP, kP, ksizeBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [y, x, p, kp, kEnd, acc] = [9, 10, 11, 12, 13, 14];
  return [
    2, 5, I32, 1, V128, // locals: 5 i32 (y, x, p, kp, kEnd), 1 v128 (acc)
    ...i32c(0), ...set(y),
    ...loop(
      get(y), get(rows), geU, exitIf,
      i32c(0), set(x),
      loop(
        get(x), get(outWidth), geU, exitIf,
        get(src), get(startP), get(x), i32c(4), mul, add, load, add, set(p),
        get(kP), get(x), get(ksizeBytes), mul, add, set(kp),
        get(kp), get(sizeP), get(x), i32c(4), mul, add, load, i32c(4), mul, add, set(kEnd),
        half, set(acc),
        loop(
          get(kp), get(kEnd), geU, exitIf,
          get(acc), get(p), load8x8U, extendLowU, get(kp), load32Splat, vMul, vAdd, set(acc),
          get(p), i32c(3), add, set(p),
          get(kp), i32c(4), add, set(kp),
          again,
        ),
        get(dst), clip8(get(acc), get(acc)), extractLane0, store,
        get(dst), i32c(3), add, set(dst),
        get(x), i32c(1), add, set(x),
        again,
      ),
      get(src), get(srcStride), add, set(src),
      get(y), i32c(1), add, set(y),
      again,
    ),
    0x0b,
  ];
}

/**
 * vertical(src, rowLen, dst, outHeight, startP, sizeP, kP, ksizeBytes, _): output row r sums `size[r]` input rows
 * from byte `start[r]` (already × rowLen) with taps `k[r * ksize + t]`, 8 bytes at a time (the last 8-byte group
 * of a row spills into the next row, which is written afterwards, or into the buffer's padding).
 */
function verticalBody(): number[] {
  const [src, rowLen, dst, outHeight, startP, sizeP, kP, ksizeBytes] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [r, i, p, kp, kEnd, kRow, kRowEnd] = [9, 10, 11, 12, 13, 14, 15];
  const [acc0, acc1, v, kv] = [16, 17, 18, 19];
  return [
    2, 7, I32, 4, V128,
    ...i32c(0), ...set(r),
    ...loop(
      get(r), get(outHeight), geU, exitIf,
      get(kP), get(r), get(ksizeBytes), mul, add, set(kRow),
      get(kRow), get(sizeP), get(r), i32c(4), mul, add, load, i32c(4), mul, add, set(kRowEnd),
      i32c(0), set(i),
      loop(
        get(i), get(rowLen), geU, exitIf,
        get(src), get(startP), get(r), i32c(4), mul, add, load, add, get(i), add, set(p),
        get(kRow), set(kp),
        get(kRowEnd), set(kEnd),
        half, set(acc0), half, set(acc1),
        loop(
          get(kp), get(kEnd), geU, exitIf,
          get(kp), load32Splat, set(kv),
          get(p), load8x8U, set(v),
          get(acc0), get(v), extendLowU, get(kv), vMul, vAdd, set(acc0),
          get(acc1), get(v), extendHighU, get(kv), vMul, vAdd, set(acc1),
          get(p), get(rowLen), add, set(p),
          get(kp), i32c(4), add, set(kp),
          again,
        ),
        get(dst), get(i), add, clip8(get(acc0), get(acc1)), store64Lane0,
        get(i), i32c(8), add, set(i),
        again,
      ),
      get(dst), get(rowLen), add, set(dst),
      get(r), i32c(1), add, set(r),
      again,
    ),
    0x0b,
  ];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}
function name(s: string): number[] {
  return [...uleb(s.length), ...Buffer.from(s, 'ascii')];
}

function assemble(): Uint8Array<ArrayBuffer> {
  const bodies = [horizontalBody(), verticalBody()].map((b) => [...uleb(b.length), ...b]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 9, ...new Array(9).fill(I32), 0]), // one type: (9 × i32) → ()
    ...section(3, [2, 0, 0]),
    ...section(5, [1, 0x00, 1]), // memory: min 1 page, no max
    ...section(7, [3, ...name('memory'), 0x02, 0, ...name('horizontal'), 0x00, 0, ...name('vertical'), 0x00, 1]),
    ...section(10, [2, ...bodies.flat()]),
  ]);
}

type Pass = (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number) => void;

interface Kernels {
  memory: WebAssembly.Memory;
  horizontal: Pass;
  vertical: Pass;
}

let kernels: Kernels | undefined;

/** The instantiated module (compiled once per thread, synchronously: it is a few hundred bytes). */
export function simdKernels(): Kernels {
  if (!kernels) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(assemble()));
    kernels = instance.exports as unknown as Kernels;
  }
  return kernels;
}

/** Grows the module's memory to at least `bytes`; returns a fresh view (views die when memory grows). */
export function simdMemory(bytes: number): Uint8Array {
  const { memory } = simdKernels();
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
  return new Uint8Array(memory.buffer);
}
