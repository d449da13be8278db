/**
 * The authors' checks on a perturbed label (SemiTruths image_augmentation/inpainting/utils.py): get_llava_perts
 * keeps what follows the first ':' of an answer, then verify_output rejects it when it is empty, longer than 8
 * words or 200 characters, starts with "add"/"adding", still contains ':', or equals the original label.
 */

/** get_llava_perts: `output[output.find(":") + 1:]` when the answer contains a colon. */
export function cleanAnswer(output: string): string {
  const colon = output.indexOf(':');
  return colon >= 0 ? output.slice(colon + 1) : output;
}

/** Why verify_output rejects a label, or undefined when it passes. The order is the authors' `or` chain. */
export function invalidReason(output: string, maskLabel: string): string | undefined {
  if (output === '') return 'empty';
  if (output.split(/\s+/).filter(Boolean).length > 8) return 'more than 8 words';
  if (output.length > 200) return 'over 200 characters';
  if (output.slice(0, 5).toLowerCase().includes('add ')) return 'starts with "add"';
  if (output.slice(0, 8).toLowerCase().includes('adding ')) return 'starts with "adding"';
  if (output.includes(':')) return 'contains ":"';
  if (maskLabel.toLowerCase().trim() === output.toLowerCase().trim()) return 'equals the original label';
  return undefined;
}
