import type { Db, SqlParams } from './db.js';
import { BUCKET_MS, HOLD_CAP_MS, ONLINE_STATE, ROLLUP_TABLE, addRollupRow, ceilTo, emptyAggregate } from './rollup.js';
import type { Aggregate, RollupLevel, RollupRow } from './rollup.js';
import { addLatency, quantile } from './sketch.js';

/** Read-side queries for the HTTP API, metrics and `msg.uptime`. Every input is a bound parameter. */

export interface StreamState {
  id: string;
  name: string;
  protocol: string;
  url: string;
  state: string;
  since: number;
  firstSeen: number;
  lastSeen: number;
  lastCode: string | null;
}

export async function currentStates(db: Db): Promise<StreamState[]> {
  const rows = await db.all<{
    id: string; name: string; protocol: string; url: string; state: string;
    state_since: number; first_seen: number; last_seen: number; last_code: string | null;
  }>('SELECT id, name, protocol, url, state, state_since, first_seen, last_seen, last_code FROM streams ORDER BY id');
  return rows.map((r) => ({
    id: r.id, name: r.name, protocol: r.protocol, url: r.url, state: r.state,
    since: r.state_since, firstSeen: r.first_seen, lastSeen: r.last_seen, lastCode: r.last_code,
  }));
}

export type SourceLevel = 'raw' | RollupLevel;

/** A part of a query window answered from one level: [from, to). */
export interface Segment {
  level: SourceLevel;
  from: number;
  to: number;
}

/**
 * Splits [fromMs, toMs) into the finest level available for each part, newest first:
 * raw heartbeats from the first minute edge after the oldest raw row, minute roll-ups before
 * that back to the first hour edge after the oldest minute row, then hours back to the first
 * day edge after the oldest hour row, then days. Roll-up parts take whole buckets whose start
 * lies in the part, so a window edge that falls inside a roll-up part is rounded to that
 * level's bucket (≤ 1 min / 1 h / 1 day); raw parts are exact.
 */
export async function planSegments(db: Db, streamId: string, fromMs: number, toMs: number): Promise<Segment[]> {
  if (!(toMs > fromMs)) return [];
  const oldest = async (table: string, time: string): Promise<number | null> =>
    (await db.get<{ t: number | null }>(`SELECT MIN(${time}) AS t FROM ${table} WHERE stream_id = ?`, [streamId]))?.t ?? null;
  const levels: [SourceLevel, string, string, number][] = [
    ['raw', 'heartbeats', 'ts', BUCKET_MS.minute],
    ['minute', ROLLUP_TABLE.minute, 'bucket', BUCKET_MS.hour],
    ['hour', ROLLUP_TABLE.hour, 'bucket', BUCKET_MS.day],
  ];
  const segments: Segment[] = [];
  let upper = toMs;
  for (const [level, table, time, edge] of levels) {
    if (upper <= fromMs) return segments;
    const first = await oldest(table, time);
    const lower = first === null ? upper : Math.min(upper, Math.max(fromMs, ceilTo(first, edge)));
    if (lower < upper) segments.push({ level, from: lower, to: upper });
    upper = lower;
  }
  if (upper > fromMs) segments.push({ level: 'day', from: fromMs, to: upper });
  return segments;
}

/**
 * Aggregates one stream over [fromMs, toMs) from the planned segments. The latency sketch of
 * raw parts is only built when `withSketch` is set (it needs every latency; durations do not).
 */
export async function aggregateStream(db: Db, streamId: string, fromMs: number, toMs: number, withSketch = true): Promise<Aggregate> {
  const agg = emptyAggregate();
  for (const segment of await planSegments(db, streamId, fromMs, toMs)) {
    if (segment.level === 'raw') await addRaw(db, agg, streamId, segment.from, segment.to, withSketch);
    else {
      const rows = await db.all<RollupRow>(
        `SELECT * FROM ${ROLLUP_TABLE[segment.level]} WHERE stream_id = ? AND bucket >= ? AND bucket < ?`,
        [streamId, segment.from, segment.to],
      );
      for (const row of rows) addRollupRow(agg, row);
    }
  }
  return agg;
}

/**
 * Same rules as rollup.ts — a state holds until the next heartbeat, capped at HOLD_CAP_MS, and
 * the last one until `to` — clipped to [from, to) and summed inside SQLite, so a long raw part
 * costs no rows in JavaScript. Heartbeats up to the cap before `from` only lend their spans.
 */
const RAW_AGGREGATE = `WITH spans AS (
    SELECT ts, ok, latency_ms, state,
           MAX(MIN(COALESCE(LEAD(ts) OVER (ORDER BY ts), ?3), ts + ?4, ?3) - MAX(ts, ?2), 0) AS part
    FROM heartbeats WHERE stream_id = ?1 AND ts >= ?2 - ?4 AND ts < ?3)
  SELECT COALESCE(SUM(part), 0) AS observed,
         COALESCE(SUM(CASE WHEN state = ?5 THEN part ELSE 0 END), 0) AS online,
         COUNT(CASE WHEN ts >= ?2 THEN 1 END) AS probes,
         COUNT(CASE WHEN ts >= ?2 AND ok = 0 THEN 1 END) AS failures,
         COALESCE(SUM(CASE WHEN ts >= ?2 AND ok = 1 THEN latency_ms END), 0) AS latency_sum,
         MIN(CASE WHEN ts >= ?2 AND ok = 1 THEN latency_ms END) AS latency_min,
         MAX(CASE WHEN ts >= ?2 AND ok = 1 THEN latency_ms END) AS latency_max
  FROM spans`;

