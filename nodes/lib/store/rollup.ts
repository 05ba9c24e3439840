import type { Db, SqlValue } from './db.js';
import { addLatency, decodeSketch, emptySketch, encodeSketch, mergeSketch } from './sketch.js';
import type { LatencySketch } from './sketch.js';

/**
 * Roll-ups: raw heartbeats → rollup_minute → rollup_hour → rollup_day.
 *
 * Time, not sample counts: a heartbeat's state holds from its `ts` until the stream's next
 * heartbeat, but at most HOLD_CAP_MS, so a monitor that was stopped (or a Node-RED restart) is a
 * gap in observed time rather than hours of "offline" or "online". A span that crosses a bucket
 * edge is split between the buckets. Only state 'online' counts as up: 'degraded' (video arrives
 * but slowly or flapping) is observed but not up, so uptime never flatters a struggling camera.
 * Latency statistics (sum/min/max/sketch) come from successful probes only: a failed probe's
 * latency is the time until it gave up, which would drag p95 towards the timeout.
 * Buckets are UTC (days start at 00:00Z).
 */
export type RollupLevel = 'minute' | 'hour' | 'day';
export const ROLLUP_LEVELS: readonly RollupLevel[] = ['minute', 'hour', 'day'];

/** Same cap as the v_stream_uptime_24h view in schema.ts. */
export const HOLD_CAP_MS = 300_000;
export const ONLINE_STATE = 'online';

export const BUCKET_MS: Readonly<Record<RollupLevel, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
export const ROLLUP_TABLE: Readonly<Record<RollupLevel, string>> = {
  minute: 'rollup_minute',
  hour: 'rollup_hour',
  day: 'rollup_day',
};
/**
 * One transaction covers this many buckets of this many streams: small enough that neither the
 * writer (waiting for the lock) nor the event loop (turning rows into objects) is held off for
 * long — about 1,000 source rows per chunk at a 15 s interval.
 */
const CHUNK_BUCKETS: Readonly<Record<RollupLevel, number>> = { minute: 15, hour: 6, day: 7 };
const CHUNK_STREAMS = 16;

export interface RollupResult {
  level: RollupLevel;
  /** Rows written (inserted or recomputed). */
  rows: number;
  /** Transactions used. */
  chunks: number;
  /** End of the last complete bucket considered (exclusive). */
  upTo: number;
}

export interface Aggregate {
  probes: number;
  failures: number;
  onlineMs: number;
  observedMs: number;
  latencySum: number;
  latencyMin: number | null;
  latencyMax: number | null;
  sketch: LatencySketch;
}

export function emptyAggregate(): Aggregate {
  return { probes: 0, failures: 0, onlineMs: 0, observedMs: 0, latencySum: 0, latencyMin: null, latencyMax: null, sketch: emptySketch() };
}

export function floorTo(ms: number, size: number): number {
  return Math.floor(ms / size) * size;
}

export function ceilTo(ms: number, size: number): number {
  return Math.ceil(ms / size) * size;
}

/**
 * Aggregates every complete `level` bucket that ends at or before `upToMs` from the level below
 * (raw heartbeats for 'minute'). Idempotent: a bucket is recomputed from its sources and
 * UPSERTed, never incremented. Each run restarts a little before the newest bucket it already
 * has (the hold cap plus one bucket), so a bucket rolled before its last span was known is
 * corrected. Sources pruned by retention before they were rolled up are lost, so run this more
 * often than the raw retention (every minute or so). Roll 'minute' before 'hour' before 'day'
 * with the same `upToMs` (see `rollUpAll`).
 *
 * Use a connection of its own (WAL lets it run beside the writer's): a transaction here must not
 * interleave with the BatchedWriter's on one connection.
 */
