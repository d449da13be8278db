/**
 * Caption backends (contracts.ts CaptionBackend), chosen by the same `--llm` spec as the labels: 'offline' or an
 * OpenAI-compatible server URL with `--llm-model`. BLIP (the authors' captioner) has no ONNX route here yet: a
 * BLIP served behind an OpenAI-compatible endpoint works through the URL form.
 */
import { UserError } from '../../../util/errors.js';
import type { CaptionBackend } from '../contracts.js';
import type { HttpPolicy } from '../perturb/http.js';
import { API_KEY_ENV, type LlmLog } from '../perturb/openai.js';
import type { PromptSet } from '../perturb/prompts.js';
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
