import { performance } from 'node:perf_hooks';
import type { Db, SqlParams } from './db.js';
import { BUCKET_MS, HOLD_CAP_MS, ONLINE_STATE, ROLLUP_TABLE, ceilTo } from './rollup.js';
import type { RollupLevel } from './rollup.js';
import type { HeartbeatRow, Segment, UptimeResult } from './queries.js';

/**
 * Fleet-wide reads: the same answers as the per-stream functions in queries.ts, but for many
 * streams per SQL statement, so 10,000 cameras cost index seeks inside SQLite rather than
 * 10,000 round trips through the driver. Each statement walks its streams one at a time inside
 * SQLite (correlated sub-queries on the (stream_id, time) primary keys), which keeps every lookup
 * a range seek and needs no sort of the whole window.
 *
 * Statements are also kept short. node-sqlite3 holds the connection's mutex for the whole of an
 * `all()` in its worker thread, and finalizes statements on the main thread, which takes that
 * mutex: one 30 s statement blocks the event loop for up to 30 s as soon as another request
 * uses the same connection (measured: 17.8 s). So work is cut into statements of about
 * `targetStatementMs`, and key lists into pages of STREAM_PAGE streams.
 */

/** The oldest row of each level for one stream: what `planSegments` bases its plan on. */
export interface LevelFirsts {
  raw: number | null;
  minute: number | null;
  hour: number | null;
}

/** Streams per statement for per-stream lookups (a few seeks each: ~10 ms a page). */
export const STREAM_PAGE = 500;

/**
 * Runs `sql(op)` page by page: it must select rows with an `id` column from `streams s` with
 * `WHERE s.id ${op} ?` (its only parameter), ordered by s.id, limited to STREAM_PAGE. The first
 * page uses `>=` '' so that even an empty id is included.
 */
async function paged<T extends { id: string }>(db: Db, sql: (op: '>=' | '>') => string): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (;;) {
    const rows = await db.all<T>(sql(after === undefined ? '>=' : '>'), [after ?? '']);
    out.push(...rows);
    const last = rows.at(-1);
    if (rows.length < STREAM_PAGE || !last) return out;
    after = last.id;
  }
}

/** The oldest row of every level for every stream in `streams`, by stream id. */
export async function firstsOfAll(db: Db): Promise<Map<string, LevelFirsts>> {
  const rows = await paged<{ id: string; raw: number | null; minute: number | null; hour: number | null }>(db, (op) =>
    `SELECT s.id,
       (SELECT MIN(h.ts) FROM heartbeats h WHERE h.stream_id = s.id) AS raw,
       (SELECT MIN(m.bucket) FROM ${ROLLUP_TABLE.minute} m WHERE m.stream_id = s.id) AS minute,
       (SELECT MIN(r.bucket) FROM ${ROLLUP_TABLE.hour} r WHERE r.stream_id = s.id) AS hour
     FROM streams s WHERE s.id ${op} ? ORDER BY s.id LIMIT ${STREAM_PAGE}`,
  );
  return new Map(rows.map((r) => [r.id, { raw: r.raw, minute: r.minute, hour: r.hour }]));
}

/**
 * The plan `planSegments` makes, from the oldest rows instead of queries: raw from the first
 * minute edge after the oldest raw row, minute roll-ups back to the first hour edge after the
 * oldest minute row, hours back to the first day edge after the oldest hour row, days before.
 * Newest first. The fleet test checks it against `planSegments` stream by stream.
 */
export function planFromFirsts(firsts: LevelFirsts, fromMs: number, toMs: number): Segment[] {
  if (!(toMs > fromMs)) return [];
  const levels: [Segment['level'], number | null, number][] = [
    ['raw', firsts.raw, BUCKET_MS.minute],
    ['minute', firsts.minute, BUCKET_MS.hour],
    ['hour', firsts.hour, BUCKET_MS.day],
  ];
  const segments: Segment[] = [];
  let upper = toMs;
  for (const [level, first, edge] of levels) {
    if (upper <= fromMs) return segments;
    const lower = first === null ? upper : Math.min(upper, Math.max(fromMs, ceilTo(first, edge)));
    if (lower < upper) segments.push({ level, from: lower, to: upper });
    upper = lower;
  }
  if (upper > fromMs) segments.push({ level: 'day', from: fromMs, to: upper });
  return segments;
}

