import { StoreError } from '../store/errors.js';
import { redactText } from '../util/redact.js';
import { exportCsv } from './csv.js';
import { redirectToSlash, serveDashboardFile } from './dashboard-static.js';
import { allOutages, streamHeartbeats, streamOutages, streamRollups } from './history.js';
import { info } from './info.js';
import { metricsResponse } from './metrics.js';
import { streamId } from './params.js';
import { preview } from './preview.js';
import { BadRequest, HttpError, errorResponse } from './respond.js';
import { listStreams, streamDetail } from './streams.js';
import { checkStreamsFile, getStreamsFile, putStreamsFile } from './streams-file.js';
import type { ApiContext, ApiRequest, ApiResponse } from './types.js';

/**
 * The routing of the store's HTTP API and dashboard, free of any HTTP framework: Node-RED's
 * wiring passes the method, the path below its base, the query, headers and body, and sends
 * what comes back. Paths this module does not know resolve to undefined so the caller can pass
 * the request on (other routes under the same base).
 */

interface Call {
  ctx: ApiContext;
  req: ApiRequest;
  query: URLSearchParams;
  /** The decoded, validated stream id of an ':id' segment. */
  id: string;
  /** The raw ':name' segment (validated by the action). */
  name: string;
}

type Action = (call: Call) => Promise<ApiResponse> | ApiResponse;
type Method = 'GET' | 'PUT' | 'POST';

interface Route {
  /** Path segments; ':id' matches one stream id, ':name' one file name. */
  segments: readonly string[];
  /** GET answers HEAD too. */
  methods: Partial<Record<Method, Action>>;
}

const get = (action: Action): Route['methods'] => ({ GET: action });

const ROUTES: readonly Route[] = [
  { segments: [], methods: get(({ ctx, req }) => serveDashboardFile(ctx, req, 'index.html')) },
  { segments: ['ui', ':name'], methods: get(({ ctx, req, name }) => serveDashboardFile(ctx, req, name)) },
  { segments: ['api', 'info'], methods: get(({ ctx }) => info(ctx)) },
  { segments: ['api', 'streams'], methods: get(({ ctx }) => listStreams(ctx)) },
  { segments: ['api', 'streams', ':id'], methods: get(({ ctx, id }) => streamDetail(ctx, id)) },
  { segments: ['api', 'streams', ':id', 'heartbeats'], methods: get(({ ctx, query, id }) => streamHeartbeats(ctx, id, query)) },
  { segments: ['api', 'streams', ':id', 'outages'], methods: get(({ ctx, query, id }) => streamOutages(ctx, id, query)) },
  { segments: ['api', 'streams', ':id', 'rollups'], methods: get(({ ctx, query, id }) => streamRollups(ctx, id, query)) },
  { segments: ['api', 'streams', ':id', 'preview'], methods: get(({ ctx, req, id }) => preview(ctx, req, id)) },
  { segments: ['api', 'outages'], methods: get(({ ctx, query }) => allOutages(ctx, query)) },
  { segments: ['api', 'export.csv'], methods: get(({ ctx, query }) => exportCsv(ctx, query)) },
  {
    segments: ['api', 'streams-file'],
    methods: { GET: ({ ctx }) => getStreamsFile(ctx), PUT: ({ ctx, req }) => putStreamsFile(ctx, req) },
  },
  { segments: ['api', 'streams-file', 'check'], methods: { POST: ({ ctx, req }) => checkStreamsFile(ctx, req) } },
  { segments: ['metrics'], methods: get(({ ctx }) => metricsResponse(ctx)) },
];

/** Answers a request, or undefined when the path is not one of the routes. */
export async function handleApiRequest(req: ApiRequest, ctx: ApiContext): Promise<ApiResponse | undefined> {
  const method = req.method.toUpperCase();
  try {
    if (req.path === '') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `method ${method} not allowed`, { Allow: 'GET, HEAD' });
      return headless(method, redirectToSlash(req));
    }
    const match = matchRoute(req.path);
    if (!match) return undefined;
    const action = match.route.methods[method === 'HEAD' ? 'GET' : (method as Method)];
    if (!action) throw new HttpError(405, `method ${method} not allowed`, { Allow: allowed(match.route) });
    const response = await action({ ctx, req, query: req.query, id: match.id, name: match.name });
    return headless(method, response);
  } catch (err) {
    return headless(method, errorResponse(toHttpError(err)));
  }
}

/** HEAD: the same status and headers, no body (and no export query is ever started). */
function headless(method: string, response: ApiResponse): ApiResponse {
  return method === 'HEAD' ? { ...response, body: '' } : response;
}

function allowed(route: Route): string {
  const methods = Object.keys(route.methods);
  return (methods.includes('GET') ? [...methods, 'HEAD'] : methods).join(', ');
}

/** Matches the path, decoding and validating the stream id; a malformed id is a 400. */
function matchRoute(path: string): { route: Route; id: string; name: string } | undefined {
  if (!path.startsWith('/')) return undefined;
  // One trailing slash is tolerated ('/api/streams/'); empty inner segments are not.
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const parts = trimmed === '/' ? [] : trimmed.slice(1).split('/');
  for (const route of ROUTES) {
    if (route.segments.length !== parts.length) continue;
    let id = '';
    let name = '';
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const want = route.segments[i];
      const part = parts[i] ?? '';
      if (want === ':id') id = part;
      else if (want === ':name') name = part;
      else ok = want === part;
    }
    if (ok) return { route, id: route.segments.includes(':id') ? decodeId(id) : '', name };
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
