/**
 * The "diffusers server" (tools/diffusers_server.py, or any server keeping its contract), as the inpainting and
 * editing backends reach it:
 *
 *   GET  /health  → 200 {"models": [...], "edit_models": [...]}   the model values it serves per endpoint
 *   POST /inpaint | /edit   a JSON request (see inpaint/diffusers.ts, edit/diffusers.ts)
 *                 → 200 image/png of the requested width x height
 *                 → 4xx/5xx {"error": "..."} (a 5xx is retried)
 */
import { UserError } from '../../../util/errors.js';
import { BackendFailure } from '../failure.js';
import { baseUrl, checkedImage, fetchWithRetry, probeJson, httpPolicy, type HttpOptions } from './http.js';

export class DiffusersClient {
  readonly url: string;
  readonly http: HttpOptions;

  constructor(url: string, private readonly name: string, http: Partial<HttpOptions>) {
    this.url = baseUrl(url, name);
    this.http = httpPolicy(http);
  }

  /**
   * Checks that /health lists every one of `models` under `field` ('models' for /inpaint, 'edit_models' for
   * /edit); returns the whole answer for further checks.
   */
  async probe(field: 'models' | 'edit_models', models: readonly string[]): Promise<Record<string, unknown>> {
    const url = `${this.url}/health`;
    const health = await probeJson<Record<string, unknown>>(url, this.name, Math.min(this.http.timeoutMs, 30_000));
    const served = health?.[field];
    if (!Array.isArray(served)) {
      throw new UserError(`${this.name}: ${url} did not answer {"${field}": [...]}; is this a diffusers server (tools/diffusers_server.py) of this version?`);
    }
    const missing = models.filter((m) => !served.includes(m));
    if (missing.length) {
      throw new UserError(`${this.name}: the server does not serve ${missing.join(', ')} (it serves: ${served.join(', ') || 'none'})`);
    }
    return health;
  }

  /** POSTs `body` as JSON to `path`; the answer must be an image of width x height. */
  async post(path: string, body: Record<string, unknown>, width: number, height: number, signal?: AbortSignal): Promise<Buffer> {
    const response = await fetchWithRetry(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }, this.http, signal);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (!response.ok) {
      let detail = bytes.toString('utf8', 0, 300);
      try {
        detail = String(JSON.parse(bytes.toString()).error ?? detail);
      } catch { /* not JSON: keep the text */ }
      throw new BackendFailure(`http ${response.status}`, `${this.name} ${path} answered ${response.status}: ${detail}`);
    }
    return checkedImage(bytes, width, height, `${this.name} ${path}`);
  }
}
