/** Reading what a request carries: headers and a JSON body, with 400s that name the problem. */
import { HttpError } from './respond.js';
import type { ApiRequest } from './types.js';

/** The first value of a request header (names are lower-case in Node). */
export function header(req: ApiRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** The request body as a JSON object, or 400 naming what is wrong. */
export function jsonBody(req: ApiRequest): Record<string, unknown> {
  if (!req.body || req.body.length === 0) throw new HttpError(400, 'body: missing (send a JSON object)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body: not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'body: not a JSON object');
  return parsed as Record<string, unknown>;
}

/** A string field of a JSON body, or 400 naming it. */
export function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string') throw new HttpError(400, `${name}: must be a string`);
  return value;
}
