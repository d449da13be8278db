/**
 * The weight-free prompt-based editing backend: a global, caption-driven colour, lighting and texture transform, so
 * `--methods p2p` runs on a CPU and in CI. What the edit does is drawn from a hash of the seed and the words the
 * edited caption adds (the edit itself), so the same request always gives the same image and another caption
 * edit another one. Like a p2p edit it touches the whole photo; it understands nothing of the caption, and its
 * `model` value names it, so an eval set made with it can never pass for a diffusion edit.
 */
import { createHash } from 'node:crypto';
import { decodeImage } from '../../../image/decode.js';
import { encodeRgbPng } from '../../../image/grey.js';
import type { RgbImage } from '../../../image/types.js';
import { UserError, errorMessage } from '../../../util/errors.js';
import type { EditBackend, EditRequest } from '../contracts.js';
import { InpaintFailure } from '../inpaint/failure.js';

export const OFFLINE_EDIT_MODEL = 'CaptionGrade_offline';

/** The transform an edit applies: per-channel gains, a gamma, a directional light and a sine texture. */
export interface GradeParams {
  /** Multipliers of R, G, B in [0.7, 1.3]. */
  gains: [number, number, number];
  /** Exponent on the 0..1 values, in [0.7, 1.4]. */
  gamma: number;
  /** The light grows along this direction (radians) by ±strength across the photo; strength in [0.4, 0.9]. */
  lightAngle: number;
  lightStrength: number;
  /** A sine texture of this period (pixels, [6, 40]), direction, phase and amplitude (of 0..1 values, [0.02, 0.06]). */
  texturePeriod: number;
  textureAngle: number;
  texturePhase: number;
  textureAmplitude: number;
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
    gains: [between(0, 0.7, 1.3), between(1, 0.7, 1.3), between(2, 0.7, 1.3)],
    gamma: between(3, 0.7, 1.4),
    lightAngle: between(4, 0, 2 * Math.PI),
    lightStrength: between(5, 0.4, 0.9),
    texturePeriod: between(6, 6, 40),
    textureAngle: between(7, 0, Math.PI),
    texturePhase: between(8, 0, 2 * Math.PI),
    textureAmplitude: between(9, 0.02, 0.06),
  };
}

/** out = clamp(255 · ((v^gamma · gain_c) · light(x, y) + texture(x, y))), v = in / 255, per pixel and channel. */
export function grade(image: RgbImage, p: GradeParams): RgbImage {
  const { width, height, data } = image;
  const out = new Uint8Array(data.length);
  const lx = Math.cos(p.lightAngle);
  const ly = Math.sin(p.lightAngle);
  const tx = Math.cos(p.textureAngle) / p.texturePeriod;
  const ty = Math.sin(p.textureAngle) / p.texturePeriod;
  const curve = Array.from({ length: 256 }, (_, v) => (v / 255) ** p.gamma);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // -1..1 across the photo along the light's direction
      const along = 2 * (((x + 0.5) / width - 0.5) * lx + ((y + 0.5) / height - 0.5) * ly);
      const light = 1 + p.lightStrength * along;
      const texture = p.textureAmplitude * Math.sin(2 * Math.PI * (x * tx + y * ty) + p.texturePhase);
      for (let c = 0, i = (y * width + x) * 3; c < 3; c++, i++) {
        const v = curve[data[i]] * p.gains[c] * light + texture;
        out[i] = Math.max(0, Math.min(255, Math.round(v * 255)));
      }
    }
  }
  return { width, height, data: out };
}