/** Per-stream bounds of one level, handed to SQLite as one JSON parameter: [[id, from, to], …]. */
type Bounds = [string, number, number][];

// The bounds as a table. MATERIALIZED turns the JSON into plain columns once, instead of
// re-extracting them for every heartbeat the correlated sub-queries touch.
// https://www.sqlite.org/lang_with.html#materialization_hints
const BOUNDS_CTE = (param: string): string =>
  `SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS lo, json_extract(value, '$[2]') AS hi
   FROM json_each(${param})`;

/**
 * The raw part of `aggregateStream` (queries.ts RAW_AGGREGATE) for many streams: each heartbeat's
 * state holds until the stream's next heartbeat before `hi`, capped at HOLD_CAP_MS, the last one
 * until `hi`; spans are clipped to [lo, hi) and heartbeats up to the cap before `lo` only lend
 * their spans. The next heartbeat is a primary-key seek per row (measured ~1.3 µs/row, cheaper
 * than SQLite's LEAD() window here). `LIMIT -1` keeps the inner query from being flattened into
 * the aggregate, which would evaluate that seek twice. The four sums come back as one JSON array
 * because a scalar sub-query yields one value.
 */
const RAW_PARTS = `SELECT b.id AS id, 'raw' AS level,
  (SELECT json_array(COALESCE(SUM(part), 0), COALESCE(SUM(CASE WHEN state = ?2 THEN part ELSE 0 END), 0),
                     COUNT(CASE WHEN ts >= b.lo THEN 1 END), COUNT(CASE WHEN ts >= b.lo AND ok = 0 THEN 1 END))
   FROM (SELECT h.ts, h.ok, h.state,
           MAX(MIN(COALESCE((SELECT MIN(n.ts) FROM heartbeats n WHERE n.stream_id = h.stream_id AND n.ts > h.ts AND n.ts < b.hi), b.hi),
                   h.ts + ?3, b.hi) - MAX(h.ts, b.lo), 0) AS part
         FROM heartbeats h WHERE h.stream_id = b.id AND h.ts >= b.lo - ?3 AND h.ts < b.hi LIMIT -1)) AS sums
  FROM raw_bounds b`;

/** Whole roll-up buckets whose start lies in [lo, hi), as `aggregateStream` reads them. */
const ROLLUP_PARTS = (level: RollupLevel, bounds: string): string => `SELECT b.id AS id, '${level}' AS level,
  (SELECT json_array(COALESCE(SUM(r.observed_ms), 0), COALESCE(SUM(r.online_ms), 0), COALESCE(SUM(r.probes), 0), COALESCE(SUM(r.failures), 0))
   FROM ${ROLLUP_TABLE[level]} r WHERE r.stream_id = b.id AND r.bucket >= b.lo AND r.bucket < b.hi) AS sums
  FROM ${bounds} b`;

const UPTIME_OF_ALL = `WITH raw_bounds AS MATERIALIZED (${BOUNDS_CTE('?1')}),
  minute_bounds AS MATERIALIZED (${BOUNDS_CTE('?4')}),
  hour_bounds AS MATERIALIZED (${BOUNDS_CTE('?5')}),
  day_bounds AS MATERIALIZED (${BOUNDS_CTE('?6')})
${RAW_PARTS}
UNION ALL ${ROLLUP_PARTS('minute', 'minute_bounds')}
UNION ALL ${ROLLUP_PARTS('hour', 'hour_bounds')}
UNION ALL ${ROLLUP_PARTS('day', 'day_bounds')}`;

export interface FleetOptions {
  /**
   * Aim for statements of about this many ms (default 50): the number of streams per statement
   * adapts to what the previous statement took. Infinity: all streams in one statement.
   */
  targetStatementMs?: number;
}

export const DEFAULT_TARGET_STATEMENT_MS = 50;

/**
 * `uptime(db, id, fromMs, toMs)` for every stream in `streams`, keyed by stream id: the same
 * segments, the same duration rules, the same integer sums. Cost grows with the raw heartbeats
 * inside the window (about 2 µs each, spent in the driver's worker thread, not on the event
 * loop); the statements are sized to about `targetStatementMs` each (see the module comment).
 */
