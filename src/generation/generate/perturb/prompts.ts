import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../../util/errors.js';
import type { Magnitude } from '../contracts.js';

/** The authors' label-perturbation wording, kept as data (prompts.json) so it can be read, diffed and replaced. */
export interface PromptSet {
  file: string;
  /** sha256 of the file's bytes, recorded in generation.json. */
  sha256: string;
  context: string;
  /** Prompt templates by type; {context}, {mask} and {magnitude} are filled in. One type is drawn per attempt. */
  prompts: Record<string, string>;
  /** Attempts per mask (the authors' retry=3). */
  retry: number;
  sampling: { temperature: number; top_p: number; max_tokens: number };
}

export const DEFAULT_PROMPTS_FILE = fileURLToPath(new URL('./prompts.json', import.meta.url));

export function loadPrompts(file = DEFAULT_PROMPTS_FILE): PromptSet {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new UserError(`Prompt file not found: ${file}`, 'E_DATA');
  }
  const data = JSON.parse(bytes.toString('utf8')) as Omit<PromptSet, 'file' | 'sha256'>;
  const types = Object.keys(data.prompts ?? {});
  if (typeof data.context !== 'string' || types.length === 0 || !(Number.isInteger(data.retry) && data.retry >= 1)) {
    throw new UserError(`${file}: needs "context" (text), "prompts" ({type: template}) and "retry" (a positive integer).`, 'E_DATA');
  }
  return { ...data, file, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The prompt the authors build in mask_change_inference: underscores in the label read as spaces. */
export function buildPrompt(prompts: PromptSet, type: string, maskName: string, magnitude: Magnitude): string {
  const mask = maskName.replaceAll('_', ' ');
  return prompts.prompts[type]
    .replaceAll('{context}', prompts.context)
    .replaceAll('{mask}', mask)
    .replaceAll('{magnitude}', magnitude);
}
