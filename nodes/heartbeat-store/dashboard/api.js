// @ts-check
/* global fetch, AbortSignal, URLSearchParams -- browser globals (eslint.config.mjs only knows Node ones) */
/**
 * The store's HTTP API, by relative URL only ('api/streams', never '/api/streams'): the page lives
 * at <base>/ and may sit under a proxy prefix (Home Assistant ingress), so the browser resolves
 * every request against the page's own address. Every request has a timeout.
 */

export const DEFAULT_TIMEOUT_MS = 10_000;

/** A request that did not come back 2xx; `status` 0 is a network failure or timeout. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {unknown} [body]
   */
  constructor(status, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

/**
 * @typedef {object} RequestOptions
 * @property {number} [timeoutMs]
 * @property {AbortSignal} [signal]   aborts the request early (navigation, a newer request)
 */

/**
 * @param {RequestOptions} options
 * @returns {AbortSignal}
 */
function signalFor(options) {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
}

/**
 * @param {string} path       relative, e.g. 'api/streams'
 * @param {RequestInit} init
 * @param {RequestOptions} options
 * @returns {Promise<Response>}
 */
async function send(path, init, options) {
  if (path.startsWith('/') || /^[a-z]+:/i.test(path)) throw new Error(`not a relative API path: ${path}`);
  try {
    return await fetch(path, { credentials: 'same-origin', cache: 'no-store', ...init, signal: signalFor(options) });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    throw new ApiError(0, timedOut ? 'the server did not answer in time' : 'the server cannot be reached');
  }
}

/**
 * The error text of a failed response: the API's `{ error }`, else the status line.
 * @param {Response} res
 * @returns {Promise<ApiError>}
 */
async function failure(res) {
  /** @type {unknown} */
  let body;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const message = isRecord(body) && typeof body.error === 'string' ? body.error : `${res.status} ${res.statusText}`.trim();
  return new ApiError(res.status, message, body);
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isRecord(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * GET a JSON document.
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<unknown>}
 */
export async function getJson(path, options = {}) {
  const res = await send(path, { headers: { Accept: 'application/json' } }, options);
  if (!res.ok) throw await failure(res);
  return res.json();
}

/**
 * POST/PUT a JSON body; `headers` adds e.g. the CSRF token. Failed answers throw an ApiError
 * whose `body` holds the server's details (validation errors).
 * @param {'POST' | 'PUT'} method
 * @param {string} path
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 * @param {RequestOptions} [options]
 * @returns {Promise<unknown>}
 */
export async function sendJson(method, path, body, headers = {}, options = {}) {
  const res = await send(path, {
    method,
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }, options);
  if (!res.ok) throw await failure(res);
  return res.json();
}

/**
 * GET a binary answer (the preview JPEG).
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<Blob>}
 */
export async function getBlob(path, options = {}) {
  const res = await send(path, { headers: { Accept: 'image/jpeg' } }, options);
  if (!res.ok) throw await failure(res);
  return res.blob();
}

/**
 * The path of one stream's resource: ids are slugs, but encode anyway.
 * @param {string} id
 * @param {string} [rest]   e.g. 'rollups'
 * @param {Record<string, string | number>} [query]
 */
export function streamPath(id, rest = '', query = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) search.set(key, String(value));
  const qs = search.toString();
  return `api/streams/${encodeURIComponent(id)}${rest ? `/${rest}` : ''}${qs ? `?${qs}` : ''}`;
}
