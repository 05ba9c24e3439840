/**
 * The dashboard's files: `GET /` is index.html, `GET ui/<name>` a file of the same folder. Flat
 * names only (no sub-folders, no leading dot), so no path can leave the folder. Every answer
 * carries a strict Content-Security-Policy: the page runs only its own scripts, so a camera name
 * that slipped into the DOM as markup still could not run anything.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { header } from './request-body.js';
import { HttpError, json } from './respond.js';
import type { ApiContext, ApiRequest, ApiResponse } from './types.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

/** The contract's pattern, minus names starting with a dot (`.`, `..`, hidden files). */
const NAME = /^[a-z0-9_-][a-z0-9._-]*$/;
/** The dashboard ships small files; anything bigger is not one of them. */
const MAX_BYTES = 4 * 1024 * 1024;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Headers of every dashboard file (and of the redirect to it). */
export function pageHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    // Revalidated on every load (cheap with the ETag), so an upgrade shows at once.
    'Cache-Control': 'no-cache',
    ...extra,
  };
}

export async function serveDashboardFile(ctx: ApiContext, req: ApiRequest, name: string): Promise<ApiResponse> {
  if (!NAME.test(name)) throw new HttpError(404, 'no such dashboard file');
  const dir = ctx.staticDir;
  if (!dir) throw new HttpError(404, 'the dashboard is not installed');
  const path = join(dir, name);
  let body: Buffer;
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_BYTES) throw new HttpError(404, 'no such dashboard file');
    body = await readFile(path);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(404, name === 'index.html' ? 'the dashboard is not installed' : 'no such dashboard file');
  }
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const headers = pageHeaders({ 'Content-Type': TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream', ETag: etag });
  if (header(req, 'if-none-match') === etag) return { status: 304, headers, body: '' };
  return { status: 200, headers, body };
}

/**
 * `<base>` without its slash: the page's relative URLs would resolve one level too high, so
 * redirect to `<base>/` with a relative Location (under a Home Assistant ingress prefix an
 * absolute one would leave the prefix).
 */
export function redirectToSlash(req: ApiRequest): ApiResponse {
  const last = (req.base ?? '/streampulse').split('/').filter(Boolean).pop() ?? '';
  const query = req.query.toString();
  const location = `${encodeURIComponent(last)}/${query ? `?${query}` : ''}`;
  const response = json({ error: `the dashboard is at ${location}` }, 302, { Location: location });
  return { ...response, headers: { ...response.headers, ...pageHeaders(), 'Cache-Control': 'no-store' } };
}
