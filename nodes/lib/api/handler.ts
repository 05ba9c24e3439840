import { StoreError } from '../store/errors.js';
import { redactText } from '../util/redact.js';
import { exportCsv } from './csv.js';
import { allOutages, streamHeartbeats, streamOutages, streamRollups } from './history.js';
import { metricsResponse } from './metrics.js';
import { streamId } from './params.js';
import { BadRequest, HttpError, errorResponse } from './respond.js';
import { listStreams, streamDetail } from './streams.js';
import type { ApiContext, ApiRequest, ApiResponse } from './types.js';

/**
 * The routing of the read API, free of any HTTP framework: Node-RED's wiring passes the method,
 * the path below its base and the query, and sends what comes back. Paths this module does not
 * know resolve to undefined so the caller can pass the request on (the dashboard's files, other
 * routes under the same base).
 */

type Action = (ctx: ApiContext, query: URLSearchParams, id: string) => Promise<ApiResponse> | ApiResponse;

interface Route {
  /** Path segments; ':id' matches one stream id. */
  segments: readonly string[];
  action: Action;
}

const ROUTES: readonly Route[] = [
  { segments: ['api', 'streams'], action: (ctx) => listStreams(ctx) },
  { segments: ['api', 'streams', ':id'], action: (ctx, _q, id) => streamDetail(ctx, id) },
  { segments: ['api', 'streams', ':id', 'heartbeats'], action: (ctx, q, id) => streamHeartbeats(ctx, id, q) },
  { segments: ['api', 'streams', ':id', 'outages'], action: (ctx, q, id) => streamOutages(ctx, id, q) },
  { segments: ['api', 'streams', ':id', 'rollups'], action: (ctx, q, id) => streamRollups(ctx, id, q) },
  { segments: ['api', 'outages'], action: (ctx, q) => allOutages(ctx, q) },
  { segments: ['api', 'export.csv'], action: (ctx, q) => exportCsv(ctx, q) },
  { segments: ['metrics'], action: (ctx) => metricsResponse(ctx) },
];

const ALLOW = 'GET, HEAD';

/** Answers a request of the read API, or undefined when the path is not one of its routes. */
export async function handleApiRequest(req: ApiRequest, ctx: ApiContext): Promise<ApiResponse | undefined> {
  let match: { route: Route; id: string } | undefined;
  try {
    match = matchRoute(req.path);
    if (!match) return undefined;
    const method = req.method.toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      throw new HttpError(405, `method ${method} not allowed`, { Allow: ALLOW });
    }
    const response = await match.route.action(ctx, req.query, match.id);
    // HEAD: the same status and headers, no body (and no export query is ever started).
    return method === 'HEAD' ? { ...response, body: '' } : response;
  } catch (err) {
    return errorResponse(toHttpError(err));
  }
}

/** Matches the path, decoding and validating the stream id; a malformed id is a 400. */
function matchRoute(path: string): { route: Route; id: string } | undefined {
  // One trailing slash is tolerated ('/api/streams/'); empty inner segments are not.
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (!trimmed.startsWith('/')) return undefined;
  const parts = trimmed.slice(1).split('/');
  for (const route of ROUTES) {
    if (route.segments.length !== parts.length) continue;
    let id = '';
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const want = route.segments[i];
      const part = parts[i] ?? '';
      if (want === ':id') id = part;
      else ok = want === part;
    }
    if (ok) return { route, id: route.segments.includes(':id') ? decodeId(id) : '' };
  }
  return undefined;
}

function decodeId(raw: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new BadRequest('id', 'not a stream id (bad percent-encoding)');
  }
  return streamId('id', decoded);
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof StoreError) {
    // A busy database clears up by itself: tell the client to come back instead of failing hard.
    if (err.kind === 'locked' || err.kind === 'timeout') {
      return new HttpError(503, `store busy (${err.kind}), try again`, { 'Retry-After': '1' });
    }
    return new HttpError(500, `store error (${err.kind}): ${redactText(err.message)}`);
  }
  return new HttpError(500, `internal error: ${redactText(err instanceof Error ? err.message : String(err))}`);
}
