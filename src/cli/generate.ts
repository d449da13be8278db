import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadConfig } from '../config/index.js';
import { DEFAULTS } from '../config/defaults.js';
import { createInpaintBackend, createLabelBackend, describeUrl } from '../generation/generate/backends.js';
import { createCaptionBackend, loadCaptionPrompts, withCaptioner } from '../generation/generate/caption/index.js';
import { METHODS, type Method } from '../generation/generate/contracts.js';
import { createEditBackend, DIFFUSERS_EDIT_MODES, EDIT_SPECS, type DiffusersEditMode } from '../generation/generate/edit/index.js';
import { authorsMaskPreparer } from '../generation/generate/inpaint-stage.js';
import { outputPaths } from '../generation/generate/layout.js';
import { generate, planGenerate, STAGES, type GenerateResult, type Stage } from '../generation/generate/pipeline.js';
import { DEFAULT_HTTP } from '../generation/generate/perturb/http.js';
import { loadPrompts } from '../generation/generate/perturb/prompts.js';
import { SideLog } from '../generation/generate/state.js';
import { DEFAULT_METRICS_DIR } from '../generation/learned/registry.js';
import { qcFromThresholds, SEMITRUTHS_QC, SEMITRUTHS_QC_THRESHOLDS } from '../generation/qc.js';
import { formatMeasureSummary } from '../generation/summary.js';
import { createProgress } from '../runner/progress.js';
import { UserError } from '../util/errors.js';
import { configOptions } from './options.js';

interface GenerateArgs {
  stage: Stage | 'all';
  input?: string;
  out: string;
  llm?: string;
  'llm-model'?: string;
  caption: string;
  inpaint?: string;
  models?: string;
  methods?: string;
  edit?: string;
  'edit-models'?: string;
  limit?: number;
  seed?: number;
  concurrency?: number;
  timeout: number;
  checkpoints?: string;
  workflow?: string;
  'edit-workflow'?: string;
  'edit-mode'?: DiffusersEditMode;
  plan: boolean;
  'metrics-dir': string;
  learned: boolean;
  brisque: boolean;
  config?: string;
}

