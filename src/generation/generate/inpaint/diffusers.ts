/**
 * The "diffusers server" contract, served by tools/diffusers_server.py with the authors' exact pipelines
 * (AutoPipelineForInpainting, fp16) — any server that keeps this contract works:
 *
 *   GET  /health  → 200 {"models": ["StableDiffusion_v5", ...]}   the model values it can serve
 *   POST /inpaint   {"model", "prompt", "seed", "width", "height", "image": base64 PNG, "mask": base64 PNG}
 *                 → 200 image/png, the inpainted image of width x height
 *                 → 4xx/5xx {"error": "..."} (a 5xx is retried)
 *
 * The mask is the prepared one (masks stage); the server must not grow or blur it again.
 */
import { UserError } from '../../../util/errors.js';
import type { InpaintBackend, InpaintRequest } from '../contracts.js';
import { InpaintFailure } from './failure.js';
import { DEFAULT_HTTP, baseUrl, checkedImage, fetchWithRetry, probeJson, type HttpOptions } from './http.js';
import { AUTHORS_MODELS } from './models.js';

export class DiffusersBackend implements InpaintBackend {
  readonly name = 'diffusers';
  readonly models = Object.keys(AUTHORS_MODELS);
  private readonly url: string;
  private readonly http: HttpOptions;

  constructor(url: string, options: Partial<HttpOptions> = {}) {
    this.url = baseUrl(url, this.name);
    this.http = { ...DEFAULT_HTTP, ...options };
  }

  async probe(models: readonly string[]): Promise<void> {
    const url = `${this.url}/health`;
    const health = await probeJson<{ models?: unknown }>(url, this.name, Math.min(this.http.timeoutMs, 30_000));
    if (!Array.isArray(health.models)) throw new UserError(`${this.name}: ${url} did not answer {"models": [...]}; is this a diffusers server?`);
    const missing = models.filter((m) => !(health.models as unknown[]).includes(m));
    if (missing.length) {
      throw new UserError(`${this.name}: the server does not serve ${missing.join(', ')} (it serves: ${health.models.join(', ') || 'none'})`);
    }
  }

  async inpaint(request: InpaintRequest): Promise<Buffer> {
    const url = `${this.url}/inpaint`;
    const response = await fetchWithRetry(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: request.model,
        prompt: request.prompt,
        seed: request.seed,
        width: request.width,
        height: request.height,
        image: request.image.toString('base64'),
        mask: request.mask.toString('base64'),
      }),
    }, this.http, request.signal);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (!response.ok) {
      let detail = bytes.toString('utf8', 0, 300);
      try {
        detail = String(JSON.parse(bytes.toString()).error ?? detail);
      } catch { /* not JSON: keep the text */ }
      throw new InpaintFailure(`http ${response.status}`, `${this.name} /inpaint answered ${response.status}: ${detail}`);
    }
    return checkedImage(bytes, request.width, request.height, `${this.name} /inpaint`);
  }
}
