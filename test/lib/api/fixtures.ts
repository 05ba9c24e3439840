import { statSync } from 'node:fs';
import type { ProbeCode } from '../../../nodes/lib/heartbeat.js';
import { ProbeCounterBook } from '../../../nodes/lib/api/counters.js';
import { handleApiRequest } from '../../../nodes/lib/api/handler.js';
import type { ApiContext, ApiResponse } from '../../../nodes/lib/api/types.js';
import { Db } from '../../../nodes/lib/store/db.js';
import { rollUpAll } from '../../../nodes/lib/store/rollup.js';
import { BatchedWriter, openStore } from '../../../nodes/lib/store/writer.js';
import type { WriterStats } from '../../../nodes/lib/store/writer.js';
import { T0, heartbeat, tempDir } from '../store/fixtures/heartbeats.js';
import type { TempDir } from '../store/fixtures/heartbeats.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
/** "Now" for every request of the fixture: three days after T0, not on a minute edge. */
export const NOW = T0 + 3 * DAY + 12_345;

/** Names and messages a spreadsheet or a metrics parser would trip over. */
export const HOSTILE_NAME = `=cmd|' /C calc'!A0`;
export const ESCAPE_NAME = 'Back\\slash "quoted"\nsecond line';
export const INJECTIONS = ['=1+2', '+SUM(A1:A2)', '-2+3', '@SUM(A1)', '\tTAB', '\rCR', 'said "hi", then\nleft'];
export const GATE_OUTAGE = { start: T0 + 2 * DAY + HOUR, end: T0 + 2 * DAY + HOUR + 30 * MIN };

export interface ApiFixture {
  dir: TempDir;
  file: string;
  /** A read-only connection, as the store node hands the API. */
  db: Db;
  ctx: ApiContext;
  book: ProbeCounterBook;
  stats: WriterStats;
  close(): Promise<void>;
}

/**
 * A store filled through the real BatchedWriter: gate (3 days every minute, one 30 min outage),
 * yard (hostile name, failures whose messages start with formula characters, an open outage),
 * esc (a name with a backslash, quotes and a line feed, offline now) and pw (a legacy row whose
 * URL still has a password). Roll-ups are computed up to NOW.
 */
export async function apiFixture(options: Partial<ApiContext> = {}): Promise<ApiFixture> {
  const dir = tempDir();
  const file = dir.file('api.db');
  const book = new ProbeCounterBook();
  const writer = BatchedWriter.forFile(file, { flushMs: 20, maxRows: 2000 });
  const add = (id: string, name: string, ts: number, code: ProbeCode, state: 'online' | 'offline' | 'degraded', message?: string): void => {
    const hb = heartbeat(id, 0, code);
    hb.stream.name = name;
    hb.ts = new Date(ts).toISOString();
    hb.latencyMs = 100 + ((ts / MIN) % 200);
    hb.health.state = state;
    if (message !== undefined) hb.message = message;
    book.record(hb);
    writer.enqueue(hb);
  };
  for (let ts = T0; ts < NOW; ts += MIN) {
    const down = ts >= GATE_OUTAGE.start && ts < GATE_OUTAGE.end;
    add('gate', 'Gate', ts, down ? 'timeout' : 'ok', down ? 'offline' : 'online');
  }
  let n = 0;
  for (let ts = NOW - DAY; ts < NOW; ts += MIN, n++) {
    const fail = n % 10 === 0;
    add('yard', HOSTILE_NAME, ts, fail ? 'auth_failed' : 'ok', fail ? 'degraded' : 'online', fail ? INJECTIONS[(n / 10) % INJECTIONS.length] : undefined);
  }
  for (let ts = NOW - HOUR; ts < NOW; ts += MIN) add('esc', ESCAPE_NAME, ts, 'refused', 'offline');
  for (let ts = NOW - 10 * MIN; ts < NOW; ts += MIN) add('pw', 'Password cam', ts, 'ok', 'online');
  writer.enqueueOutage({ streamId: 'gate', start: new Date(GATE_OUTAGE.start).toISOString(), end: new Date(GATE_OUTAGE.end).toISOString(), durationMs: 30 * MIN, code: 'timeout', message: 'timeout while probing' });
  writer.enqueueOutage({ streamId: 'esc', start: new Date(NOW - HOUR).toISOString(), code: 'refused', message: 'refused by rtsp://admin:secret@10.0.0.9/' });
  await writer.close();
  const stats = writer.stats();

  const rw = await openStore(file);
  try {
    await rollUpAll(rw, NOW);
    // A row written by an older version, before URLs were redacted on the way in.
    await rw.run("UPDATE streams SET url = 'rtsp://admin:secret@10.0.0.5/live?token=abc' WHERE id = 'pw'");
    await rw.run("UPDATE outages SET message = 'refused by rtsp://admin:secret@10.0.0.9/' WHERE stream_id = 'esc'");
    await rw.run("UPDATE heartbeats SET message = 'auth for rtsp://admin:secret@10.0.0.5/ failed', ok = 0, code = 'auth_failed' WHERE stream_id = 'pw'");
  } finally {
    await rw.close();
  }
  const db = await Db.open(file, { readOnly: true });
  const ctx: ApiContext = {
    db,
    now: () => NOW,
    storeBytes: () => Promise.resolve(fileBytes(file) + fileBytes(`${file}-wal`)),
    counters: () => book.snapshot(stats),
    timezone: 'Europe/Berlin',
    uptimeMaxAgeMs: 0,
    ...options,
  };
  return {
    dir, file, db, ctx, book, stats,
    close: async () => {
      await db.close();
      dir.remove();
    },
  };
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export async function collect(body: ApiResponse['body']): Promise<string> {
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  let text = '';
  for await (const chunk of body) text += chunk;
  return text;
}

/** Calls the handler like the Node-RED wiring would; undefined when the path is not the API's. */
export async function request(ctx: ApiContext, path: string, query = '', method = 'GET'): Promise<Answer | undefined> {
  const res = await handleApiRequest({ method, path, query: new URLSearchParams(query), headers: {} }, ctx);
  if (!res) return undefined;
  return { status: res.status, headers: res.headers, text: await collect(res.body) };
}

/** A GET that must be answered, with its body parsed as JSON. */
export async function getJson(ctx: ApiContext, path: string, query = ''): Promise<{ status: number; headers: Record<string, string>; body: Record<string, unknown> }> {
  const res = await request(ctx, path, query);
  if (!res) throw new Error(`${path} was not handled`);
  return { status: res.status, headers: res.headers, body: JSON.parse(res.text) as Record<string, unknown> };
}
