/**
 * Serves the store's API (../lib/api) on Node-RED's HTTP server for flows (RED.httpNode), so it
 * sits behind the same httpNodeAuth, CORS and middleware as the core `http in` node. Express has
 * no way to remove a route, so one dispatcher is installed per app, once, and store nodes mount
 * and unmount their base path in a table it consults.
 */
import { Readable } from 'node:stream';
import type { ApiRequest, ApiResponse } from '../lib/api/index.js';
import type { HttpHandler, HttpRequest, HttpResponse, NodeAPI } from '../shared/node-red.js';

export type ApiHandler = (req: ApiRequest) => Promise<ApiResponse | undefined>;

/** The largest request body accepted (a streams file of ~5,000 cameras in a JSON string). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** A client that sends its body slower than this is cut off (a slow-loris upload holds a socket). */
export const BODY_TIMEOUT_MS = 10_000;

const mounts = new Map<string, ApiHandler>();
const installed = new WeakSet<object>();

/** `/streampulse`, `/cams/api` …: a leading slash, no trailing one, plain path characters. */
export function normaliseBase(value: string | undefined): string | undefined {
  const base = `/${(value ?? '/streampulse').trim().replace(/^\/+|\/+$/g, '')}`;
  return /^(\/[A-Za-z0-9._~-]+)+$/.test(base) ? base : undefined;
}

/** Installs the dispatcher on RED.httpNode (once per app); false when Node-RED serves no HTTP for flows. */
export function installDispatcher(RED: NodeAPI): boolean {
  const app = RED.httpNode;
  if (!app) return false;
  if (!installed.has(app)) {
    installed.add(app);
    app.use(dispatch);
  }
  return true;
}

/** Routes requests under `base` to `handler` until the returned function is called. */
export function mount(base: string, handler: ApiHandler): (() => void) | undefined {
  if (mounts.has(base)) return undefined;
  mounts.set(base, handler);
  return () => {
    if (mounts.get(base) === handler) mounts.delete(base);
  };
}

const dispatch: HttpHandler = (req, res, next) => {
  const match = findMount(req.path);
  if (!match) {
    next();
    return;
  }
  const query = new URL(req.originalUrl, 'http://local').searchParams;
  // Aborted when the client goes away before the answer is complete: a preview stops its ffmpeg.
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableEnded) gone.abort(new Error('client closed the request'));
  });
  const method = req.method.toUpperCase();
  const withBody = method !== 'GET' && method !== 'HEAD';
  (withBody ? readBody(req) : Promise.resolve(undefined))
    .then((body) => match.handler({
      method: req.method,
      path: match.rest,
      query,
      headers: req.headers,
      ...(body !== undefined ? { body } : {}),
      base: match.base,
      signal: gone.signal,
    }))
    .then(
      (response) => (response ? send(res, response) : next()),
      (err: unknown) => fail(res, err),
    )
    .catch((err: unknown) => fail(res, err));
};

/** A request body that cannot be accepted; answered with its status and the connection closed. */
class BodyError extends Error {
  constructor(readonly status: 400 | 408 | 413, message: string) {
    super(message);
  }
}

/**
 * The raw body, at most MAX_BODY_BYTES, within BODY_TIMEOUT_MS. When a body parser got here
 * first (Node-RED's admin app, or the user's middleware), its result is used instead.
 */
function readBody(req: HttpRequest): Promise<Buffer> {
  // Node-RED's admin app parses JSON bodies for every path when httpAdminRoot and httpNodeRoot
  // are both '/' (its limit is 5 MB): the same bound applies to what it parsed.
  if ((req as { _body?: unknown })._body === true || !(req instanceof Readable) || req.readableEnded) {
    const body = parsedBody(req.body);
    return body.length > MAX_BODY_BYTES
      ? Promise.reject(new BodyError(413, `request body larger than ${MAX_BODY_BYTES} bytes`))
      : Promise.resolve(body);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    return Promise.reject(new BodyError(413, `request body larger than ${MAX_BODY_BYTES} bytes`));
  }
  const stream = req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const timer = setTimeout(() => finish(new BodyError(408, `request body not received within ${BODY_TIMEOUT_MS / 1000} s`)), BODY_TIMEOUT_MS);
    const onData = (chunk: Buffer | string): void => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += data.length;
      if (size > MAX_BODY_BYTES) finish(new BodyError(413, `request body larger than ${MAX_BODY_BYTES} bytes`));
      else chunks.push(data);
    };
    const onEnd = (): void => finish();
    const onError = (err: Error): void => finish(err);
    const onClose = (): void => finish(new BodyError(400, 'the request body was cut off'));
    function finish(err?: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (err) {
        // Whatever else arrives is read and dropped; the answer closes the connection.
        stream.resume();
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    }
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}

function parsedBody(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(JSON.stringify(body));
}

function findMount(path: string): { handler: ApiHandler; rest: string; base: string } | undefined {
  for (const [base, handler] of mounts) {
    // '' (the base without its slash) is answered with a redirect to the dashboard at `base/`.
    if (path === base) return { handler, rest: '', base };
    if (path.startsWith(`${base}/`)) return { handler, rest: path.slice(base.length), base };
  }
  return undefined;
}

async function send(res: HttpResponse, response: ApiResponse): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  if (typeof response.body === 'string' || Buffer.isBuffer(response.body)) {
    res.end(response.body);
    return;
  }
  // A stream (CSV export): respect backpressure and stop reading when the client goes away.
  let gone = false;
  const onClose = (): void => {
    gone = true;
  };
  res.once('close', onClose);
  try {
    for await (const chunk of response.body) {
      if (gone || res.destroyed) break;
      if (!res.write(chunk)) await drained(res);
    }
    if (!gone && !res.destroyed) res.end();
  } finally {
    res.off('close', onClose);
  }
}

function drained(res: HttpResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

function fail(res: HttpResponse, err: unknown): void {
  if (res.headersSent || res.writableEnded) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = err instanceof BodyError;
  res.statusCode = body ? err.status : 500;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  if (body) res.setHeader('Connection', 'close');
  res.end(JSON.stringify({ error: err instanceof Error ? err.message : 'internal error' }));
}
