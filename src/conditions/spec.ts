import { RESAMPLE_FILTERS } from '../image/resize.js';
import type { ResampleFilter } from '../image/ops.js';
import { UserError } from '../util/errors.js';

/**
 * A stress condition: what is done to every image (real and fake alike) after decode and before the detector's
 * own preprocessing. docs/stress-conditions.md defines each step and names its Python reference.
 */
export type ConditionStep =
  /** Pillow `save(f, 'JPEG', quality=q)` + reopen (4:2:0). `format` marks the format-control use of the same op. */
  | { op: 'jpeg'; quality: number; format?: boolean }
  /** Pillow `save(f, 'WEBP', quality=q)` + reopen (lossy, method 4). */
  | { op: 'webp'; quality: number }
  /** Pillow `save(f, 'PNG')` + reopen: lossless, so the RGB pixels are unchanged. */
  | { op: 'png' }
  /** Pillow `filter(ImageFilter.GaussianBlur(radius))`. */
  | { op: 'blur'; radius: number }
  /** Pillow `resize((round(w·s), round(h·s)), filter)`, sizes rounded half up, at least 1. */
  | { op: 'resize'; scale: number; filter: ResampleFilter }
  /** Centre crop keeping `fraction` of each side (sizes rounded half up, offsets floored). */
  | { op: 'crop'; fraction: number }
  /** Additive Gaussian noise, σ = sigma·255, seeded per image (image hash + seed). */
  | { op: 'noise'; sigma: number; seed: number };

export interface Condition {
  /** The canonical spec: the `condition` column of predictions.csv, part of the score identity. 'none' when clean. */
  name: string;
  steps: ConditionStep[];
}

export const CLEAN: Condition = { name: 'none', steps: [] };

/** Named chains. `social`: a typical re-share (downscale, then a JPEG at a platform's usual quality). */
export const PRESETS: Record<string, string> = { social: 'resize:0.75:bicubic+jpeg:80' };

const OPS = ['jpeg', 'webp', 'blur', 'resize', 'crop', 'noise', 'format:png', 'format:jpeg'];

/** Parses `jpeg:75`, `resize:0.5+jpeg:75`, `social`, `format:png`, ...; throws a UserError naming the bad part. */
export function parseCondition(spec: string): Condition {
  const text = spec.trim();
  if (text === '' || text === 'none') return CLEAN;
  const steps = text.split('+').flatMap((part) => {
    const preset = PRESETS[part.trim()];
    return preset ? preset.split('+').map((p) => parseStep(p, spec)) : [parseStep(part, spec)];
  });
  return { name: steps.map(stepName).join('+'), steps };
}

/** `--sweep jpeg:95,85,75` → jpeg:95, jpeg:85, jpeg:75; the one parameter holding commas takes the list (`resize:0.5,0.25:bilinear`). */
export function expandSweep(sweep: string): string[] {
  const parts = sweep.split(':');
  const at = parts.findIndex((p) => p.includes(','));
  const values = at < 0 ? [] : parts[at].split(',').map((v) => v.trim());
  if (at < 1 || values.some((v) => v === '') || parts.filter((p) => p.includes(',')).length > 1) {
    throw new UserError(`--sweep '${sweep}': expected OP:V1,V2,... with one listed parameter, such as jpeg:95,85,75 or resize:0.5,0.25:bilinear.`, 'E_USAGE');
  }
  return values.map((v) => parts.map((p, i) => (i === at ? v : p)).join(':'));
}

/** The conditions of a run: the clean run first (every curve and verdict compares against it), then each once. */
export function runConditions(specs: readonly string[]): Condition[] {
  const out = [CLEAN];
  for (const s of specs) {
    const c = parseCondition(s);
    if (!out.some((o) => o.name === c.name)) out.push(c);
  }
  return out;
}

