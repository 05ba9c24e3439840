import type { ApiResponse } from './types.js';

/** An answer other than 200, with the message the client sees as `{ "error": … }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A query parameter or path part that is not acceptable: 400, the message names it. */
export class BadRequest extends HttpError {
  constructor(param: string, problem: string) {
    super(400, `${param}: ${problem}`);
  }
}

// Every answer is private, live data: never cached by a browser or proxy, never sniffed into
// another type (https://fetch.spec.whatwg.org/#x-content-type-options-header).
const COMMON: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

export const JSON_TYPE = 'application/json; charset=utf-8';

export function withCommonHeaders(headers: Record<string, string>): Record<string, string> {
  return { ...COMMON, ...headers };
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: withCommonHeaders({ 'Content-Type': JSON_TYPE, ...headers }), body: JSON.stringify(body) };
}

export function errorResponse(err: HttpError): ApiResponse {
  return json({ error: err.message }, err.status, err.headers);
}

/** ms epoch → ISO-8601 UTC, or null. */
export function iso(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
