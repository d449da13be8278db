import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../config/index.js';
import { DEFAULTS } from '../config/defaults.js';
import { createInpaintBackend, createLabelBackend, describeUrl } from '../generation/generate/backends.js';
import { createCaptionBackend, loadCaptionPrompts, withCaptioner } from '../generation/generate/caption/index.js';
import { METHODS, type Method, type Stage } from '../generation/generate/contracts.js';
import { createEditBackend } from '../generation/generate/edit/index.js';
import { authorsMaskPreparer } from '../generation/generate/inpaint-stage.js';
import { outputPaths } from '../generation/generate/layout.js';
import { generate, planGenerate, type GenerateResult } from '../generation/generate/pipeline.js';
import { DEFAULT_HTTP } from '../generation/generate/perturb/http.js';
import { loadPrompts } from '../generation/generate/perturb/prompts.js';
import { SideLog } from '../generation/generate/state.js';
import { qcFromThresholds, SEMITRUTHS_QC, SEMITRUTHS_QC_THRESHOLDS } from '../generation/qc.js';
import { formatMeasureSummary } from '../generation/summary.js';
import { createProgress } from '../runner/progress.js';
import { UserError } from '../util/errors.js';
import type { GenerateArgs } from './generate.js';

/** `semibench generate` (src/cli/generate.ts: the flags). */
export async function generateAction(args: GenerateArgs): Promise<void> {
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
}

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
