import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../../util/errors.js';
import type { Magnitude } from '../contracts.js';

/** The caption and caption-edit wording, kept as data (prompts.json) like the label prompts. */
export interface CaptionPromptSet {
  file: string;
  /** sha256 of the file's bytes, recorded in generation.json. */
  sha256: string;
  /** The captioning prompt. */
  caption: string;
  /** Caption-edit templates by type; {context}, {caption} and {magnitude} are filled in. One type is drawn per attempt. */
  perturb: Record<string, string>;
  /** Attempts per caption and per caption edit (as the label prompts' retry). */
  retry: number;
  /** The longest caption kept, in words (a caption's version of the labels' 8-word rule). */
  max_words: number;
  sampling: { temperature: number; top_p: number; max_tokens: number };
}

export const DEFAULT_CAPTION_PROMPTS_FILE = fileURLToPath(new URL('./prompts.json', import.meta.url));

export function loadCaptionPrompts(file = DEFAULT_CAPTION_PROMPTS_FILE): CaptionPromptSet {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new UserError(`Caption prompt file not found: ${file}`, 'E_DATA');
  }
  const data = JSON.parse(bytes.toString('utf8')) as Omit<CaptionPromptSet, 'file' | 'sha256'>;
  const positive = (n: unknown) => Number.isInteger(n) && (n as number) >= 1;
  if (typeof data.caption !== 'string' || Object.keys(data.perturb ?? {}).length === 0 || !positive(data.retry) || !positive(data.max_words)) {
    throw new UserError(`${file}: needs "caption" (text), "perturb" ({type: template}), "retry" and "max_words" (positive integers).`, 'E_DATA');
  }
  return { ...data, file, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function buildCaptionEditPrompt(prompts: CaptionPromptSet, type: string, context: string, caption: string, magnitude: Magnitude): string {
  return prompts.perturb[type].replaceAll('{context}', context).replaceAll('{caption}', caption).replaceAll('{magnitude}', magnitude);
}