/** One number that orders a single-step condition along its curve, or undefined for chains and format controls. */
export function strength(c: Condition): { op: string; value: number } | undefined {
  if (c.steps.length !== 1) return undefined;
  const s = c.steps[0];
  switch (s.op) {
    case 'jpeg': return s.format ? undefined : { op: 'jpeg', value: s.quality };
    case 'webp': return { op: 'webp', value: s.quality };
    case 'blur': return { op: 'blur', value: s.radius };
    case 'resize': return { op: `resize:${s.filter}`, value: s.scale };
    case 'crop': return { op: 'crop', value: s.fraction };
    case 'noise': return { op: 'noise', value: s.sigma };
    default: return undefined;
  }
}

/** Whether a condition only equalises the file format (the format-shortcut control). */
export function isFormatControl(c: Condition): boolean {
  return c.steps.length === 1 && (c.steps[0].op === 'png' || (c.steps[0].op === 'jpeg' && c.steps[0].format === true));
}

function stepName(s: ConditionStep): string {
  switch (s.op) {
    case 'jpeg': return s.format ? `format:jpeg:${s.quality}` : `jpeg:${s.quality}`;
    case 'webp': return `webp:${s.quality}`;
    case 'png': return 'format:png';
    case 'blur': return `blur:${s.radius}`;
    case 'resize': return `resize:${s.scale}:${s.filter}`;
    case 'crop': return `crop:${s.fraction}`;
    case 'noise': return s.seed === 0 ? `noise:${s.sigma}` : `noise:${s.sigma}:${s.seed}`;
  }
}

function parseStep(part: string, spec: string): ConditionStep {
  const [op, ...args] = part.trim().split(':');
  const bad = (why: string) => new UserError(`condition '${spec}': ${why}`, 'E_USAGE');
  const num = (i: number, what: string, ok: (n: number) => boolean, fallback?: number): number => {
    const raw = args[i];
    if (raw === undefined && fallback !== undefined) return fallback;
    const n = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
    if (!Number.isFinite(n) || !ok(n)) throw bad(`'${part.trim()}' needs ${what}${raw === undefined ? '' : ` (got '${raw}')`}`);
    return n;
  };
  const quality = (i: number) => num(i, 'a quality, an integer in 1..100', (n) => Number.isInteger(n) && n >= 1 && n <= 100);
  const arity = (n: number) => {
    if (args.length > n) throw bad(`'${part.trim()}' has ${args.length - n} parameter(s) too many`);
  };
  switch (op) {
    case 'jpeg': arity(1); return { op: 'jpeg', quality: quality(0) };
    case 'webp': arity(1); return { op: 'webp', quality: quality(0) };
    case 'blur': arity(1); return { op: 'blur', radius: num(0, 'a radius > 0 (Pillow GaussianBlur)', (n) => n > 0 && n <= 100) };
    case 'crop': arity(1); return { op: 'crop', fraction: num(0, 'a fraction in (0, 1] of each side', (n) => n > 0 && n <= 1) };
    case 'noise': arity(2); return { op: 'noise', sigma: num(0, 'a standard deviation in (0, 1] (fraction of 255)', (n) => n > 0 && n <= 1), seed: num(1, 'an integer seed >= 0', (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32, 0) };
    case 'resize': {
      arity(2);
      const scale = num(0, 'a scale factor in (0, 4]', (n) => n > 0 && n <= 4);
      const filter = (args[1] ?? 'bicubic') as ResampleFilter;
      if (!RESAMPLE_FILTERS.includes(filter)) throw bad(`'${part.trim()}': unknown Pillow filter '${filter}' (known: ${RESAMPLE_FILTERS.join(', ')})`);
      return { op: 'resize', scale, filter };
    }
    case 'format': {
      if (args[0] === 'png') { arity(1); return { op: 'png' }; }
      if (args[0] === 'jpeg') { arity(2); return { op: 'jpeg', quality: quality(1), format: true }; }
      throw bad(`'${part.trim()}': format is format:png or format:jpeg:Q`);
    }
    default:
      throw bad(`unknown op '${op}' (known: ${OPS.join(', ')}; presets: ${Object.keys(PRESETS).join(', ')})`);
  }
}
