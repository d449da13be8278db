import { Xoshiro128 } from '../../../util/random.js';
import type { CaptionBackend, CaptionPerturbRequest, CaptionRequest, CaptionResult, PerturbResult } from '../contracts.js';
import { RequestFailed } from '../perturb/http.js';
import { OpenAiChat, type OpenAiOptions } from '../perturb/openai.js';
import { buildCaptionEditPrompt, type CaptionPromptSet } from './prompts.js';
import { captionWithRetries, perturbCaptionWithRetries } from './verify.js';

/**
 * Captions and caption edits from a vision-language model on an OpenAI-compatible server (the same server and
 * model as the labels): one chat request per attempt with the photo, logged to the side log like the labels'.
 * A failed request (after the HTTP retries) is a retryable failure: the photo is tried again on the next run.
 */
export class OpenAiCaptionBackend implements CaptionBackend {
  readonly name = 'openai';
  readonly captionModel: string;
  readonly languageModel: string;
  private readonly chat: OpenAiChat;

  constructor(
    private readonly options: OpenAiOptions & { captionPrompts: CaptionPromptSet },
  ) {
    this.captionModel = options.model;
    this.languageModel = options.model;
    this.chat = new OpenAiChat(options);
  }

  probe(): Promise<void> {
    return this.chat.probe();
  }

  async caption(request: CaptionRequest): Promise<CaptionResult> {
    const prompts = this.options.captionPrompts;
    try {
      return await captionWithRetries(prompts.retry, prompts.max_words, (attempt) =>
        this.chat.ask({ text: prompts.caption, image: request.image, sampling: prompts.sampling, seed: request.seed, signal: request.signal }, { image_id: request.photo.imageId, step: 'caption', attempt }),
      );
    } catch (error) {
      if (error instanceof RequestFailed) return { ok: false, reason: `LLM request failed: ${error.reason}`, attempts: 0 };
      throw error;
    }
  }

  async perturbCaption(request: CaptionPerturbRequest): Promise<PerturbResult> {
    const prompts = this.options.captionPrompts;
    const types = Object.keys(prompts.perturb);
    const rng = new Xoshiro128(request.seed);
    try {
      return await perturbCaptionWithRetries(prompts.retry, prompts.max_words, request.caption, (attempt) => {
        const type = types[rng.nextBelow(types.length)];
        const text = buildCaptionEditPrompt(prompts, type, this.options.prompts.context, request.caption, request.magnitude);
        return this.chat.ask({ text, image: request.image, sampling: prompts.sampling, seed: request.seed, signal: request.signal }, { image_id: request.photo.imageId, step: 'caption edit', attempt, prompt_type: type });
      });
    } catch (error) {
      if (error instanceof RequestFailed) return { ok: false, reason: `LLM request failed: ${error.reason}`, attempts: 0 };
      throw error;
    }
  }
}
