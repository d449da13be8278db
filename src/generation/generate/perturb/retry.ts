import type { PerturbResult } from '../contracts.js';
import { cleanAnswer, invalidReason } from './verify.js';

/**
 * The authors' attempt loop (get_llava_perts): ask, keep what follows a ':', verify; stop at the first valid
 * label or after `retry` attempts. As in their code, an answer reached only at the last attempt carries
 * target_qual_flag = true (their counter hits `retry` whether or not that answer passed); an answer that never
 * passes is a failure with the last reason, never kept.
 */
export async function perturbWithRetries(retry: number, maskName: string, ask: (attempt: number) => Promise<string>): Promise<PerturbResult> {
  let last = '';
  for (let attempt = 1; attempt <= retry; attempt++) {
    const output = cleanAnswer(await ask(attempt));
    const reason = invalidReason(output, maskName);
    if (reason === undefined) return { ok: true, label: output.trim(), attempts: attempt, targetQualFlag: attempt >= retry };
    last = `invalid label after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${reason}`;
  }
  return { ok: false, reason: last, attempts: retry };
}
