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
import type { InpaintBackend, LabelBackend, SourceMask } from './contracts.js';
import { inpaintItems, inpaintKey, inpaintStage, type InpaintEntry, type MaskPreparer } from './inpaint-stage.js';
import { originalImageRelPath, outputPaths } from './layout.js';
import { isDone, perturbStage, type PerturbEntry, type StageCounts } from './perturb-stage.js';
import type { PromptSet } from './perturb/prompts.js';
import { loadSourceSet, type SourceSet } from './source.js';
import { JsonlLog, readLog } from './state.js';

export const STAGES = ['perturb', 'inpaint', 'assemble', 'measure'] as const;
export type Stage = (typeof STAGES)[number];

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
  /** Extra fields for generation.json's backends (e.g. the servers' URLs; never a key). */
  describe?: { llm?: string; inpaint?: string };
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
}

const LABEL_KEYS = ['seed', 'label_backend', 'language_model', 'prompts_sha256'] as const;
const INPAINT_KEYS = ['seed', 'inpaint_backend'] as const;

export interface GenerateResult {
  source: { layout: SourceSet['layout']; rows: number; used: number; skipped: SourceSet['skipped'] };
  perturb?: StageCounts;
  inpaint?: StageCounts & { qualFlagged: number };
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
  const stages = new Set(options.stages ?? STAGES);
  const progress = options.progress ?? silentProgress;
  for (const model of options.models) {
    if (!options.inpainter.models.includes(model)) {
      throw new UserError(`The ${options.inpainter.name} inpainter has no model '${model}' (it has: ${options.inpainter.models.join(', ')}).`);
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
    models: options.models,
    llm_url: options.describe?.llm,
    inpaint_url: options.describe?.inpaint,
  };
  const before = existsSync(paths.settings) ? (JSON.parse(readFileSync(paths.settings, 'utf8')) as Settings) : undefined;
  if (!before && !stages.has('perturb') && !stages.has('inpaint')) {
    throw new UserError(`Nothing has been generated in ${out} yet: run the perturb and inpaint stages first (or all stages).`);
  }
  if (before) {
    const keys = [...(stages.has('perturb') ? LABEL_KEYS : []), ...(stages.has('inpaint') ? INPAINT_KEYS : [])];
    for (const key of keys) {
      if (before[key] !== proposed[key]) {
        throw new UserError(`This output folder was generated with ${key} = ${before[key]}, not ${proposed[key]}: use the same settings to resume, or another --out.`);
      }
    }
  }
  if (stages.has('perturb')) await options.labels.probe();
  if (stages.has('inpaint')) await options.inpainter.probe(options.models);
  // Pinned only once the backends answered: a run that could not start leaves nothing behind.
  const settings: Settings = !before
    ? proposed
    : {
        ...before,
        models: stages.has('inpaint') ? [...new Set([...before.models, ...options.models])] : before.models,
        llm_url: stages.has('perturb') ? proposed.llm_url : before.llm_url,
        inpaint_url: stages.has('inpaint') ? proposed.inpaint_url : before.inpaint_url,
      };
  writeAtomic(paths.settings, `${JSON.stringify(settings, null, 2)}\n`);

  const result: GenerateResult = {
    source: { layout: source.layout, rows: source.masks.length + Object.values(source.skipped).reduce((a, b) => a + b, 0), used: masks.length, skipped: source.skipped },
    timingsMs: {},
  };
  const perturbed = new JsonlLog<PerturbEntry>(paths.perturbLog);
  const inpainted = new JsonlLog<InpaintEntry>(paths.inpaintLog);
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
    if (stages.has('assemble')) {
      result.assemble = await timed('assemble', async () => assemble({ out, masks, models: settings.models, perturbed, inpainted }));
    }
  } finally {
    perturbed.close();
    inpainted.close();
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
    },
    models: settings.models,
    prompts: { file: settings.prompts_file, sha256: settings.prompts_sha256, retry: settings.prompts_retry },
    // alreadyDone says how a run went, not what the eval set is: it stays out, so a resumed run writes the same record.
    stages: {
      perturb: result.perturb ? withoutAlreadyDone(result.perturb) : before.stages?.perturb,
      inpaint: result.inpaint ? withoutAlreadyDone(result.inpaint) : before.stages?.inpaint,
      assemble: result.assemble ?? before.stages?.assemble,
      measure: measured ?? before.stages?.measure,
    },
    timings_ms: { ...before.timings_ms, ...result.timingsMs },
  };
  writeAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
}


function withoutAlreadyDone<T extends StageCounts>({ alreadyDone: _, ...counts }: T): Omit<T, 'alreadyDone'> {
  return counts;
}

/** `--plan`: what a run would do, from the source set and the stage logs only; no backend is called, nothing is written. */
export async function planGenerate(options: Pick<GenerateOptions, 'input' | 'out' | 'labels' | 'inpainter' | 'models' | 'limit' | 'seed' | 'stages'>): Promise<string[]> {
  const out = resolve(options.out);
  const paths = outputPaths(out);
  const stages = new Set(options.stages ?? STAGES);
  const { source, masks } = await loadMasks(options.input, options.limit);
  const perturbed = readLog<PerturbEntry>(paths.perturbLog).entries;
  const inpainted = readLog<InpaintEntry>(paths.inpaintLog).entries;
  const skipped = Object.entries(source.skipped).map(([reason, n]) => `${n} ${reason}`).join(', ') || 'none';
  const perturbDone = masks.filter((m) => isDone(perturbed.get(m.maskId))).length;
  const labelled = masks.filter((m) => perturbed.get(m.maskId)?.ok && !perturbed.get(m.maskId)?.target_qual_flag);
  const inpaintDone = labelled.flatMap((mask) => options.models.map((model) => inpainted.get(inpaintKey({ mask, model })))).filter((e) => e && !e.retryable).length;
  const lines = [
    `source: ${source.root} (${source.layout} layout): ${masks.length} masks used${options.limit !== undefined ? ` (--limit ${options.limit})` : ''}, skipped: ${skipped}`,
    `seed ${options.seed}; label backend ${options.labels.name} (${options.labels.languageModel}); inpainting ${options.inpainter.name}, models ${options.models.join(', ')}`,
  ];
  if (stages.has('perturb')) lines.push(`perturb: ${masks.length - perturbDone} masks to label, ${perturbDone} already done`);
  if (stages.has('inpaint')) {
    const known = labelled.length * options.models.length;
    const unknown = (masks.length - perturbDone) * options.models.length;
    lines.push(`inpaint: up to ${known - inpaintDone + unknown} images to make (${inpaintDone} already done; masks still to label count as ${options.models.length} each)`);
  }
  if (stages.has('assemble')) lines.push(`assemble: ${out}/metadata.csv (real + fake rows), original/images|masks/{dataset}/, inpainting/{dataset}/{mask_id}_{dataset}_{model}.png, generation.json`);
  if (stages.has('measure')) lines.push('measure: change metrics, QC and bins into metadata.csv (semibench measure)');
  return lines;
}
