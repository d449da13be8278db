/**
 * Caption backends (contracts.ts CaptionBackend), chosen by the same `--llm` spec as the labels: 'offline' or an
 * OpenAI-compatible server URL with `--llm-model`. `--caption blip:DIR` (withCaptioner) takes the captions from
 * the authors' BLIP exported to ONNX (tools/export/blip_caption.py) and leaves the caption edits to that backend.
 */
import { UserError } from '../../../util/errors.js';
import type { CaptionBackend } from '../contracts.js';
import type { HttpPolicy } from '../perturb/http.js';
import { API_KEY_ENV, type LlmLog } from '../perturb/openai.js';
import type { PromptSet } from '../perturb/prompts.js';
import { BlipCaptionBackend } from './blip.js';
import { OfflineCaptionBackend } from './offline.js';
import { OpenAiCaptionBackend } from './openai.js';
import type { CaptionPromptSet } from './prompts.js';

export { loadCaptionPrompts, type CaptionPromptSet } from './prompts.js';

export function createCaptionBackend(spec: string, model: string | undefined, captionPrompts: CaptionPromptSet, prompts: PromptSet, log?: LlmLog, http?: HttpPolicy): CaptionBackend {
  if (spec === 'offline') return new OfflineCaptionBackend(captionPrompts, prompts);
  if (!/^https?:\/\//.test(spec)) throw new UserError(`--llm must be 'offline' or an http(s) URL of an OpenAI-compatible server, not '${spec}'.`);
  if (!model) throw new UserError(`--llm ${spec} needs --llm-model NAME (the model the server serves).`);
  return new OpenAiCaptionBackend({ url: spec, model, prompts, captionPrompts, apiKey: process.env[API_KEY_ENV] || undefined, log, http });
}

/** `--caption`: 'llm' (the `--llm` backend captions too) or `blip:DIR` (BLIP captions, `--llm` edits them). */
export function withCaptioner(spec: string, editor: CaptionBackend, captionPrompts: CaptionPromptSet): CaptionBackend {
  if (spec === 'llm') return editor;
  if (spec === 'blip' || spec === 'blip:') throw new UserError('--caption blip needs the model folder, e.g. blip:models/blip-caption-large (tools/export/blip_caption.py makes it).');
  if (!spec.startsWith('blip:')) throw new UserError(`--caption must be 'llm' or blip:DIR (a BLIP export from tools/export/blip_caption.py), not '${spec}'.`);
  return new BlipCaptionBackend(spec.slice('blip:'.length), editor, captionPrompts);
}
