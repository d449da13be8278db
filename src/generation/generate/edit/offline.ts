/**
 * The weight-free prompt-based editing backend: a global, caption-driven colour, lighting and texture transform
 * plus a recoloured "subject" region, so `--methods p2p` runs on a CPU and in CI. What the edit does is drawn from
 * a hash of the seed and the words the edited caption adds (the edit itself), so the same request always gives
 * the same image and another caption edit another one. Like a p2p edit it touches the whole photo mildly and one
 * region strongly (so the post-edit mask, which keeps only large per-pixel changes, finds a changed area); it
 * understands nothing of the caption, and its `model` value names it, so an eval set made with it can never pass
 * for a diffusion edit.
 */
import { createHash } from 'node:crypto';
import { decodeImage } from '../../../image/decode.js';
import { encodeRgbPng } from '../../../image/grey.js';
import type { RgbImage } from '../../../image/types.js';
import { UserError, errorMessage } from '../../../util/errors.js';
import type { EditBackend, EditRequest } from '../contracts.js';
import { InpaintFailure } from '../inpaint/failure.js';

export const OFFLINE_EDIT_MODEL = 'CaptionGrade_offline';

/**
 * The transform an edit applies: per-channel gains, a gamma, a directional light, a sine texture and a subject
 * recolour. The ranges keep it a plausible photo edit: stronger global ones crushed shadows, clipped highlights
 * and striped the photo, which BRISQUE rightly scored as a broken image (27 → 156 on a fixture photo).
 */
export interface GradeParams {
  /** Multipliers of R, G, B in [0.85, 1.15]. */
  gains: [number, number, number];
  /** Exponent on the 0..1 values, in [0.8, 1.25]. */
  gamma: number;
  /** The light grows along this direction (radians) by ±strength across the photo; strength in [0.1, 0.3]. */
  lightAngle: number;
  lightStrength: number;
  /** A sine texture of this period (pixels, [6, 40]), direction, phase and amplitude (of 0..1 values, [0.004, 0.012]). */
  texturePeriod: number;
  textureAngle: number;
  texturePhase: number;
  textureAmplitude: number;
  /** The subject: an ellipse, centre in [0.3, 0.7] and radii in [0.15, 0.3] of the width and height, soft-edged. */
  subject: { x: number; y: number; rx: number; ry: number };
  /** How far (of 0..1 values, [0.4, 0.5]) each channel of the subject moves, away from its mean in that channel. */
  subjectShift: number;
}

export class OfflineEditBackend implements EditBackend {
  readonly name = 'offline';
  readonly models = [OFFLINE_EDIT_MODEL] as const;

  async probe(models: readonly string[]): Promise<void> {
    const unknown = models.filter((m) => m !== OFFLINE_EDIT_MODEL);
    if (unknown.length > 0) throw new UserError(`offline editing has only the model ${OFFLINE_EDIT_MODEL}, not ${unknown.join(', ')}`);
  }

  async edit(request: EditRequest): Promise<Buffer> {
    request.signal?.throwIfAborted();
    if (request.model !== OFFLINE_EDIT_MODEL) throw new InpaintFailure('unknown model', `offline editing has only ${OFFLINE_EDIT_MODEL}, asked for ${request.model}`);
    const image = await decodeImage(request.image).catch((error) => {
      throw new InpaintFailure('bad input', errorMessage(error), { cause: error });
    });
    if (image.width !== request.width || image.height !== request.height) {
      throw new InpaintFailure('wrong size', `the image is ${image.width}x${image.height}, the request ${request.width}x${request.height}`);
    }
    return encodeRgbPng(grade(image, gradeParams(request.sourceCaption, request.editedCaption, request.seed)));
  }
}

/** The words the edited caption adds to the source caption (all of it when it adds none), lower case, in order. */
export function editedWords(sourceCaption: string, editedCaption: string): string[] {
  const words = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const before = new Set(words(sourceCaption));
  const added = words(editedCaption).filter((w) => !before.has(w));
  return added.length > 0 ? added : words(editedCaption);
}

