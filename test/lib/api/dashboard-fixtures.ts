/**
 * A context for the dashboard endpoints (info, streams file, preview, static files): an empty
 * store (those endpoints never read it), a temporary directory, and a request helper that
 * passes method, headers and body the way http-mount.ts does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProbeCounterBook } from '../../../nodes/lib/api/counters.js';
import { handleApiRequest } from '../../../nodes/lib/api/handler.js';
import type { ApiContext, ApiResponse } from '../../../nodes/lib/api/types.js';
import type { Db } from '../../../nodes/lib/store/db.js';
import { openStore } from '../../../nodes/lib/store/writer.js';

export const TOKEN = 'test-csrf-token-0123456789';

export interface DashboardFixture {
  dir: string;
  ctx: ApiContext;
  close(): Promise<void>;
}

export async function dashboardFixture(overrides: Partial<ApiContext> = {}): Promise<DashboardFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'sp-dash-'));
  const db: Db = await openStore(join(dir, 'history.db'));
  const book = new ProbeCounterBook();
  const ctx: ApiContext = {
    db,
    now: Date.now,
    storeBytes: () => Promise.resolve(0),
    counters: () => book.snapshot({ queued: 0, written: 0, dropped: 0, flushes: 0, failedFlushes: 0 }),
    csrfToken: TOKEN,
    ...overrides,
  };
  return {
    dir,
    ctx,
    close: async () => {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface CallOptions {
  method?: string;
  query?: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
  signal?: AbortSignal;
  base?: string;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  bytes: Buffer;
  text: string;
  json(): Record<string, unknown>;
}

/** Calls the handler like http-mount.ts; throws when the path is not handled. */
export async function call(ctx: ApiContext, path: string, options: CallOptions = {}): Promise<Reply> {
  const { body } = options;
  const raw = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const res = await handleApiRequest({
    method: options.method ?? 'GET',
    path,
    query: new URLSearchParams(options.query ?? ''),
    headers: options.headers ?? {},
    ...(raw ? { body: raw } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.base ? { base: options.base } : {}),
  }, ctx);
  if (!res) throw new Error(`${path} was not handled`);
  const bytes = await bodyBytes(res.body);
  const text = bytes.toString('utf8');
  return { status: res.status, headers: res.headers, bytes, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

async function bodyBytes(body: ApiResponse['body']): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  if (Buffer.isBuffer(body)) return body;
  let text = '';
  for await (const chunk of body) text += chunk;
  return Buffer.from(text);
}

/** The headers of a write from the dashboard page. */
export function writeHeaders(token = TOKEN): Record<string, string> {
  return { 'content-type': 'application/json', 'x-streampulse-csrf': token, 'sec-fetch-site': 'same-origin' };
}