async function addRaw(db: Db, agg: Aggregate, streamId: string, from: number, to: number, withSketch: boolean): Promise<void> {
  const row = await db.get<{
    observed: number; online: number; probes: number; failures: number;
    latency_sum: number; latency_min: number | null; latency_max: number | null;
  }>(RAW_AGGREGATE, [streamId, from, to, HOLD_CAP_MS, ONLINE_STATE]);
  if (!row) return;
  addRollupRow(agg, {
    stream_id: streamId, bucket: from, probes: row.probes, failures: row.failures, online_ms: row.online,
    observed_ms: row.observed, latency_sum: row.latency_sum, latency_min: row.latency_min, latency_max: row.latency_max,
    latency_hist: null,
  });
  if (!withSketch) return;
  const latencies = await db.all<{ latency_ms: number }>(
    'SELECT latency_ms FROM heartbeats WHERE stream_id = ? AND ts >= ? AND ts < ? AND ok = 1',
    [streamId, from, to],
  );
  for (const { latency_ms } of latencies) addLatency(agg.sketch, latency_ms);
}

export interface UptimeResult {
  /** 100 × online / observed, or null when nothing was observed. */
  uptimePct: number | null;
  onlineMs: number;
  observedMs: number;
  probes: number;
  failures: number;
}

/**
 * Uptime over [fromMs, toMs) as time online / time observed. Without a stream id: all streams
 * together (each stream's time weighs the same per millisecond).
 */
export async function uptime(db: Db, streamId: string | undefined, fromMs: number, toMs: number): Promise<UptimeResult> {
  const ids = streamId === undefined ? (await currentStates(db)).map((s) => s.id) : [streamId];
  let onlineMs = 0;
  let observedMs = 0;
  let probes = 0;
  let failures = 0;
  for (const id of ids) {
    const agg = await aggregateStream(db, id, fromMs, toMs, false);
    onlineMs += agg.onlineMs;
    observedMs += agg.observedMs;
    probes += agg.probes;
    failures += agg.failures;
  }
  return { uptimePct: observedMs > 0 ? (100 * onlineMs) / observedMs : null, onlineMs, observedMs, probes, failures };
}

export interface LatencyResult {
  /** Successful probes the figures come from. */
  count: number;
  p50: number | null;
  p95: number | null;
  mean: number | null;
  min: number | null;
  max: number | null;
}

/** p50/p95 from the merged sketches (±9.3 %, see sketch.ts), exact mean/min/max. */
export async function latencyPercentiles(db: Db, streamId: string, fromMs: number, toMs: number): Promise<LatencyResult> {
  const agg = await aggregateStream(db, streamId, fromMs, toMs);
  const count = agg.probes - agg.failures;
  const bounds = { min: agg.latencyMin, max: agg.latencyMax };
  return {
    count,
    p50: quantile(agg.sketch, 0.5, bounds) ?? null,
    p95: quantile(agg.sketch, 0.95, bounds) ?? null,
    mean: count > 0 ? agg.latencySum / count : null,
    min: agg.latencyMin,
    max: agg.latencyMax,
  };
}

export interface OutageRow {
  streamId: string;
  start: number;
  end: number | null;
  durationMs: number | null;
  code: string;
  message: string;
}

/** Outages overlapping [fromMs, toMs) (open ones included), oldest first. */
export async function outagesBetween(
  db: Db, streamId: string | undefined, fromMs: number, toMs: number, limit = 1000,
): Promise<OutageRow[]> {
  const where = 'start_ts < ? AND (end_ts IS NULL OR end_ts > ?)';
  const [sql, params]: [string, SqlParams] = streamId === undefined
    ? [`SELECT * FROM outages WHERE ${where} ORDER BY start_ts, stream_id LIMIT ?`, [toMs, fromMs, limit]]
    : [`SELECT * FROM outages WHERE stream_id = ? AND ${where} ORDER BY start_ts LIMIT ?`, [streamId, toMs, fromMs, limit]];
  const rows = await db.all<{
    stream_id: string; start_ts: number; end_ts: number | null; duration_ms: number | null; code: string; message: string;
  }>(sql, params);
  return rows.map((r) => ({
    streamId: r.stream_id, start: r.start_ts, end: r.end_ts, durationMs: r.duration_ms, code: r.code, message: r.message,
  }));
}

export interface HeartbeatRow {
  streamId: string;
  ts: number;
  ok: boolean;
  code: string;
  latencyMs: number;
  firstFrameMs: number | null;
  state: string;
  codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrateKbps: number | null;
  message: string | null;
}

/** Raw heartbeats of one stream in [fromMs, toMs), oldest first, at most `limit`. */
export async function heartbeatsBetween(db: Db, streamId: string, fromMs: number, toMs: number, limit = 1000): Promise<HeartbeatRow[]> {
  const rows = await db.all<{
    stream_id: string; ts: number; ok: number; code: string; latency_ms: number; first_frame_ms: number | null;
    state: string; codec: string | null; width: number | null; height: number | null; fps: number | null;
    bitrate_kbps: number | null; message: string | null;
  }>('SELECT * FROM heartbeats WHERE stream_id = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?', [streamId, fromMs, toMs, limit]);
  return rows.map((r) => ({
    streamId: r.stream_id, ts: r.ts, ok: r.ok === 1, code: r.code, latencyMs: r.latency_ms, firstFrameMs: r.first_frame_ms,
    state: r.state, codec: r.codec, width: r.width, height: r.height, fps: r.fps, bitrateKbps: r.bitrate_kbps, message: r.message,
  }));
}