export async function rollUp(db: Db, level: RollupLevel, upToMs: number): Promise<RollupResult> {
  const size = BUCKET_MS[level];
  const end = floorTo(upToMs, size);
  const result: RollupResult = { level, rows: 0, chunks: 0, upTo: end };
  const first = await firstSourceToRoll(db, level);
  if (first === undefined) return result;
  const chunkMs = CHUNK_BUCKETS[level] * size;
  const ids = (await db.all<{ id: string }>('SELECT id FROM streams ORDER BY id')).map((r) => r.id);
  for (let from = floorTo(first, size); from < end; from += chunkMs) {
    const to = Math.min(from + chunkMs, end);
    for (let g = 0; g < ids.length; g += CHUNK_STREAMS) {
      const streams: StreamRange = [ids[g] ?? '', ids[Math.min(g + CHUNK_STREAMS, ids.length) - 1] ?? ''];
      const buckets = level === 'minute'
        ? await minutesFromRaw(db, streams, from, to, upToMs)
        : await fromFinerLevel(db, level, streams, from, to);
      if (buckets.size > 0) {
        await db.transaction(() => upsertBuckets(db, level, buckets));
        result.rows += buckets.size;
        result.chunks++;
      }
      // Let probes, the writer and HTTP requests run between chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return result;
}

/** minute, then hour, then day, all up to the same instant. */
export async function rollUpAll(db: Db, upToMs: number): Promise<RollupResult[]> {
  const results: RollupResult[] = [];
  for (const level of ROLLUP_LEVELS) results.push(await rollUp(db, level, upToMs));
  return results;
}

const SOURCE: Readonly<Record<RollupLevel, { table: string; time: string }>> = {
  minute: { table: 'heartbeats', time: 'ts' },
  hour: { table: 'rollup_minute', time: 'bucket' },
  day: { table: 'rollup_hour', time: 'bucket' },
};

/**
 * The oldest source time that still needs rolling: per stream, the first source row at or after
 * (its newest bucket's end − lookback), or its first source row when it has no buckets yet.
 * Correlated sub-queries keep every lookup on the (stream_id, time) primary keys; stopped streams
 * with nothing new yield NULL and drop out of MIN.
 */
async function firstSourceToRoll(db: Db, level: RollupLevel): Promise<number | undefined> {
  const { table, time } = SOURCE[level];
  const lookback = HOLD_CAP_MS + BUCKET_MS[level];
  // Table and column names are constants of this module, never input.
  const sql = `SELECT MIN(start) AS start FROM (
    SELECT (SELECT MIN(src.${time}) FROM ${table} src WHERE src.stream_id = s.id
              AND src.${time} >= COALESCE((SELECT MAX(r.bucket) FROM ${ROLLUP_TABLE[level]} r WHERE r.stream_id = s.id) + ? - ?, -9e18)
           ) AS start
    FROM streams s)`;
  const row = await db.get<{ start: number | null }>(sql, [BUCKET_MS[level], lookback]);
  return row?.start ?? undefined;
}

interface RawRow {
  stream_id: string;
  ts: number;
  ok: number;
  latency_ms: number;
  state: string;
}

/** First and last stream id (inclusive) of a chunk. */
type StreamRange = [string, string];

/** Minute buckets in [from, to) from raw heartbeats; spans use heartbeats before `upToMs` only. */
async function minutesFromRaw(db: Db, streams: StreamRange, from: number, to: number, upToMs: number): Promise<Map<string, Aggregate>> {
  // Spans reach in from up to HOLD_CAP_MS before `from`; a span's end needs the next heartbeat.
  // CROSS JOIN keeps `streams` the outer loop, so each stream is a primary-key range seek.
  const rows = await db.all<RawRow>(
    `SELECT h.stream_id, h.ts, h.ok, h.latency_ms, h.state FROM streams s
     CROSS JOIN heartbeats h ON h.stream_id = s.id AND h.ts >= ? AND h.ts < ?
     WHERE s.id BETWEEN ? AND ?
     ORDER BY s.id, h.ts`,
    [from - HOLD_CAP_MS, Math.min(to + HOLD_CAP_MS, upToMs), ...streams],
  );
  const out = new Map<string, Aggregate>();
  const size = BUCKET_MS.minute;
  const at = (streamId: string, bucket: number): Aggregate => {
    const key = `${bucket}\u0000${streamId}`;
    let agg = out.get(key);
    if (!agg) out.set(key, (agg = emptyAggregate()));
    return agg;
  };
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as RawRow;
    const nextRow = rows[i + 1];
    // The last known heartbeat holds until `upToMs` (capped); a later run corrects it.
    const next = nextRow && nextRow.stream_id === row.stream_id ? nextRow.ts : Math.max(upToMs, row.ts);
    const spanEnd = Math.min(next, row.ts + HOLD_CAP_MS);
    for (let b = floorTo(Math.max(row.ts, from), size); b < Math.min(spanEnd, to); b += size) {
      const part = Math.min(spanEnd, b + size) - Math.max(row.ts, b);
      if (part <= 0) continue;
      const agg = at(row.stream_id, b);
      agg.observedMs += part;
      if (row.state === ONLINE_STATE) agg.onlineMs += part;
    }
    if (row.ts < from || row.ts >= to) continue;
    const agg = at(row.stream_id, floorTo(row.ts, size));
    agg.probes++;
    if (!row.ok) {
      agg.failures++;
      continue;
    }
    agg.latencySum += row.latency_ms;
    agg.latencyMin = agg.latencyMin === null ? row.latency_ms : Math.min(agg.latencyMin, row.latency_ms);
    agg.latencyMax = agg.latencyMax === null ? row.latency_ms : Math.max(agg.latencyMax, row.latency_ms);
    addLatency(agg.sketch, row.latency_ms);
  }
  return out;
}

export interface RollupRow {
  stream_id: string;
  bucket: number;
  probes: number;
  failures: number;
  online_ms: number;
  observed_ms: number;
  latency_sum: number;
  latency_min: number | null;
  latency_max: number | null;
  latency_hist: Buffer | null;
}

/** Adds one roll-up row into an aggregate (used here and by the queries). */
export function addRollupRow(agg: Aggregate, row: RollupRow): void {
  agg.probes += row.probes;
  agg.failures += row.failures;
  agg.onlineMs += row.online_ms;
  agg.observedMs += row.observed_ms;
  agg.latencySum += row.latency_sum;
  if (row.latency_min !== null) agg.latencyMin = agg.latencyMin === null ? row.latency_min : Math.min(agg.latencyMin, row.latency_min);
  if (row.latency_max !== null) agg.latencyMax = agg.latencyMax === null ? row.latency_max : Math.max(agg.latencyMax, row.latency_max);
  mergeSketch(agg.sketch, decodeSketch(row.latency_hist));
}

async function fromFinerLevel(
  db: Db, level: RollupLevel, streams: StreamRange, from: number, to: number,
): Promise<Map<string, Aggregate>> {
  const finer = SOURCE[level].table;
  // CROSS JOIN keeps `streams` the outer loop, so each stream is a primary-key range seek.
  const rows = await db.all<RollupRow>(
    `SELECT r.* FROM streams s CROSS JOIN ${finer} r ON r.stream_id = s.id AND r.bucket >= ? AND r.bucket < ?
     WHERE s.id BETWEEN ? AND ?`,
    [from, to, ...streams],
  );
  const out = new Map<string, Aggregate>();
  for (const row of rows) {
    const key = `${floorTo(row.bucket, BUCKET_MS[level])}\u0000${row.stream_id}`;
    let agg = out.get(key);
    if (!agg) out.set(key, (agg = emptyAggregate()));
    addRollupRow(agg, row);
  }
  return out;
}

async function upsertBuckets(db: Db, level: RollupLevel, buckets: Map<string, Aggregate>): Promise<void> {
  const sql = `INSERT INTO ${ROLLUP_TABLE[level]}
    (stream_id, bucket, probes, failures, online_ms, observed_ms, latency_sum, latency_min, latency_max, latency_hist)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (stream_id, bucket) DO UPDATE SET probes = excluded.probes, failures = excluded.failures,
      online_ms = excluded.online_ms, observed_ms = excluded.observed_ms, latency_sum = excluded.latency_sum,
      latency_min = excluded.latency_min, latency_max = excluded.latency_max, latency_hist = excluded.latency_hist`;
  await db.withStatement(sql, async (upsert) => {
    for (const [key, agg] of buckets) {
      const cut = key.indexOf('\u0000');
      const params: SqlValue[] = [
        key.slice(cut + 1), Number(key.slice(0, cut)), agg.probes, agg.failures, agg.onlineMs, agg.observedMs,
        agg.latencySum, agg.latencyMin, agg.latencyMax, encodeSketch(agg.sketch),
      ];
      await upsert.run(params);
    }
  });
}
