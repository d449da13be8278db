import { UserError } from '../../../util/errors.js';

/** How a backend talks HTTP: a timeout per request, and retries with exponential backoff on 5xx and timeouts. */
export interface HttpPolicy {
  timeoutMs: number;
  /** Extra tries after the first, for 5xx answers, timeouts and dropped connections. */
  retries: number;
  /** Wait before the first retry; doubles each time. */
  backoffMs: number;
}

export const DEFAULT_HTTP: HttpPolicy = { timeoutMs: 120_000, retries: 3, backoffMs: 1000 };

/** A request that failed for good: `reason` is short (for the failure counts), the message has the detail. */
export class RequestFailed extends Error {
  constructor(
    readonly reason: string,
    detail = reason,
  ) {
    super(detail);
  }
}

/**
 * fetch with the policy: a 5xx, a timeout or a network error is retried; any other non-2xx fails at once.
 * Returns the response of the first 2xx.
 */
export async function fetchWithRetries(url: string, init: RequestInit, policy: HttpPolicy, outer?: AbortSignal): Promise<Response> {
  let reason = '';
  let detail = '';
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (attempt > 0) await sleep(policy.backoffMs * 2 ** (attempt - 1), outer);
    const signal = outer ? AbortSignal.any([outer, AbortSignal.timeout(policy.timeoutMs)]) : AbortSignal.timeout(policy.timeoutMs);
    try {
      const response = await fetch(url, { ...init, signal });
      if (response.ok) return response;
      const body = (await response.text()).slice(0, 200).replace(/\s+/g, ' ');
      reason = `HTTP ${response.status}`;
      detail = `${reason}${body ? `: ${body}` : ''}`;
      if (response.status < 500) throw new RequestFailed(reason, detail);
    } catch (error) {
      if (error instanceof RequestFailed) throw error;
      if (outer?.aborted) throw error;
      const name = (error as Error).name;
      reason = name === 'TimeoutError' ? 'timeout' : 'connection failed';
      detail = name === 'TimeoutError' ? `no answer in ${policy.timeoutMs} ms` : `${reason} (${(error as Error).message})`;
    }
  }
  throw new RequestFailed(reason, `${detail} (after ${policy.retries + 1} tries)`);
}

/** One GET for a probe: any failure is a one-line UserError naming the server. */
export async function probeGet(url: string, what: string, headers: Record<string, string>, timeoutMs: number): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as Error).name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
    throw new UserError(`${what} at ${url} is unreachable (${cause}).`, 'E_BACKEND');
  }
  if (!response.ok) throw new UserError(`${what} at ${url} answered HTTP ${response.status}.`, 'E_BACKEND');
  return response;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}
