/**
 * Serves the store's API (../lib/api) on Node-RED's HTTP server for flows (RED.httpNode), so it
 * sits behind the same httpNodeAuth, CORS and middleware as the core `http in` node. Express has
 * no way to remove a route, so one dispatcher is installed per app, once, and store nodes mount
 * and unmount their base path in a table it consults.
 */
import type { ApiRequest, ApiResponse } from '../lib/api/index.js';
import type { HttpHandler, HttpResponse, NodeAPI } from '../shared/node-red.js';

export type ApiHandler = (req: ApiRequest) => Promise<ApiResponse | undefined>;

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
  match.handler({ method: req.method, path: match.rest, query }).then(
    (response) => (response ? send(res, response) : next()),
    (err: unknown) => fail(res, err),
  ).catch((err: unknown) => fail(res, err));
};

function findMount(path: string): { handler: ApiHandler; rest: string } | undefined {
  for (const [base, handler] of mounts) {
    if (path === base) return { handler, rest: '/' };
    if (path.startsWith(`${base}/`)) return { handler, rest: path.slice(base.length) };
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
  res.statusCode = 500;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: err instanceof Error ? err.message : 'internal error' }));
}

