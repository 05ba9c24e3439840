import { heartbeatsBetween, outagesBetween } from '../store/queries.js';
import { ROLLUP_TABLE } from '../store/rollup.js';
import type { RollupRow } from '../store/rollup.js';
import { decodeSketch, quantile } from '../store/sketch.js';
import * as params from './params.js';
import { heartbeatJson, outageJson } from './present.js';
import { iso, json } from './respond.js';
import { requireStream } from './streams.js';
import type { ApiContext, ApiResponse } from './types.js';

/** Time-range reads of one stream (heartbeats, outages, roll-ups) and of all outages. */

const DEFAULT_LIMIT = 1000;

function rangeJson(fromMs: number, toMs: number): Record<string, unknown> {
  return { from: iso(fromMs), fromMs, to: iso(toMs), toMs };
}

/** GET /api/streams/:id/heartbeats?from&to&limit, oldest first; `nextFrom` pages on. */
export async function streamHeartbeats(ctx: ApiContext, id: string, query: URLSearchParams): Promise<ApiResponse> {
  const { fromMs, toMs } = params.timeRange(query, ctx.now());
  const limit = params.limit(query, DEFAULT_LIMIT);
  await requireStream(ctx.db, id);
  const rows = await heartbeatsBetween(ctx.db, id, fromMs, toMs, limit);
  const last = rows.at(-1);
  const truncated = rows.length === limit && last !== undefined;
  return json({
    stream: id, ...rangeJson(fromMs, toMs), limit, count: rows.length, truncated,
    // Keyset paging: ask again with from=nextFrom (timestamps are unique per stream).
    nextFrom: truncated ? last.ts + 1 : null,
    heartbeats: rows.map(heartbeatJson),
  });
}

/** GET /api/streams/:id/outages?from&to&limit: outages overlapping the range, open ones included. */
export async function streamOutages(ctx: ApiContext, id: string, query: URLSearchParams): Promise<ApiResponse> {
  const { fromMs, toMs } = params.timeRange(query, ctx.now());
  const limit = params.limit(query, DEFAULT_LIMIT);
  await requireStream(ctx.db, id);
  const rows = await outagesBetween(ctx.db, id, fromMs, toMs, limit);
  return json({ stream: id, ...rangeJson(fromMs, toMs), limit, count: rows.length, truncated: rows.length === limit, outages: rows.map(outageJson) });
}

/** GET /api/outages?from&to&stream&limit: every stream's outages, or one stream's. */
export async function allOutages(ctx: ApiContext, query: URLSearchParams): Promise<ApiResponse> {
  const { fromMs, toMs } = params.timeRange(query, ctx.now());
  const limit = params.limit(query, DEFAULT_LIMIT);
  const raw = params.single(query, 'stream');
  const id = raw === undefined || raw === '' ? undefined : params.streamId('stream', raw);
  const rows = await outagesBetween(ctx.db, id, fromMs, toMs, limit);
  return json({ stream: id ?? null, ...rangeJson(fromMs, toMs), limit, count: rows.length, truncated: rows.length === limit, outages: rows.map(outageJson) });
}

/**
 * GET /api/streams/:id/rollups?level=minute|hour|day&from&to&limit: the stored buckets whose
 * start lies in the range, oldest first, with uptime and p50/p95 from each bucket's sketch.
 */
export async function streamRollups(ctx: ApiContext, id: string, query: URLSearchParams): Promise<ApiResponse> {
  const level = params.level(query);
  const { fromMs, toMs } = params.timeRange(query, ctx.now());
  const limit = params.limit(query, DEFAULT_LIMIT);
  await requireStream(ctx.db, id);
  // The table name comes from a fixed map keyed by the validated level, never from input.
  const rows = await ctx.db.all<RollupRow>(
    `SELECT * FROM ${ROLLUP_TABLE[level]} WHERE stream_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket LIMIT ?`,
    [id, fromMs, toMs, limit],
  );
  return json({
    stream: id, level, ...rangeJson(fromMs, toMs), limit, count: rows.length, truncated: rows.length === limit,
    rollups: rows.map(rollupJson),
  });
}

function rollupJson(row: RollupRow): Record<string, unknown> {
  const sketch = decodeSketch(row.latency_hist);
  const bounds = { min: row.latency_min, max: row.latency_max };
  const ok = row.probes - row.failures;
  return {
    bucket: iso(row.bucket),
    bucketMs: row.bucket,
    probes: row.probes,
    failures: row.failures,
    onlineMs: row.online_ms,
    observedMs: row.observed_ms,
    uptimePct: row.observed_ms > 0 ? (100 * row.online_ms) / row.observed_ms : null,
    latency: {
      count: ok,
      mean: ok > 0 ? row.latency_sum / ok : null,
      min: row.latency_min,
      max: row.latency_max,
      p50: quantile(sketch, 0.5, bounds) ?? null,
      p95: quantile(sketch, 0.95, bounds) ?? null,
    },
  };
}
