/**
 * What the HTTP generation backends (inpainting and editing) share: one request with a per-request timeout and
 * retries with exponential backoff on server errors (5xx), timeouts and dropped connections, and the check every
 * answer goes through (an image, the requested size, not a blank safety-filtered frame) before it counts.
 */
import sharp from 'sharp';
import { decodeImage } from '../../../image/decode.js';
import { encodeRgbPng } from '../../../image/grey.js';
import { UserError, errorMessage } from '../../../util/errors.js';
import { BackendFailure } from '../failure.js';

export interface HttpOptions {
  /** Per request (one try), in milliseconds. Diffusion takes a while: the default is generous. */
  timeoutMs: number;
  /** Further tries after the first, on 5xx, timeouts and dropped connections. */
  retries: number;
  /** Wait before the first retry; doubled for each further one. */
  backoffMs: number;
}

export const DEFAULT_HTTP: HttpOptions = { timeoutMs: 300_000, retries: 2, backoffMs: 2_000 };

/** The HTTP policy out of a backend's options: the defaults for what is absent (or undefined, as an unset CLI flag). */
export function httpPolicy(options: Partial<HttpOptions>): HttpOptions {
  return {
    timeoutMs: options.timeoutMs ?? DEFAULT_HTTP.timeoutMs,
    retries: options.retries ?? DEFAULT_HTTP.retries,
    backoffMs: options.backoffMs ?? DEFAULT_HTTP.backoffMs,
  };
}

/** What every server backend is built with (the factories pass it through): HTTP policy, checkpoints, workflow. */
export interface ServerOptions extends Partial<HttpOptions> {
  /** model value → WebUI checkpoint name (a1111, comfyui); merged over the backend's default checkpoints. */
  checkpoints?: Record<string, string>;
  /** ComfyUI workflow template (API format) with {{placeholders}}; the backend's bundled one when absent. */
  workflow?: string;
}

/**
 * Stable Diffusion works on 8x8-pixel latent cells: a server refuses (diffusers server) or silently crops or rounds
 * down (ComfyUI's VAEEncode, A1111) any other size, and the answer would not match the photo. Checked before any
 * request, so that such a photo fails at once with the reason instead of after a GPU run.
 */
export function checkLatentSize(width: number, height: number, backend: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width % 8 || height % 8) {
    throw new BackendFailure('size not a multiple of 8', `${backend}: the photo is ${width}x${height}; Stable Diffusion needs both sides to be positive multiples of 8 (resize or crop the source photo)`);
  }
}

/** The base URL of a backend, without a trailing slash; a malformed one is a user error. */
export function baseUrl(url: string, backend: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`${backend}: '${url}' is not a URL (expected e.g. http://127.0.0.1:7860)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UserError(`${backend}: '${url}' must be an http:// or https:// URL`);
  }
  return parsed.href.replace(/\/+$/, '');
}

/** Waits `ms`; an abort of `signal` rejects at once with its reason. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * fetch with the per-try timeout and the retry policy. Resolves with the first 2xx/4xx answer (a 4xx is the
 * caller's to explain); throws BackendFailure 'timeout', 'http NNN' or 'unreachable' after the last try.
 * An abort of `signal` (the run is stopping) is rethrown at once, never retried.
 */
export async function fetchWithRetry(url: string, init: RequestInit, opts: HttpOptions, signal?: AbortSignal): Promise<Response> {
  let failure: BackendFailure | undefined;
  for (let attempt = 0; attempt <= opts.retries; attempt++) {
    if (attempt > 0) await sleep(opts.backoffMs * 2 ** (attempt - 1), signal);
    signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await fetch(url, { ...init, signal: combined });
      if (response.status < 500) return response;
      const body = (await response.text().catch(() => '')).slice(0, 200);
      failure = new BackendFailure(`http ${response.status}`, `${init.method ?? 'GET'} ${url} answered ${response.status} ${body}`.trim(), { retryable: true });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        failure = new BackendFailure('timeout', `${init.method ?? 'GET'} ${url} gave no answer within ${opts.timeoutMs} ms`, { retryable: true, cause: error });
      } else {
        const cause = (error as { cause?: unknown }).cause;
        failure = new BackendFailure('unreachable', `${init.method ?? 'GET'} ${url}: ${errorMessage(cause ?? error)}`, { retryable: true, cause: error });
      }
    }
  }
  throw failure!;
}

/** Reads a 2xx answer as JSON, or fails with what the server said. */
export async function jsonAnswer<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new BackendFailure(`http ${response.status}`, `${what} answered ${response.status}: ${text.slice(0, 300)}`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new BackendFailure('bad answer', `${what} did not answer JSON: ${text.slice(0, 120)}`);
  }
}

/**
 * Checks an image a server sent back and returns it as PNG: not decodable → 'not an image'; another size than
 * asked → 'wrong size'; every pixel the same colour → 'blank image' (diffusers' and A1111's safety checkers
 * answer an all-black frame). A JPEG or WebP answer is re-encoded losslessly as PNG from its decoded pixels.
 */
export async function checkedImage(bytes: Buffer, width: number, height: number, what: string): Promise<Buffer> {
  let format: string | undefined;
  try {
    format = (await sharp(bytes).metadata()).format;
  } catch {
    format = undefined;
  }
  if (!format || !['png', 'jpeg', 'webp'].includes(format)) {
    const head = bytes.subarray(0, 16).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
    throw new BackendFailure('not an image', `${what} sent ${bytes.length} bytes that are not a PNG/JPEG/WebP image ('${head}')`);
  }
  const img = await decodeImage(bytes).catch((error) => {
    throw new BackendFailure('not an image', `${what} sent a ${format} that cannot be decoded (${errorMessage(error)})`);
  });
  if (img.width !== width || img.height !== height) {
    throw new BackendFailure('wrong size', `${what} sent ${img.width}x${img.height}, asked for ${width}x${height}`);
  }
  const d = img.data;
  let uniform = true;
  for (let i = 3; i < d.length && uniform; i += 3) uniform = d[i] === d[0] && d[i + 1] === d[1] && d[i + 2] === d[2];
  if (uniform) {
    throw new BackendFailure('blank image', `${what} sent a uniform (${d[0]},${d[1]},${d[2]}) image, as a safety filter does`);
  }
  return format === 'png' ? bytes : encodeRgbPng(img);
}

/** A probe that cannot reach the server is a one-line user error. */
export async function probeJson<T>(url: string, backend: string, timeoutMs: number): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    throw new UserError(`${backend}: cannot reach ${url} (${errorMessage(cause ?? error)}); is the server running?`);
  }
  const text = await response.text();
  if (!response.ok) throw new UserError(`${backend}: ${url} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UserError(`${backend}: ${url} did not answer JSON; is this the right server and port?`);
  }
}

/** The local servers' usual ports, for the hint when a backend spec lacks its URL. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { a1111: 7860, comfyui: 8188, diffusers: 8000 };

/**
 * Splits a backend spec ('offline', 'a1111:URL', ...) into its kind and URL. `url()` is for the server kinds:
 * a missing URL is a one-line UserError naming the flag and an example.
 */
export function parseBackendSpec(spec: string, flag: string): { kind: string; url: () => string } {
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(':');
  const kind = colon > 0 ? trimmed.slice(0, colon) : trimmed;
  const url = colon > 0 ? trimmed.slice(colon + 1) : '';
  return {
    kind,
    url: () => {
      if (!url) throw new UserError(`${flag} ${kind} needs the server URL, e.g. ${kind}:http://127.0.0.1:${DEFAULT_PORTS[kind] ?? 8000}`);
      return url;
    },
  };
}
