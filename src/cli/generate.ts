import type { CommandModule } from 'yargs';
import { DEFAULTS } from '../config/defaults.js';
import { METHODS, STAGES, type Stage } from '../generation/generate/contracts.js';
import { DIFFUSERS_EDIT_MODES, EDIT_SPECS, type DiffusersEditMode } from '../generation/generate/edit/models.js';
import { DEFAULT_HTTP } from '../generation/generate/perturb/http.js';
import { DEFAULT_METRICS_DIR } from '../generation/learned/zoo.js';
import { configOptions } from './options.js';

export interface GenerateArgs {
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
  // The pipeline (sharp, onnxruntime) is imported only when it runs: `generate --help` needs none of it.
  handler: async (args) => (await import('./generate-action.js')).generateAction(args),
};