export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate [stage]',
  describe: 'Regenerate an eval set from source photos + masks: perturb labels, inpaint, assemble, measure (resumable)',
  builder: (y) =>
    y
      .positional('stage', { choices: ['all', ...STAGES] as const, default: 'all' as const, describe: 'Run one stage alone (default: all, in order)' })
      .option('input', { type: 'string', describe: 'Source set: the authors\' data/input layout (metadata.csv) or images/ + masks/' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output folder: becomes the eval set (semibench run --data OUT)' })
      .option('llm', { type: 'string', describe: `Label backend: offline (WordNet) or an OpenAI-compatible server URL (API key from $SEMIBENCH_LLM_API_KEY) [default: ${DEFAULTS.generate.llm}]` })
      .option('llm-model', { type: 'string', describe: 'The model name the LLM server serves' })
      .option('caption', { type: 'string', default: 'llm', describe: 'p2p captions: llm (the --llm backend) or blip:DIR (the authors\' BLIP exported by tools/export/blip_caption.py; --llm still edits the captions)' })
      .option('inpaint', { type: 'string', describe: `Inpainting backend: classical | a1111:URL | comfyui:URL | diffusers:URL [default: ${DEFAULTS.generate.inpaint}]` })
      .option('models', { type: 'string', describe: 'Inpainting models, comma-separated (default: every model of the backend)' })
      .option('methods', { type: 'string', describe: `Editing methods, comma-separated: ${METHODS.join(', ')} (p2p = prompt-based editing from captions) [default: ${DEFAULTS.generate.methods.join(',')}]` })
      .option('edit', { type: 'string', describe: `p2p editing backend: ${EDIT_SPECS} [default: ${DEFAULTS.generate.edit}]` })
      .option('edit-models', { type: 'string', describe: 'p2p editing models, comma-separated (default: every model of the editing backend)' })
      .option('limit', { type: 'number', describe: 'Use only the first N usable source masks' })
      .option('seed', { type: 'number', describe: `Run seed: magnitudes, prompt types and inpainting seeds derive from it [default: ${DEFAULTS.generate.seed}]` })
      .option('concurrency', { type: 'number', describe: `Items in flight per backend [default: ${DEFAULTS.generate.concurrency}]` })
      .option('timeout', { type: 'number', default: DEFAULT_HTTP.timeoutMs / 1000, describe: 'Seconds per LLM request before it counts as a timeout (retried with backoff, like a 5xx)' })
      .option('checkpoints', { type: 'string', describe: 'a1111/comfyui: JSON file {"StableDiffusion_v5": "checkpoint name", ...} over the default names' })
      .option('workflow', { type: 'string', describe: '--inpaint comfyui: a workflow template (API format, {{placeholders}}) instead of the bundled one' })
      .option('edit-workflow', { type: 'string', describe: '--edit comfyui: a workflow template (API format, {{placeholders}}) instead of the bundled img2img one' })
      .option('edit-mode', { choices: DIFFUSERS_EDIT_MODES, describe: '--edit diffusers: p2p (the authors\' null-text inversion + prompt-to-prompt), img2img, or instruct-pix2pix (model InstructPix2Pix, not the authors\') [default: p2p]' })
      .option('plan', { type: 'boolean', default: false, describe: 'Print what would run (counts per stage, backends, outputs) and call nothing' })
      .option('metrics-dir', { type: 'string', default: DEFAULT_METRICS_DIR, describe: 'Folder of metric models for the measure stage' })
      .option('learned', { type: 'boolean', default: true, describe: 'Compute the learned metrics in the measure stage (--no-learned: pixel metrics only)' })
      .option('brisque', { type: 'boolean', default: true, describe: 'Compute BRISQUE of both images (the QC gate\'s brisque_score_perturb rule; --no-brisque: keep input values)' })
      .option('config', configOptions.config)
      .example('$0 generate --input data/input --out gen --llm offline --inpaint classical', 'a whole eval set on a CPU, no model weights')
      .example('$0 generate --input data/input --out gen --llm http://127.0.0.1:8000 --llm-model llava-hf/llava-v1.6-mistral-7b-hf --inpaint a1111:http://127.0.0.1:7860', 'with real servers')
      .example('$0 generate --input data/input --out gen --methods inpainting,p2p --llm offline --inpaint classical --edit offline', 'both editing methods, no model weights')
      .example('$0 generate inpaint --input data/input --out gen', 'one stage alone'),
  handler: async (args) => {
    const config = await loadConfig(args.config);
    const settings = { ...DEFAULTS.generate, ...config.generate };
    const llm = args.llm ?? settings.llm;
    const seed = args.seed ?? settings.seed;
    const concurrency = args.concurrency ?? settings.concurrency;
    if (!Number.isInteger(seed)) throw new UserError('--seed must be an integer.');
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new UserError('--concurrency must be an integer of at least 1.');
    if (!(args.timeout > 0)) throw new UserError('--timeout must be a positive number of seconds.');
    if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit >= 0)) throw new UserError('--limit must be a whole number.');
    const methods = parseMethods(args.methods ?? settings.methods.join(','));
    const editSpec = args.edit ?? settings.edit;
    const stages: readonly Stage[] | undefined = args.stage === 'all' ? undefined : [args.stage];
    if (!args.input) throw new UserError('Name the source set: --input DIR (metadata.csv in the authors\' layout, or images/ + masks/).');
    const out = resolve(args.out);
    const prompts = loadPrompts();
    const sideLog = args.plan ? undefined : new SideLog(outputPaths(out).llmLog);
    try {
      const http = { ...DEFAULT_HTTP, timeoutMs: args.timeout * 1000 };
      const labels = createLabelBackend(llm, args['llm-model'] ?? settings.llmModel, prompts, sideLog && ((entry) => sideLog.write(entry)), http);
      const inpaintSpec = args.inpaint ?? settings.inpaint;
      const checkpoints = args.checkpoints ? readJsonFile(args.checkpoints) : undefined;
      const inpainter = createInpaintBackend(inpaintSpec, { checkpoints, workflow: args.workflow });
      const models = args.models ? args.models.split(',').map((m) => m.trim()).filter(Boolean) : (settings.models ?? [...inpainter.models]);
      const log = sideLog && ((entry: Record<string, unknown>) => sideLog.write(entry));
      let p2p;
      if (methods.includes('p2p')) {
        const editor = createEditBackend(editSpec, { checkpoints, workflow: args['edit-workflow'], editMode: args['edit-mode'] });
        const captionPrompts = loadCaptionPrompts();
        p2p = {
          captions: withCaptioner(args.caption, createCaptionBackend(llm, args['llm-model'] ?? settings.llmModel, captionPrompts, prompts, log, http), captionPrompts),
          captionPrompts,
          editor,
          models: args['edit-models'] ? args['edit-models'].split(',').map((m) => m.trim()).filter(Boolean) : (settings.editModels ?? [...editor.models]),
        };
      }
      const common = { input: resolve(args.input), out, labels, inpainter, models, limit: args.limit, seed, stages, methods, p2p };
      if (args.plan) {
        for (const line of await planGenerate(common)) console.log(line);
        return;
      }
      const qc = config.qc === SEMITRUTHS_QC_THRESHOLDS ? SEMITRUTHS_QC : qcFromThresholds(config.qc, 'bench.config.ts qc');
      const result = await generate({
        ...common,
        prompts,
        prepareMask: authorsMaskPreparer,
        concurrency,
        metricsDir: resolve(args['metrics-dir']),
        noLearned: !args.learned,
        noBrisque: !args.brisque,
        qc,
        describe: { llm: describeUrl(llm), inpaint: describeUrl(inpaintSpec), edit: p2p ? describeUrl(editSpec) : undefined },
        progress: createProgress(),
      });
      console.log(formatGenerateSummary(result, out));
    } finally {
      sideLog?.close();
    }
  },
};