export async function uptimeOfAll(db: Db, fromMs: number, toMs: number, options: FleetOptions = {}): Promise<Map<string, UptimeResult>> {
  const firsts = await firstsOfAll(db);
  const totals = new Map<string, { online: number; observed: number; probes: number; failures: number }>();
  for (const id of firsts.keys()) totals.set(id, { online: 0, observed: 0, probes: 0, failures: 0 });
  const ids = [...firsts.keys()];
  const target = options.targetStatementMs ?? DEFAULT_TARGET_STATEMENT_MS;
  const adaptive = Number.isFinite(target);
  let size = adaptive ? 1 : ids.length;
  for (let at = 0; at < ids.length;) {
    const chunk = ids.slice(at, at + size);
    at += chunk.length;
    const bounds: Record<Segment['level'], Bounds> = { raw: [], minute: [], hour: [], day: [] };
    for (const id of chunk) {
      const first = firsts.get(id);
      if (!first) continue;
      for (const segment of planFromFirsts(first, fromMs, toMs)) bounds[segment.level].push([id, segment.from, segment.to]);
    }
    if (!Object.values(bounds).some((list) => list.length > 0)) continue;
    const started = performance.now();
    const params: SqlParams = [
      JSON.stringify(bounds.raw), ONLINE_STATE, HOLD_CAP_MS,
      JSON.stringify(bounds.minute), JSON.stringify(bounds.hour), JSON.stringify(bounds.day),
    ];
    for (const row of await db.all<{ id: string; sums: string | null }>(UPTIME_OF_ALL, params)) {
      const total = totals.get(row.id);
      const [observed, online, probes, failures] = parseSums(row.sums);
      if (!total) continue;
      total.observed += observed;
      total.online += online;
      total.probes += probes;
      total.failures += failures;
    }
    // Scale the next chunk towards the target; at most double, so one cheap chunk (streams
    // with little history) does not make the next one huge.
    if (adaptive) size = Math.max(1, Math.min(2 * size, Math.floor((size * target) / Math.max(performance.now() - started, 1))));
  }
  const out = new Map<string, UptimeResult>();
  for (const [id, t] of totals) {
    out.set(id, {
      uptimePct: t.observed > 0 ? (100 * t.online) / t.observed : null,
      onlineMs: t.online, observedMs: t.observed, probes: t.probes, failures: t.failures,
    });
  }
  return out;
}

function parseSums(text: string | null): [number, number, number, number] {
  const value: unknown = text === null ? null : JSON.parse(text);
  if (!Array.isArray(value)) return [0, 0, 0, 0];
  const n = (i: number): number => {
    const v: unknown = value[i];
    return typeof v === 'number' ? v : 0;
  };
  return [n(0), n(1), n(2), n(3)];
}

interface HeartbeatDbRow {
  stream_id: string; ts: number; ok: number; code: string; latency_ms: number; first_frame_ms: number | null;
  state: string; codec: string | null; width: number | null; height: number | null; fps: number | null;
  bitrate_kbps: number | null; message: string | null;
}

/**
 * The newest raw heartbeat of every stream (or of `streamId` only), keyed by stream id, a page
 * of streams per statement: per stream a MAX(ts) seek and a primary-key lookup. A stream whose
 * raw rows were all removed by retention has no entry.
 */
export async function latestHeartbeats(db: Db, streamId?: string): Promise<Map<string, HeartbeatRow>> {
  const select = `SELECT s.id, h.* FROM streams s CROSS JOIN heartbeats h
       ON h.stream_id = s.id AND h.ts = (SELECT MAX(x.ts) FROM heartbeats x WHERE x.stream_id = s.id)`;
  const rows = streamId === undefined
    ? await paged<HeartbeatDbRow & { id: string }>(db, (op) => `${select} WHERE s.id ${op} ? ORDER BY s.id LIMIT ${STREAM_PAGE}`)
    : await db.all<HeartbeatDbRow>(`${select} WHERE s.id = ?`, [streamId]);
  return new Map(rows.map((r) => [r.stream_id, toHeartbeatRow(r)]));
}

function toHeartbeatRow(r: HeartbeatDbRow): HeartbeatRow {
  return {
    streamId: r.stream_id, ts: r.ts, ok: r.ok === 1, code: r.code, latencyMs: r.latency_ms, firstFrameMs: r.first_frame_ms,
    state: r.state, codec: r.codec, width: r.width, height: r.height, fps: r.fps, bitrateKbps: r.bitrate_kbps, message: r.message,
  };
}
