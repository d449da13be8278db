import { describe, expect, it } from 'vitest';
import { buildPrompt, loadPrompts } from '../../../src/generation/generate/perturb/prompts.js';
import { perturbWithRetries } from '../../../src/generation/generate/perturb/retry.js';
import { cleanAnswer, invalidReason } from '../../../src/generation/generate/perturb/verify.js';

// The authors' own LLaVA answers (J-Kruk/SemiTruths data/metadata_pert.json): mask name, target, target_qual_flag.
const AUTHORS_TARGETS: [string, string, boolean][] = [
  ['trees', 'Trees with no leaves', false],
  ['rider', 'Bicycle', false],
  ['Upper-clothes', 'Jacket', false],
  ['vegetation', 'Tree', false],
  ['sidewalk', 'Pavement', false],
  ['mouth', 'Mouth with slightly darker lipstick.', false],
  ['bucket', 'Trash can', false],
  ['headphones', 'Headphones with a colorful strap.', false],
  ['bagel', 'Bagel with pink frosting and sprinkles.', true],
  ['tree', 'Maple tree', false],
];

describe('verify_output', () => {
  it('passes every target the authors kept, including the flagged one (valid, but reached at the last retry)', () => {
    for (const [mask, target] of AUTHORS_TARGETS) expect(invalidReason(target, mask), `${mask} → ${target}`).toBeUndefined();
  });

  it('rejects what the authors reject, with the reason', () => {
    expect(invalidReason('', 'car')).toBe('empty');
    expect(invalidReason('a big red car with shiny new wheels and doors', 'car')).toBe('more than 8 words');
    expect(invalidReason('red car with shiny new wheels and doors', 'car')).toBeUndefined(); // exactly 8 words
    expect(invalidReason('x'.repeat(201), 'car')).toBe('over 200 characters');
    expect(invalidReason('Add a hat', 'car')).toBe('starts with "add"');
    expect(invalidReason('Adding a hat', 'car')).toBe('starts with "adding"');
    expect(invalidReason('Additional wheels', 'car')).toBeUndefined(); // "add" must be a word: 'add ' in output[:5]
    expect(invalidReason('car: red', 'car')).toBe('contains ":"');
    expect(invalidReason(' Car ', 'car')).toBe('equals the original label');
  });

  it('keeps what follows the first colon, like get_llava_perts', () => {
    expect(cleanAnswer('Answer: red car')).toBe(' red car');
    expect(invalidReason(cleanAnswer('Answer: red car'), 'car')).toBeUndefined();
    expect(invalidReason(cleanAnswer('a: b: c'), 'car')).toBe('contains ":"');
  });

  it('retries up to the authors\' count; a label found only at the last try carries target_qual_flag', async () => {
    const answers = (list: string[]) => async (attempt: number) => list[attempt - 1];
    expect(await perturbWithRetries(3, 'car', answers(['red car']))).toEqual({ ok: true, label: 'red car', attempts: 1, targetQualFlag: false });
    expect(await perturbWithRetries(3, 'car', answers(['car', 'Adding wheels', 'bus']))).toEqual({ ok: true, label: 'bus', attempts: 3, targetQualFlag: true });
    expect(await perturbWithRetries(3, 'car', answers(['car', 'car', 'car']))).toEqual({ ok: false, reason: 'invalid label after 3 attempts: equals the original label', attempts: 3 });
  });
});

describe('prompts.json', () => {
  it('holds the authors\' context, two prompt types and retry=3, hashed', () => {
    const prompts = loadPrompts();
    expect(prompts.retry).toBe(3);
    expect(Object.keys(prompts.prompts)).toEqual(['aug', 'replace']);
    expect(prompts.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(prompts.context).toContain('1. Small Semantic Change: Would not significantly alter');
    const prompt = buildPrompt(prompts, 'replace', 'parking_meter', 'large');
    expect(prompt.startsWith(prompts.context + ' what is something of a similar size and structure to the parking meter')).toBe(true);
    expect(prompt).toContain('to produce a large semantic change in the image? Return only the target object.');
  });
});