function parseMethods(text: string): Method[] {
  const methods = text.split(',').map((m) => m.trim()).filter(Boolean);
  for (const method of methods) {
    if (!(METHODS as readonly string[]).includes(method)) throw new UserError(`--methods: unknown method '${method}' (expected ${METHODS.join(', ')}, comma-separated).`);
  }
  if (methods.length === 0) throw new UserError(`--methods needs at least one of ${METHODS.join(', ')}.`);
  return [...new Set(methods)] as Method[];
}

function readJsonFile(file: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (error) {
    throw new UserError(`--checkpoints ${file}: ${(error as Error).message}`);
  }
}

/** The end-of-run lines: counts per stage and per failure reason. */
export function formatGenerateSummary(result: GenerateResult, out: string): string {
  const skipped = Object.entries(result.source.skipped).map(([r, n]) => `${n} ${r}`).join(', ');
  const lines = [`source: ${result.source.used} masks${skipped ? ` (skipped: ${skipped})` : ''}`];
  const stage = (name: string, c: { items: number; ok: number; failed: number; alreadyDone: number; failures: Record<string, number> }, extra = '') => {
    lines.push(`${name}: ${c.ok}/${c.items} ok, ${c.failed} failed${c.alreadyDone ? ` (${c.alreadyDone} done earlier)` : ''}${extra}`);
    for (const [reason, n] of Object.entries(c.failures).sort((a, b) => b[1] - a[1])) lines.push(`  ${n} × ${reason}`);
  };
  if (result.perturb) stage('perturb', result.perturb);
  if (result.inpaint) stage('inpaint', result.inpaint, result.inpaint.qualFlagged ? `; ${result.inpaint.qualFlagged} labels left out (target_qual_flag)` : '');
  if (result.caption) stage('caption', result.caption);
  if (result.edit) stage('edit', result.edit, result.edit.qualFlagged ? `; ${result.edit.qualFlagged} edited captions left out (target_qual_flag)` : '');
  if (result.assemble) lines.push(`assemble: ${result.assemble.real} real + ${result.assemble.fake} fake rows in ${out}/metadata.csv`);
  if (result.measure) lines.push(formatMeasureSummary(result.measure));
  return lines.join('\n');
}
