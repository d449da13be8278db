import { Xoshiro128 } from '../../../util/random.js';
import type { CaptionBackend, CaptionPerturbRequest, CaptionRequest, CaptionResult, PerturbResult, SourcePhoto } from '../contracts.js';
import { OfflineLabelBackend } from '../perturb/offline.js';
import type { PromptSet } from '../perturb/prompts.js';
import type { CaptionPromptSet } from './prompts.js';
import { captionWithRetries, perturbCaptionWithRetries } from './verify.js';

export const OFFLINE_CAPTION_MODEL = 'offline-entities';

/**
 * Captions with no model and no network, deterministic:
 * - the caption lists the photo's objects: its `entities` (the source CSV's Python list), else its `class`, else
 *   its masks' labels: "a photo of a car and a tree";
 * - the edit swaps one of those objects (drawn from the seed) for what the offline label backend (WordNet) makes
 *   of it at the asked magnitude: small "a red car", medium "a bus", large "a tulip".
 * Both pass the caption checks with their retries, like a model's answers. It never looks at the photo.
 */
export class OfflineCaptionBackend implements CaptionBackend {
  readonly name = 'offline';
  readonly captionModel = OFFLINE_CAPTION_MODEL;
  readonly languageModel: string;
  private readonly labels: OfflineLabelBackend;

  constructor(
    private readonly prompts: CaptionPromptSet,
    labelPrompts: PromptSet,
  ) {
    this.labels = new OfflineLabelBackend(labelPrompts);
    this.languageModel = this.labels.languageModel;
  }

  probe(): Promise<void> {
    return this.labels.probe();
  }

  async caption(request: CaptionRequest): Promise<CaptionResult> {
    const objects = photoObjects(request.photo);
    if (objects.length === 0) return { ok: false, reason: 'offline: the photo names no object (entities, class and mask labels are empty)', attempts: 0 };
    return captionWithRetries(this.prompts.retry, this.prompts.max_words, async () => `a photo of ${listing(objects.map(withArticle))}`);
  }

  async perturbCaption(request: CaptionPerturbRequest): Promise<PerturbResult> {
    const objects = photoObjects(request.photo).filter((o) => phrase(o).test(request.caption));
    if (objects.length === 0) return { ok: false, reason: 'offline: the caption names none of the photo\'s objects', attempts: 0 };
    const rng = new Xoshiro128(request.seed);
    return perturbCaptionWithRetries(this.prompts.retry, this.prompts.max_words, request.caption, async () => {
      const object = objects[rng.nextBelow(objects.length)];
      const swap = await this.labels.perturb({ mask: { ...request.photo.masks[0], maskName: object }, magnitude: request.magnitude, seed: rng.nextUint32(), image: request.image });
      return swap.ok ? request.caption.replace(phrase(object), withArticle(swap.label)) : '';
    });
  }
}

/** The objects a photo names: its entities list, else its class list, else its masks' labels; each once, in order. */
export function photoObjects(photo: SourcePhoto): string[] {
  const first = photo.masks[0];
  for (const cell of [first.entities, first.className]) {
    const items = pythonList(cell);
    if (items.length > 0) return [...new Set(items)];
  }
  return [...new Set(photo.masks.map((m) => m.maskName.replace(/\d/g, '').replaceAll('_', ' ').trim()).filter(Boolean))];
}

/** The strings of a Python list literal ("['car', 'tree']"); a plain cell is read as comma-separated. */
function pythonList(cell: string): string[] {
  const text = cell.trim();
  const items = text.startsWith('[') ? [...text.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]) : text.split(',');
  return items.map((s) => s.replaceAll('_', ' ').trim()).filter(Boolean);
}

/** "a car", "an apple"; a plural (trees) or a mass noun phrase is left bare. */
function withArticle(noun: string): string {
  if (/[^s]s$/i.test(noun)) return noun;
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

/** The object with its article as a whole phrase of the caption ("a car", not "a cart"). */
function phrase(noun: string): RegExp {
  return new RegExp(`\\b${withArticle(noun).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);
}

/** "a", "a and b", "a, b and c". */
function listing(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
