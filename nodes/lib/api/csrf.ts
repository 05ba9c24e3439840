/**
 * Writes from the dashboard must prove they come from the page: a token the page read from
 * api/info (same-origin only: the API sends no CORS headers) in `X-StreamPulse-CSRF`, a JSON
 * Content-Type (which a cross-site HTML form cannot send without a CORS preflight), and, when
 * the browser says where the request comes from, `Sec-Fetch-Site: same-origin`
 * (https://www.w3.org/TR/fetch-metadata/#sec-fetch-site-header).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { header, isJson } from './request-body.js';
import { HttpError } from './respond.js';
import type { ApiContext, ApiRequest } from './types.js';

export const CSRF_HEADER = 'x-streampulse-csrf';

/** Throws 403 (token, origin) or 415 (not JSON) unless the write may proceed. */
export function checkWrite(req: ApiRequest, ctx: ApiContext): void {
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') {
    throw new HttpError(403, `cross-origin write refused (Sec-Fetch-Site: ${site.slice(0, 40)})`);
  }
  const expected = ctx.csrfToken;
  if (!expected) throw new HttpError(403, 'writes are disabled: the server has no CSRF token');
  const given = header(req, CSRF_HEADER);
  if (given === undefined || given === '') throw new HttpError(403, 'missing X-StreamPulse-CSRF header (read csrfToken from api/info)');
  if (!sameSecret(given, expected)) throw new HttpError(403, 'wrong X-StreamPulse-CSRF token (reload the page)');
  if (!isJson(header(req, 'content-type'))) throw new HttpError(415, 'writes need Content-Type: application/json');
}

/** Constant-time comparison; hashing first makes the lengths equal without revealing them. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
