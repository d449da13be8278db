import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { writeAtomic } from '../../reports/csv.js';
import { silentProgress, type Progress } from '../../runner/progress.js';
import { UserError } from '../../util/errors.js';
import { measure, type MeasureResult } from '../measure.js';
import type { QcConfig } from '../qc.js';
import { evalsetTable } from '../table.js';
import { assemble, type AssembleCounts } from './assemble.js';
import { captionStage, isCaptionDone, photosOf, type CaptionEntry } from './caption-stage.js';
import type { CaptionPromptSet } from './caption/prompts.js';
import { STAGES, type CaptionBackend, type EditBackend, type InpaintBackend, type LabelBackend, type Method, type SourceMask, type Stage } from './contracts.js';
import { editItems, editKey, editStage, type EditEntry } from './edit-stage.js';
import { inpaintItems, inpaintKey, inpaintStage, type InpaintEntry, type MaskPreparer } from './inpaint-stage.js';
import { originalImageRelPath, outputPaths } from './layout.js';
import { isDone, perturbStage, type PerturbEntry, type StageCounts } from './perturb-stage.js';
import type { PromptSet } from './perturb/prompts.js';
import { loadSourceSet, type SourceSet } from './source.js';
import { JsonlLog, readLog } from './state.js';

export { STAGES, type Stage } from './contracts.js';

/** The stages that belong to one method; the others (assemble, measure) serve both. */
const METHOD_STAGES: Record<Method, readonly Stage[]> = { inpainting: ['perturb', 'inpaint'], p2p: ['caption', 'edit'] };

export interface GenerateOptions {
  input: string;
  out: string;
  labels: LabelBackend;
  inpainter: InpaintBackend;
  /** Inpainting models to produce, each one of `inpainter.models`. */
  models: string[];
  prepareMask: MaskPreparer;
  prompts: PromptSet;
  seed: number;
  /** Use only the first N usable source masks. */
  limit?: number;
  concurrency: number;
  /** Stages to run (default: all, in order). */
  stages?: readonly Stage[];
  /** Where learned metric models are (measure), and whether to compute them. */
  metricsDir: string;
  noLearned?: boolean;
  /** Measure stage without BRISQUE (see MeasureOptions.noBrisque). */
  noBrisque?: boolean;
  qc?: QcConfig;
  /** The editing methods to run (default: inpainting). */
  methods?: readonly Method[];
  /** Prompt-based editing (methods with 'p2p'): captions and caption edits, the editing backend and its models. */
  p2p?: { captions: CaptionBackend; captionPrompts: CaptionPromptSet; editor: EditBackend; models: string[] };
  /** Extra fields for generation.json's backends (e.g. the servers' URLs; never a key). */
  describe?: { llm?: string; inpaint?: string; edit?: string };
  progress?: Progress;
}

/**
 * What settings.json pins: a resumed run must produce the same kind of rows as the first. The label keys are
 * checked when the perturb stage runs, the inpainting key when inpaint runs; `models` grows as models are added.
 * assemble and generation.json read the backends from here, so a stage run alone never relabels the eval set.
 */
interface Settings {
  seed: number;
  label_backend: string;
  language_model: string;
  prompts_sha256: string;
  prompts_file: string;
  prompts_retry: number;
  inpaint_backend: string;
  models: string[];
  llm_url?: string;
  inpaint_url?: string;
  /** The methods generated into this folder so far (absent: inpainting only, as before p2p existed). */
  methods?: Method[];
  caption_backend?: string;
  caption_model?: string;
  caption_language_model?: string;
  caption_prompts_sha256?: string;
  caption_prompts_file?: string;
  edit_backend?: string;
  edit_models?: string[];
  edit_url?: string;
}

const LABEL_KEYS = ['seed', 'label_backend', 'language_model', 'prompts_sha256'] as const;
const INPAINT_KEYS = ['seed', 'inpaint_backend'] as const;
const CAPTION_KEYS = ['seed', 'caption_backend', 'caption_model', 'caption_language_model', 'caption_prompts_sha256'] as const;
const EDIT_KEYS = ['seed', 'edit_backend'] as const;

