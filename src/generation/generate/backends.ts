import { UserError } from '../../util/errors.js';
import type { LabelBackend } from './contracts.js';
import { OfflineLabelBackend } from './perturb/offline.js';
import { API_KEY_ENV, OpenAiLabelBackend, type LlmLog } from './perturb/openai.js';
import type { HttpPolicy } from './perturb/http.js';
import type { PromptSet } from './perturb/prompts.js';

/** `--llm offline` or `--llm URL --llm-model NAME` (the key, if any, from $SEMIBENCH_LLM_API_KEY). */
export function createLabelBackend(spec: string, model: string | undefined, prompts: PromptSet, log?: LlmLog, http?: HttpPolicy): LabelBackend {
  if (spec === 'offline') return new OfflineLabelBackend(prompts);
  if (!/^https?:\/\//.test(spec)) throw new UserError(`--llm must be 'offline' or an http(s) URL of an OpenAI-compatible server, not '${spec}'.`);
  if (!model) throw new UserError(`--llm ${spec} needs --llm-model NAME (the model the server serves).`);
  return new OpenAiLabelBackend({ url: spec, model, prompts, apiKey: process.env[API_KEY_ENV] || undefined, log, http });
}

/** The URL to record in generation.json (no credentials: user:password@ is dropped). */
export function describeUrl(spec: string): string | undefined {
  const match = /https?:\/\/\S+/.exec(spec);
  if (!match) return undefined;
  const url = new URL(match[0]);
  url.username = '';
  url.password = '';
  return url.toString();
}

export { createInpaintBackend, INPAINT_SPECS } from './inpaint/index.js';
