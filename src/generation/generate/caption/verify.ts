/**
 * The label checks (../perturb/verify.ts, the authors' verify_output) applied to captions: the text after the first
 * ':' is kept, and a caption is rejected when it is empty, longer than `max_words` words (a caption's version of
 * the 8-word label rule) or 200 characters, starts with "add"/"adding", still contains ':', or (an edited caption)
 * equals the original. Quotes around the whole answer are dropped first (chat models quote captions).
 */
import type { PerturbResult } from '../contracts.js';
import { cleanAnswer } from '../perturb/verify.js';
import type { CaptionResult } from '../contracts.js';

export function cleanCaption(output: string): string {
  return cleanAnswer(output).trim().replace(/^"(.*)"$/s, '$1').replace(/^'(.*)'$/s, '$1').trim();
}

/** Why a caption is rejected, or undefined; `original` is set for an edited caption. */
export function invalidCaptionReason(output: string, maxWords: number, original?: string): string | undefined {
  if (output === '') return 'empty';
  if (output.split(/\s+/).filter(Boolean).length > maxWords) return `more than ${maxWords} words`;
  if (output.length > 200) return 'over 200 characters';
  if (output.slice(0, 5).toLowerCase().includes('add ')) return 'starts with "add"';
  if (output.slice(0, 8).toLowerCase().includes('adding ')) return 'starts with "adding"';
  if (output.includes(':')) return 'contains ":"';
  if (original !== undefined && original.toLowerCase().trim() === output.toLowerCase().trim()) return 'equals the original caption';
  return undefined;
}

/** A caption, asked up to `retry` times until one passes. */
export async function captionWithRetries(retry: number, maxWords: number, ask: (attempt: number) => Promise<string>): Promise<CaptionResult> {
  let last = '';
  for (let attempt = 1; attempt <= retry; attempt++) {
    const output = cleanCaption(await ask(attempt));
    const reason = invalidCaptionReason(output, maxWords);
    if (reason === undefined) return { ok: true, caption: output, attempts: attempt };
    last = `invalid caption after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${reason}`;
  }
  return { ok: false, reason: last, attempts: retry };
}

/** An edited caption, with the label rules' retry count and target_qual_flag (an answer reached only at the last attempt). */
export async function perturbCaptionWithRetries(retry: number, maxWords: number, original: string, ask: (attempt: number) => Promise<string>): Promise<PerturbResult> {
  let last = '';
  for (let attempt = 1; attempt <= retry; attempt++) {
    const output = cleanCaption(await ask(attempt));
    const reason = invalidCaptionReason(output, maxWords, original);
    if (reason === undefined) return { ok: true, label: output, attempts: attempt, targetQualFlag: attempt >= retry };
    last = `invalid caption edit after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${reason}`;
  }
  return { ok: false, reason: last, attempts: retry };
}