export interface GenerateResult {
  source: { layout: SourceSet['layout']; rows: number; used: number; skipped: SourceSet['skipped'] };
  perturb?: StageCounts;
  inpaint?: StageCounts & { qualFlagged: number };
  caption?: StageCounts;
  edit?: StageCounts & { qualFlagged: number };
  assemble?: AssembleCounts;
  measure?: MeasureResult;
  timingsMs: Partial<Record<Stage, number>>;
}

/** Reads the source set and applies --limit: the masks a run works on. */
export async function loadMasks(input: string, limit?: number): Promise<{ source: SourceSet; masks: SourceMask[] }> {
  const source = await loadSourceSet(input);
  const masks = limit === undefined ? source.masks : source.masks.slice(0, limit);
  const seen = new Map<string, string>();
  for (const mask of masks) {
    // Photos are flattened to original/images/{dataset}/{file name}: two photos must not land on one file.
    const target = originalImageRelPath(mask);
    const other = seen.get(target);
    if (other !== undefined && other !== mask.imagePath) throw new UserError(`${other} and ${mask.imagePath} would both be ${target} in the eval set; rename one.`, 'E_DATA');
    seen.set(target, mask.imagePath);
  }
  return { source, masks };
}

/**
 * `semibench generate`: source set → perturb → (masks +) inpaint → assemble → measure, into one output folder that
 * is the eval set. Each stage keeps its finished items in .semibench-generate/, so a rerun (after a crash or
 * kill -9) does only what is left; backends are probed once before any work.
 */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const out = resolve(options.out);
  const paths = outputPaths(out);
  const methods = options.methods ?? ['inpainting'];
  const stages = stagesToRun(options.stages, methods);
  const progress = options.progress ?? silentProgress;
  for (const model of options.models) {
    if (!options.inpainter.models.includes(model)) {
      throw new UserError(`The ${options.inpainter.name} inpainter has no model '${model}' (it has: ${options.inpainter.models.join(', ')}).`);
    }
  }
  const p2p = methods.includes('p2p') ? options.p2p : undefined;
  if (methods.includes('p2p') && !p2p) throw new Error('generate: --methods p2p needs the p2p backends');
  for (const model of p2p?.models ?? []) {
    if (!p2p!.editor.models.includes(model)) {
      throw new UserError(`The ${p2p!.editor.name} editing backend has no model '${model}' (it has: ${p2p!.editor.models.join(', ')}).`);
    }
  }
  const { source, masks } = await loadMasks(options.input, options.limit);
  const proposed: Settings = {
    seed: options.seed,
    label_backend: options.labels.name,
    language_model: options.labels.languageModel,
    prompts_sha256: options.prompts.sha256,
    prompts_file: options.prompts.file.replace(/^.*[\\/]src[\\/]/, 'src/'),
    prompts_retry: options.prompts.retry,
    inpaint_backend: options.inpainter.name,
    models: methods.includes('inpainting') ? options.models : [],
    llm_url: options.describe?.llm,
    inpaint_url: options.describe?.inpaint,
    ...(p2p
      ? {
          methods: [...methods],
          caption_backend: p2p.captions.name,
          caption_model: p2p.captions.captionModel,
          caption_language_model: p2p.captions.languageModel,
          caption_prompts_sha256: p2p.captionPrompts.sha256,
          caption_prompts_file: p2p.captionPrompts.file.replace(/^.*[\\/]src[\\/]/, 'src/'),
          edit_backend: p2p.editor.name,
          edit_models: p2p.models,
          edit_url: options.describe?.edit,
        }
      : {}),
  };
  const before = existsSync(paths.settings) ? (JSON.parse(readFileSync(paths.settings, 'utf8')) as Settings) : undefined;
  if (!before && !['perturb', 'inpaint', 'caption', 'edit'].some((s) => stages.has(s as Stage))) {
    throw new UserError(`Nothing has been generated in ${out} yet: run the perturb and inpaint stages first (caption and edit for p2p), or all stages.`);
  }
  if (before) {
    const keys = [
      ...(stages.has('perturb') ? LABEL_KEYS : []),
      ...(stages.has('inpaint') ? INPAINT_KEYS : []),
      // a folder generated before p2p ran has none of these yet: p2p may be added to it
      ...(stages.has('caption') ? CAPTION_KEYS.filter((k) => before[k] !== undefined) : []),
      ...(stages.has('edit') ? EDIT_KEYS.filter((k) => before[k] !== undefined) : []),
    ];
    for (const key of keys) {
      if (before[key] !== proposed[key]) {
        throw new UserError(`This output folder was generated with ${key} = ${before[key]}, not ${proposed[key]}: use the same settings to resume, or another --out.`);
      }
    }
  }
  if (stages.has('perturb')) await options.labels.probe();
  if (stages.has('inpaint')) await options.inpainter.probe(options.models);
  if (stages.has('caption')) await p2p!.captions.probe();
  if (stages.has('edit')) await p2p!.editor.probe(p2p!.models);
  // Pinned only once the backends answered: a run that could not start leaves nothing behind.
  const settings: Settings = !before
    ? proposed
    : {
        ...before,
        models: stages.has('inpaint') ? [...new Set([...before.models, ...options.models])] : before.models,
        llm_url: stages.has('perturb') ? proposed.llm_url : before.llm_url,
        inpaint_url: stages.has('inpaint') ? proposed.inpaint_url : before.inpaint_url,
        // absent while the folder holds inpainting only (as before p2p existed)
        methods: before.methods || p2p ? [...new Set([...(before.methods ?? ['inpainting']), ...methods])] : undefined,
        ...(p2p && (stages.has('caption') || stages.has('edit'))
          ? {
              ...(stages.has('caption') ? pick(proposed, ['caption_backend', 'caption_model', 'caption_language_model', 'caption_prompts_sha256', 'caption_prompts_file']) : {}),
              ...(stages.has('edit') ? { edit_backend: proposed.edit_backend, edit_url: proposed.edit_url, edit_models: [...new Set([...(before.edit_models ?? []), ...p2p.models])] } : {}),
            }
          : {}),
      };
  writeAtomic(paths.settings, `${JSON.stringify(settings, null, 2)}\n`);

  const result: GenerateResult = {
    source: { layout: source.layout, rows: source.masks.length + Object.values(source.skipped).reduce((a, b) => a + b, 0), used: masks.length, skipped: source.skipped },
    timingsMs: {},
  };
  const perturbed = new JsonlLog<PerturbEntry>(paths.perturbLog);
  const inpainted = new JsonlLog<InpaintEntry>(paths.inpaintLog);
  const captioned = new JsonlLog<CaptionEntry>(paths.captionLog);
  const edited = new JsonlLog<EditEntry>(paths.editLog);
  const photos = photosOf(masks);
  const timed = async <T>(stage: Stage, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await run();
    result.timingsMs[stage] = Math.round(performance.now() - started);
    return value;
  };
  try {
    if (stages.has('perturb')) {
      result.perturb = await timed('perturb', () =>
        perturbStage({ masks, backend: options.labels, log: perturbed, seed: options.seed, concurrency: options.concurrency, progress }),
      );
    }
    if (stages.has('inpaint')) {
      const { items, qualFlagged } = inpaintItems(masks, perturbed, options.models);
      const counts = await timed('inpaint', () =>
        inpaintStage({ out, items, backend: options.inpainter, prepareMask: options.prepareMask, log: inpainted, seed: options.seed, concurrency: options.concurrency, progress }),
      );
      result.inpaint = { ...counts, qualFlagged };
    }
    if (stages.has('caption')) {
      result.caption = await timed('caption', () => captionStage({ photos, backend: p2p!.captions, log: captioned, seed: options.seed, concurrency: options.concurrency, progress }));
    }
    if (stages.has('edit')) {
      const { items, qualFlagged } = editItems(photos, captioned, p2p!.models);
      const counts = await timed('edit', () => editStage({ out, items, backend: p2p!.editor, log: edited, seed: options.seed, concurrency: options.concurrency, progress }));
      result.edit = { ...counts, qualFlagged };
    }
    if (stages.has('assemble')) {
      const models = (settings.methods ?? ['inpainting']).includes('inpainting') ? settings.models : [];
      result.assemble = await timed('assemble', async () =>
        assemble({ out, masks, models, perturbed, inpainted, editModels: settings.edit_models, captioned, edited }),
      );
    }
  } finally {
    perturbed.close();
    inpainted.close();
    captioned.close();
    edited.close();
  }
  if (stages.has('measure')) {
    if (!existsSync(paths.metadata)) throw new UserError(`No ${paths.metadata} yet: run the assemble stage first.`, 'E_DATA');
    result.measure = await timed('measure', () =>
      measure({ table: evalsetTable(out), metricsDir: options.metricsDir, qc: options.qc, noLearned: options.noLearned, noBrisque: options.noBrisque, concurrency: options.concurrency, progress }),
    );
  }
  writeGenerationJson(paths.generation, settings, result);
  return result;
}