export function gradeParams(sourceCaption: string, editedCaption: string, seed: number): GradeParams {
  const hash = createHash('sha256').update(`${seed}\0${editedWords(sourceCaption, editedCaption).join(' ')}`).digest();
  const unit = (k: number) => hash.readUInt16LE(2 * k) / 65535;
  const between = (k: number, lo: number, hi: number) => lo + (hi - lo) * unit(k);
  return {
    gains: [between(0, 0.85, 1.15), between(1, 0.85, 1.15), between(2, 0.85, 1.15)],
    gamma: between(3, 0.8, 1.25),
    lightAngle: between(4, 0, 2 * Math.PI),
    lightStrength: between(5, 0.1, 0.3),
    texturePeriod: between(6, 6, 40),
    textureAngle: between(7, 0, Math.PI),
    texturePhase: between(8, 0, 2 * Math.PI),
    textureAmplitude: between(9, 0.004, 0.012),
    subject: { x: between(10, 0.3, 0.7), y: between(11, 0.3, 0.7), rx: between(12, 0.15, 0.3), ry: between(13, 0.15, 0.3) },
    subjectShift: between(14, 0.4, 0.5),
  };
}

/**
 * out = 255 · rolloff((v^gamma · gain_c) · light(x, y) + texture(x, y) + subject(x, y) · ±shift_c), v = in / 255,
 * per pixel and channel; subject is 1 inside the subject ellipse, 0 outside, with a soft edge, and each channel
 * moves away from the subject's mean colour (up where it is dark, down where bright). rolloff bends highlights
 * smoothly towards white, as a camera's tone curve does, instead of clipping them flat.
 */
export function grade(image: RgbImage, p: GradeParams): RgbImage {
  const { width, height, data } = image;
  const out = new Uint8Array(data.length);
  const lx = Math.cos(p.lightAngle);
  const ly = Math.sin(p.lightAngle);
  const tx = Math.cos(p.textureAngle) / p.texturePeriod;
  const ty = Math.sin(p.textureAngle) / p.texturePeriod;
  const curve = Array.from({ length: 256 }, (_, v) => (v / 255) ** p.gamma);
  const subject = softEllipse(p.subject.x * width, p.subject.y * height, p.subject.rx * width, p.subject.ry * height, Math.max(2, 0.04 * Math.min(width, height)));
  const shift = subjectShift(image, subject, p.subjectShift);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // -1..1 across the photo along the light's direction
      const along = 2 * (((x + 0.5) / width - 0.5) * lx + ((y + 0.5) / height - 0.5) * ly);
      const light = 1 + p.lightStrength * along;
      const texture = p.textureAmplitude * Math.sin(2 * Math.PI * (x * tx + y * ty) + p.texturePhase);
      const inside = subject(x, y);
      for (let c = 0, i = (y * width + x) * 3; c < 3; c++, i++) {
        const v = curve[data[i]] * p.gains[c] * light + texture + inside * shift[c];
        out[i] = Math.max(0, Math.min(255, Math.round(rolloff(v) * 255)));
      }
    }
  }
  return { width, height, data: out };
}

/** Identity up to the knee, then an exponential shoulder that approaches 1 without reaching a flat clip. */
export function rolloff(v: number, knee = 0.8): number {
  return v <= knee ? v : knee + (1 - knee) * (1 - Math.exp(-(v - knee) / (1 - knee)));
}

/** How much of pixel (x, y) an ellipse covers, 0..1, with an edge `soft` pixels wide. */
function softEllipse(cx: number, cy: number, rx: number, ry: number, soft: number) {
  return (x: number, y: number): number => {
    const distance = (Math.hypot((x + 0.5 - cx) / rx, (y + 0.5 - cy) / ry) - 1) * Math.min(rx, ry);
    return Math.max(0, Math.min(1, 0.5 - distance / soft));
  };
}

/** ±amount per channel: up where the subject's mean in that channel is below mid-grey, down where above. */
function subjectShift(image: RgbImage, subject: (x: number, y: number) => number, amount: number): [number, number, number] {
  const sum = [0, 0, 0];
  let weight = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const w = subject(x, y);
      if (w === 0) continue;
      weight += w;
      for (let c = 0; c < 3; c++) sum[c] += w * image.data[(y * image.width + x) * 3 + c];
    }
  }
  const [r, g, b] = sum.map((s) => (s / Math.max(weight, 1e-9) < 127.5 ? amount : -amount));
  return [r, g, b];
}