/**
 * generation.json: what made this eval set. Stage counts merge with the previous file's, so running stages one
 * at a time still leaves one complete record.
 */
function writeGenerationJson(file: string, settings: Settings, result: GenerateResult): void {
  const before = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>) : {};
  const measured = result.measure && {
    rows: result.measure.rows,
    pairs: result.measure.pairs,
    problems: result.measure.problems,
    models: result.measure.models.map((m) => ({ name: m.name, status: m.status })),
    qc: result.measure.qc,
  };
  const record = {
    seed: settings.seed,
    source: result.source,
    backends: {
      llm: { name: settings.label_backend, language_model: settings.language_model, ...(settings.llm_url ? { url: settings.llm_url } : {}) },
      inpaint: { name: settings.inpaint_backend, ...(settings.inpaint_url ? { url: settings.inpaint_url } : {}) },
      ...(settings.edit_backend
        ? {
            caption: { name: settings.caption_backend, caption_model: settings.caption_model, language_model: settings.caption_language_model },
            edit: { name: settings.edit_backend, ...(settings.edit_url ? { url: settings.edit_url } : {}) },
          }
        : {}),
    },
    ...(settings.methods ? { methods: settings.methods } : {}),
    models: settings.models,
    ...(settings.edit_models ? { edit_models: settings.edit_models } : {}),
    prompts: { file: settings.prompts_file, sha256: settings.prompts_sha256, retry: settings.prompts_retry },
    ...(settings.caption_prompts_sha256 ? { caption_prompts: { file: settings.caption_prompts_file, sha256: settings.caption_prompts_sha256 } } : {}),
    // alreadyDone says how a run went, not what the eval set is: it stays out, so a resumed run writes the same record.
    stages: {
      perturb: result.perturb ? withoutAlreadyDone(result.perturb) : before.stages?.perturb,
      inpaint: result.inpaint ? withoutAlreadyDone(result.inpaint) : before.stages?.inpaint,
      caption: result.caption ? withoutAlreadyDone(result.caption) : before.stages?.caption,
      edit: result.edit ? withoutAlreadyDone(result.edit) : before.stages?.edit,
      assemble: result.assemble ?? before.stages?.assemble,
      measure: measured ?? before.stages?.measure,
    },
    timings_ms: { ...before.timings_ms, ...result.timingsMs },
  };
  writeAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
}


function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, from[k]])) as Pick<T, K>;
}

/**
 * The stages a run does: the asked ones (default all) that belong to an asked method. Asking by name for a stage of
 * a method not asked is a user error.
 */
export function stagesToRun(asked: readonly Stage[] | undefined, methods: readonly Method[]): Set<Stage> {
  const applies = (stage: Stage) => (Object.keys(METHOD_STAGES) as Method[]).every((m) => !METHOD_STAGES[m].includes(stage) || methods.includes(m));
  if (asked && asked.length === 1 && !applies(asked[0])) {
    const method = (Object.keys(METHOD_STAGES) as Method[]).find((m) => METHOD_STAGES[m].includes(asked[0]));
    throw new UserError(`The ${asked[0]} stage belongs to --methods ${method}; add it to --methods.`);
  }
  return new Set((asked ?? STAGES).filter(applies));
}

function withoutAlreadyDone<T extends StageCounts>({ alreadyDone: _, ...counts }: T): Omit<T, 'alreadyDone'> {
  return counts;
}

/** `--plan`: what a run would do, from the source set and the stage logs only; no backend is called, nothing is written. */
export async function planGenerate(options: Pick<GenerateOptions, 'input' | 'out' | 'labels' | 'inpainter' | 'models' | 'limit' | 'seed' | 'stages' | 'methods' | 'p2p'>): Promise<string[]> {
  const out = resolve(options.out);
  const paths = outputPaths(out);
  const stages = stagesToRun(options.stages, options.methods ?? ['inpainting']);
  const { source, masks } = await loadMasks(options.input, options.limit);
  const perturbed = readLog<PerturbEntry>(paths.perturbLog).entries;
  const inpainted = readLog<InpaintEntry>(paths.inpaintLog).entries;
  const skipped = Object.entries(source.skipped).map(([reason, n]) => `${n} ${reason}`).join(', ') || 'none';
  const perturbDone = masks.filter((m) => isDone(perturbed.get(m.maskId))).length;
  const labelled = masks.filter((m) => perturbed.get(m.maskId)?.ok && !perturbed.get(m.maskId)?.target_qual_flag);
  const inpaintDone = labelled.flatMap((mask) => options.models.map((model) => inpainted.get(inpaintKey({ mask, model })))).filter((e) => e && !e.retryable).length;
  const lines = [
    `source: ${source.root} (${source.layout} layout): ${masks.length} masks used${options.limit !== undefined ? ` (--limit ${options.limit})` : ''}, skipped: ${skipped}`,
    (options.methods ?? ['inpainting']).includes('inpainting')
      ? `seed ${options.seed}; label backend ${options.labels.name} (${options.labels.languageModel}); inpainting ${options.inpainter.name}, models ${options.models.join(', ')}`
      : `seed ${options.seed}`,
  ];
  if (stages.has('perturb')) lines.push(`perturb: ${masks.length - perturbDone} masks to label, ${perturbDone} already done`);
  if (stages.has('inpaint')) {
    const known = labelled.length * options.models.length;
    const unknown = (masks.length - perturbDone) * options.models.length;
    lines.push(`inpaint: up to ${known - inpaintDone + unknown} images to make (${inpaintDone} already done; masks still to label count as ${options.models.length} each)`);
  }
  const p2p = options.p2p;
  if (p2p && (stages.has('caption') || stages.has('edit'))) {
    const photos = photosOf(masks);
    const captioned = readLog<CaptionEntry>(paths.captionLog).entries;
    const edited = readLog<EditEntry>(paths.editLog).entries;
    const captionDone = photos.filter((p) => isCaptionDone(captioned.get(p.imageId))).length;
    const kept = photos.filter((p) => captioned.get(p.imageId)?.ok && !captioned.get(p.imageId)?.target_qual_flag);
    const editDone = kept.flatMap((photo) => p2p.models.map((model) => edited.get(editKey({ photo, model })))).filter((e) => e && !e.retryable).length;
    lines.push(`p2p: captions ${p2p.captions.name} (${p2p.captions.captionModel}, edits by ${p2p.captions.languageModel}); editing ${p2p.editor.name}, models ${p2p.models.join(', ')}`);
    if (stages.has('caption')) lines.push(`caption: ${photos.length - captionDone} photos to caption and edit the caption of, ${captionDone} already done`);
    if (stages.has('edit')) {
      const todo = kept.length * p2p.models.length - editDone + (photos.length - captionDone) * p2p.models.length;
      lines.push(`edit: up to ${todo} images to make (${editDone} already done; photos still to caption count as ${p2p.models.length} each), each with its post-edit mask`);
    }
  }
  if (stages.has('assemble')) {
    const where = [stages.has('perturb') || !p2p ? 'inpainting/{dataset}/{mask_id}_{dataset}_{model}.png' : '', p2p ? 'p2p/{dataset}/{image_id}_{dataset}_{model}.png + p2p_masks/' : ''].filter(Boolean).join(', ');
    lines.push(`assemble: ${out}/metadata.csv (real + fake rows), original/images|masks/{dataset}/, ${where}, generation.json`);
  }
  if (stages.has('measure')) lines.push('measure: change metrics, QC and bins into metadata.csv (semibench measure)');
  return lines;
}
